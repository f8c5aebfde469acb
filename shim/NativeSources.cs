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
        foreach (var name in Names.Where(IsNativeSource))
            set.UnionWith(Markers(Read(name)));
        return set;
    }

    /// <summary>A C file of shim/native (its SHIM_SYMBOL markers are kernel symbols).</summary>
    public static bool IsNativeSource(string name) =>
        name.StartsWith("native/", StringComparison.Ordinal) && name.EndsWith(".c", StringComparison.Ordinal);

    /// <summary>The kernel symbols a native C text marks with SHIM_SYMBOL(name), each at the start of a line.</summary>
    public static IEnumerable<string> Markers(string text) => Marker().Matches(text).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"^SHIM_SYMBOL\((\w+)\)", RegexOptions.Multiline)]
    private static partial Regex Marker();
}
