// SPDX-License-Identifier: MIT
// Helpers for tree-relative paths ("drivers/net/foo") and for include flags using the {srctree} placeholder.
namespace LinuxShim.Import.Kbuild;

/// <summary>Tree-relative path arithmetic (always '/', no leading "./", "" for the tree root).</summary>
internal static class TreePath
{
    /// <summary>Joins and normalizes: resolves "." and "..", drops duplicate slashes.</summary>
    public static string Combine(string dir, string relative)
    {
        if (relative.StartsWith('/'))
            return Normalize(relative);
        return Normalize(dir.Length == 0 ? relative : dir + "/" + relative);
    }

    public static string Normalize(string path)
    {
        bool absolute = path.StartsWith('/');
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
                continue;
            if (part == ".." && parts.Count > 0 && parts[^1] != "..")
                parts.RemoveAt(parts.Count - 1);
            else
                parts.Add(part);
        }
        string joined = string.Join('/', parts);
        return absolute ? "/" + joined : joined;
    }

    /// <summary>The name of a directory for messages: "." for the tree root.</summary>
    public static string Display(string dir) => dir.Length == 0 ? "." : dir;

    /// <summary>
    /// Rewrites an include path for an in-tree build (objtree = srctree): paths starting with the
    /// placeholder and relative paths become "{srctree}/normalized"; absolute paths stay.
    /// </summary>
    public static string IncludePath(string path, string placeholder)
    {
        if (path.StartsWith('/'))
            return path;
        string rest = path.StartsWith(placeholder, StringComparison.Ordinal) ? path[placeholder.Length..] : path;
        string normalized = Normalize(rest.TrimStart('/'));
        return normalized.Length == 0 ? placeholder : placeholder + "/" + normalized;
    }

    /// <summary>Normalizes the paths in compiler flags: -Ipath, -I path, -iquote/-isystem/-idirafter/-include path.</summary>
    public static List<string> Flags(IEnumerable<string> words, string placeholder)
    {
        var result = new List<string>();
        string? pendingOption = null;
        foreach (string w in words)
        {
            if (pendingOption != null)
            {
                string p = IncludePath(w, placeholder);
                if (pendingOption == "-I")
                    result.Add("-I" + p);
                else
                    result.AddRange([pendingOption, p]);
                pendingOption = null;
            }
            else if (w is "-I" or "-iquote" or "-isystem" or "-idirafter" or "-include")
                pendingOption = w;
            else if (w.StartsWith("-I", StringComparison.Ordinal))
                result.Add("-I" + IncludePath(w[2..], placeholder));
            else
                result.Add(w);
        }
        if (pendingOption != null)
            result.Add(pendingOption);
        return result;
    }
}
