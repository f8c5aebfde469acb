// SPDX-License-Identifier: MIT
// Managed side. Results of analysed sources, kept on disk so that a rescan parses only what changed.
// An entry is found by what is known before parsing (analyser, compiler arguments, configuration,
// the source's blob id) and is valid only while every file the parse read (headers included)
// still has the blob id it had then, as ccache's "direct mode" manifests work.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Cache;

public sealed class UnitCache(string root)
{
    private sealed record Entry(Dictionary<string, string> Inputs, UnitResult Result);

    private static readonly JsonSerializerOptions Json = new(ImportModelJson.Options) { WriteIndented = false };

    public string Root { get; } = root;

    /// <summary>The key of a source's entry: everything that decides its result except the headers it reads.</summary>
    public static string Key(string analyser, string configHash, string sourceBlob, IEnumerable<string> arguments)
    {
        var text = new StringBuilder(analyser).Append('\n').Append(configHash).Append('\n').Append(sourceBlob);
        foreach (var a in arguments)
            text.Append('\n').Append(a);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private string PathOf(string key) => Path.Combine(Root, "units", key[..2], key + ".json");

    /// <summary>The cached result, if every input it was computed from is unchanged.</summary>
    /// <param name="identify">An input's current identity (blob id or content hash), or null when it is gone.</param>
    public UnitResult? TryGet(string key, Func<string, string?> identify)
    {
        string file = PathOf(key);
        if (!File.Exists(file))
            return null;
        Entry? entry;
        try
        {
            entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(file), Json);
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            return null; // a damaged entry is a miss; the next store replaces it
        }
        if (entry?.Result is null || entry.Inputs is null)
            return null;
        foreach (var (input, identity) in entry.Inputs)
            if (identify(input) != identity)
                return null;
        return entry.Result;
    }

    public void Put(string key, UnitResult result, Func<string, string?> identify)
    {
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in result.Inputs)
        {
            if (identify(input) is not { } identity)
                return; // an input we cannot identify again: never reuse this result
            inputs[input] = identity;
        }
        string file = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string tmp = $"{file}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(new Entry(inputs, result), Json));
        File.Move(tmp, file, overwrite: true);
    }

    /// <summary>SHA-1 of a file outside the kernel tree (generated headers of the build directory), in git's blob form.</summary>
    public static string? HashFile(string path)
    {
        try
        {
            return Tree.GitBlobHash.Compute(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
