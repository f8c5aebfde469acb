// SPDX-License-Identifier: MIT
// Managed side. Locates the cache that holds extracted tarballs and materialized git trees
// ($LINUXSHIM_CACHE, else $XDG_CACHE_HOME/linuxshim, else ~/.cache/linuxshim).
namespace LinuxShim.Import.Tree;

internal static class TreeCache
{
    public static string ResolveRoot(string? cacheRoot)
    {
        if (!string.IsNullOrEmpty(cacheRoot))
            return Path.GetFullPath(cacheRoot);
        string? explicitRoot = Environment.GetEnvironmentVariable("LINUXSHIM_CACHE");
        if (!string.IsNullOrEmpty(explicitRoot))
            return Path.GetFullPath(explicitRoot);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg))
            return Path.GetFullPath(Path.Combine(xdg, "linuxshim"));
        string? home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
            throw new ImportException("cannot place the kernel tree cache: set LINUXSHIM_CACHE (no HOME or XDG_CACHE_HOME)");
        return Path.GetFullPath(Path.Combine(home, ".cache", "linuxshim"));
    }

    /// <summary>&lt;cacheRoot&gt;/trees, created if needed.</summary>
    public static string TreesDirectory(string cacheRoot)
    {
        string trees = Path.Combine(cacheRoot, "trees");
        try
        {
            Directory.CreateDirectory(trees);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw TreeErrors.CacheFailure(trees, e);
        }
        return trees;
    }

    /// <summary>A fresh name for a temporary sibling of <paramref name="finalPath"/>.</summary>
    public static string TemporarySibling(string finalPath) =>
        finalPath + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N");

    public static void DeleteQuietly(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary directory is harmless; it is never mistaken for a finished one.
        }
    }
}
