// SPDX-License-Identifier: MIT
// Managed side. A verify run in parts: "verify DIR... --shard I/N" builds and compares only part I of the
// directories Kbuild builds (a directory is Kbuild's unit, so it is never split), "--json FILE" keeps what a run
// compared, and "verify merge PART.json..." joins the parts of every shard into the summary one run would print.
// `drivers` whole is thousands of modules in hundreds of directories, hours of Kbuild on two cores: its parts
// run on several machines, or one after another.
using System.Text.Json;
using System.Text.Json.Serialization;
using LinuxShim.Import;
using LinuxShim.Import.Model;
using LinuxShim.Import.Verify;

namespace LinuxShim.Tools;

/// <summary>What a verify run (or part of one) compared: written by --json, read by verify merge.</summary>
public sealed record VerifyResult(
    [property: JsonPropertyName("kernel")] string Kernel,
    [property: JsonPropertyName("analyser")] string Analyser,
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("roots")] IReadOnlyList<string> Roots,
    [property: JsonPropertyName("shard")] string? Shard,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("compared")] IReadOnlyList<VerifyResult.Module> Compared,
    [property: JsonPropertyName("not_compared")] IReadOnlyList<VerifyResult.NotBuilt> NotCompared)
{
    public sealed record Module(
        [property: JsonPropertyName("module")] string Name,
        [property: JsonPropertyName("directory")] string Directory,
        [property: JsonPropertyName("kbuild")] int Truth,
        [property: JsonPropertyName("scan")] int Predicted,
        [property: JsonPropertyName("missing")] IReadOnlyList<string> Missing,
        [property: JsonPropertyName("extra")] IReadOnlyList<string> Extra);

    public sealed record NotBuilt(
        [property: JsonPropertyName("module")] string Name,
        [property: JsonPropertyName("directory")] string Directory,
        [property: JsonPropertyName("reason")] string Reason);

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public VerifySummary Summary() => VerifySummary.Of(
        Compared.Select(m => new ModuleComparison(m.Name, m.Truth, m.Predicted, m.Missing, m.Extra)).ToList(),
        NotCompared.Select(n => (n.Name, n.Directory, n.Reason)).ToList());

    public void Write(string path)
    {
        string tmp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Options));
        File.Move(tmp, path, overwrite: true);
    }

    public static VerifyResult Read(string path)
    {
        string text = ScanCommand.ReadInput(path);
        try
        {
            return JsonSerializer.Deserialize<VerifyResult>(text, Options) is { Compared: not null, NotCompared: not null, Roots: not null } r
                ? r : throw new ImportException($"{path} is not a verify result (verify --json wrote none of its fields)");
        }
        catch (JsonException e)
        {
            throw new ImportException($"{path} is not a verify result: {e.Message}");
        }
    }
}

public static class VerifyParts
{
    /// <summary>
    /// The directories of part <paramref name="shard"/>: every part computes the same split from the same scan,
    /// directories with the most sources first, each to the part with the fewest sources so far.
    /// </summary>
    public static HashSet<string> Directories(ImportModel model, Shard shard)
    {
        var sizes = model.Modules.GroupBy(m => m.Directory, StringComparer.Ordinal)
            .Select(g => (Directory: g.Key, Sources: g.SelectMany(m => m.Sources).Where(s => s.Role == "source").Select(s => s.Path).Distinct(StringComparer.Ordinal).Count()));
        return Sharding.Balance(sizes.OrderByDescending(d => d.Sources).ThenBy(d => d.Directory, StringComparer.Ordinal), d => d.Sources, shard)
            .Select(d => d.Directory).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The parts of every shard of one verify run, joined; refuses parts of different runs, a part twice, a part missing.</summary>
    public static VerifyResult Merge(IReadOnlyList<(string File, VerifyResult Part)> parts)
    {
        Sharding.CheckEveryPart(parts, p => p.Shard is null ? null : Shard.Parse(p.Shard), (file, part, firstFile, first) =>
            part.Kernel != first.Kernel || part.Config != first.Config || !part.Roots.SequenceEqual(first.Roots)
                ? $"{file} verified {string.Join(' ', part.Roots)} of {part.Kernel}, {firstFile} {string.Join(' ', first.Roots)} of {first.Kernel}: parts of different runs"
                : null,
            new Sharding.PartNames("part", "a part", "verify merge needs the JSON files the shards wrote", "verify --shard"));
        var first = parts[0].Part;
        // Parts scanned with different analysers compare different importers: joined, but said.
        var analysers = parts.Select(p => p.Part.Analyser).Distinct(StringComparer.Ordinal).ToList();
        return first with
        {
            Analyser = string.Join(' ', analysers),
            Shard = null,
            Seconds = parts.Sum(p => p.Part.Seconds),
            Compared = parts.SelectMany(p => p.Part.Compared).OrderBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ToList(),
            NotCompared = parts.SelectMany(p => p.Part.NotCompared).OrderBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ToList(),
        };
    }
}
