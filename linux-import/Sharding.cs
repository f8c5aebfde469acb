// SPDX-License-Identifier: MIT
// Managed side. Splits a scan into shards that run apart (a Kubernetes Indexed Job, a CI matrix)
// and merges their partial Import Models back into exactly what one run would have written.
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Model;

namespace LinuxShim.Import;

public static class Sharding
{
    /// <summary>
    /// The modules of one shard. Every shard reads the same Kbuild and so computes the same
    /// assignment: modules, largest first, each to the shard with the fewest sources so far.
    /// </summary>
    public static List<KbuildModule> Select(IReadOnlyList<KbuildModule> modules, Shard shard)
    {
        var chosen = Balance(modules.OrderByDescending(m => m.Sources.Count)
            .ThenBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal), m => m.Sources.Count, shard).ToHashSet();
        return modules.Where(chosen.Contains).ToList();
    }

    /// <summary>
    /// The items of <paramref name="shard"/> when <paramref name="ordered"/> (largest first, in an order every shard
    /// computes alike) are given out one by one, each to the shard with the fewest sources so far (at least 1 each).
    /// </summary>
    public static List<T> Balance<T>(IEnumerable<T> ordered, Func<T, int> sources, Shard shard)
    {
        var load = new int[shard.Count];
        var chosen = new List<T>();
        foreach (var item in ordered)
        {
            int target = Array.IndexOf(load, load.Min());
            load[target] += Math.Max(1, sources(item));
            if (target == shard.Index - 1)
                chosen.Add(item);
        }
        return chosen;
    }

    /// <summary>Merges the partial models of all N shards of one scan.</summary>
    public static ImportModel Merge(IReadOnlyList<(string Name, ImportModel Model)> parts)
    {
        if (parts.Count == 0)
            throw new ImportException("scan merge needs the partial results of every shard");
        var (firstName, first) = parts[0];
        if (first.Shard is null)
            throw new ImportException($"{firstName} is not a partial result (it was not written by scan --shard)");
        int count = first.Shard.Count;
        var seen = new string?[count];
        foreach (var (name, part) in parts)
        {
            if (part.Shard is null)
                throw new ImportException($"{name} is not a partial result (it was not written by scan --shard)");
            if (part.Shard.Count != count)
                throw new ImportException($"{name} is shard {part.Shard} but {firstName} is shard {first.Shard}: parts of different splits");
            if (part.Kernel != first.Kernel || part.Scope != first.Scope)
                throw new ImportException($"{name} scanned {part.Scope} of {part.Kernel.Location} ({part.Kernel.Analyser}), {firstName} scanned {first.Scope} of {first.Kernel.Location} ({first.Kernel.Analyser}): parts of different scans");
            if (seen[part.Shard.Index - 1] is { } other)
                throw new ImportException($"{name} and {other} are both shard {part.Shard}");
            seen[part.Shard.Index - 1] = name;
        }
        var missing = Enumerable.Range(1, count).Where(i => seen[i - 1] is null).ToList();
        if (missing.Count > 0)
            throw new ImportException($"shard{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(i => $"{i}/{count}"))} missing");
        return first with
        {
            Modules = parts.SelectMany(p => p.Model.Modules)
                .OrderBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ToList(),
            Shard = null,
        };
    }
}
