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
        CheckEveryPart(parts, m => m.Shard, (name, part, firstName, first) =>
            part.Kernel != first.Kernel || part.Scope != first.Scope
                ? $"{name} scanned {part.Scope} of {part.Kernel.Location} ({part.Kernel.Analyser}), {firstName} scanned {first.Scope} of {first.Kernel.Location} ({first.Kernel.Analyser}): parts of different scans"
                : null,
            new PartNames("shard", "a partial result", "scan merge needs the partial results of every shard", "scan --shard"));
        return parts[0].Model with
        {
            Modules = parts.SelectMany(p => p.Model.Modules)
                .OrderBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ToList(),
            Shard = null,
        };
    }

    /// <summary>How a merge names its parts in what it refuses: "shard" and "a partial result" (scan merge), "part" and
    /// "a part" (verify merge); the error for none given; the command that writes them.</summary>
    public sealed record PartNames(string Noun, string Description, string NoneGiven, string WrittenBy);

    /// <summary>
    /// Checks that <paramref name="parts"/> are every part of one split run, each once: refuses none given, a file that
    /// is not a part, parts of different splits or runs (<paramref name="differentRun"/> says why, or null), a part twice,
    /// a part missing.
    /// </summary>
    public static void CheckEveryPart<T>(IReadOnlyList<(string Name, T Part)> parts, Func<T, Shard?> shardOf,
        Func<string, T, string, T, string?> differentRun, PartNames names)
    {
        if (parts.Count == 0)
            throw new ImportException(names.NoneGiven);
        var (firstName, first) = parts[0];
        var firstShard = shardOf(first) ?? throw NotAPart(firstName, names);
        var seen = new string?[firstShard.Count];
        foreach (var (name, part) in parts)
        {
            var shard = shardOf(part) ?? throw NotAPart(name, names);
            if (shard.Count != firstShard.Count)
                throw new ImportException($"{name} is {names.Noun} {shard} but {firstName} is {names.Noun} {firstShard}: parts of different splits");
            if (differentRun(name, part, firstName, first) is { } why)
                throw new ImportException(why);
            if (seen[shard.Index - 1] is { } other)
                throw new ImportException($"{name} and {other} are both {names.Noun} {shard}");
            seen[shard.Index - 1] = name;
        }
        var missing = Enumerable.Range(1, seen.Length).Where(i => seen[i - 1] is null).ToList();
        if (missing.Count > 0)
            throw new ImportException($"{names.Noun}{(missing.Count > 1 ? "s" : "")} {string.Join(", ", missing.Select(i => $"{i}/{seen.Length}"))} missing");
    }

    private static ImportException NotAPart(string name, PartNames names) =>
        new($"{name} is not {names.Description} (it was not written by {names.WrittenBy})");
}
