// SPDX-License-Identifier: MIT
// Managed side. The shim's native C (shim/native) and shadow headers (shim/include), embedded in
// this assembly so a port build finds exactly the sources this host was built with.
using System.Text.RegularExpressions;

namespace LinuxShim.Shim;

public static partial class NativeSources
{
    /// <summary>Resource names ("native/runtime.c", "include/asm/current.h", …).</summary>
    public static IReadOnlyList<string> Names =>
        typeof(NativeSources).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("native/", StringComparison.Ordinal) || n.StartsWith("include/", StringComparison.Ordinal))
            .Select(n => n.Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();

    public static string Read(string name)
    {
        using var stream = typeof(NativeSources).Assembly.GetManifestResourceStream(name)
                           ?? throw new FileNotFoundException($"no embedded native source {name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Writes every native source under <paramref name="root"/> (once per shim build) and returns root.</summary>
    public static string ExtractTo(string root)
    {
        string stamp = Path.Combine(root, ".complete");
        if (File.Exists(stamp))
            return root;
        string tmp = root + $".{Environment.ProcessId}.tmp";
        if (Directory.Exists(tmp))
            Directory.Delete(tmp, recursive: true);
        foreach (var name in Names)
        {
            string path = Path.Combine(tmp, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Read(name));
        }
        File.WriteAllText(Path.Combine(tmp, ".complete"), "");
        try
        {
            Directory.Move(tmp, root);
        }
        catch (IOException) when (File.Exists(stamp))
        {
            Directory.Delete(tmp, recursive: true); // another process extracted it first
        }
        return root;
    }

    /// <summary>Kernel symbols the native C provides: its SHIM_SYMBOL(name) markers.</summary>
    public static SortedSet<string> Symbols()
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in Names.Where(n => n.StartsWith("native/", StringComparison.Ordinal) && n.EndsWith(".c", StringComparison.Ordinal)))
            foreach (Match m in Marker().Matches(Read(name)))
                set.Add(m.Groups[1].Value);
        return set;
    }

    [GeneratedRegex(@"^SHIM_SYMBOL\((\w+)\)", RegexOptions.Multiline)]
    private static partial Regex Marker();
}
