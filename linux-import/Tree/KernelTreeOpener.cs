// SPDX-License-Identifier: MIT
// Managed side. Parses a --linux argument (PATH or PATH@REV) and picks the matching kind of kernel tree.
namespace LinuxShim.Import.Tree;

internal static class KernelTreeOpener
{
    private static readonly string[] TarballSuffixes = [".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tar"];

    public static KernelTree Open(string spec, string? cacheRoot)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrWhiteSpace(spec))
            throw new ImportException("no kernel tree given (expected PATH or PATH@REV)");
        (string path, string? revision) = Split(spec);
        string location;
        try
        {
            location = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or IOException or NotSupportedException)
        {
            throw new ImportException($"kernel tree path {TreeErrors.Show(path)} is not a valid path", e);
        }

        if (Directory.Exists(location))
        {
            if (LooksLikeGitRepository(location))
                return GitKernelTree.Create(location, revision, TreeCache.ResolveRoot(cacheRoot));
            RejectRevision(location, revision);
            return DirectoryKernelTree.Create(location);
        }
        if (File.Exists(location))
        {
            RejectRevision(location, revision);
            if (!TarballSuffixes.Any(s => location.EndsWith(s, StringComparison.OrdinalIgnoreCase)))
                throw new ImportException($"{TreeErrors.Show(location)} is not a kernel tree (expected a git repository, a source directory or a .tar.xz, .tar.gz or .tar tarball)");
            return TarballKernelTree.Create(location, TreeCache.ResolveRoot(cacheRoot));
        }
        throw new ImportException($"kernel tree {TreeErrors.Show(location)} does not exist");
    }

    /// <summary>PATH@REV: the whole spec if it exists on disk, else the first prefix before an '@' that exists,
    /// so paths containing '@' and revisions such as "main@{1}" both work.</summary>
    private static (string Path, string? Revision) Split(string spec)
    {
        if (Path.Exists(spec))
            return (spec, null);
        for (int at = spec.IndexOf('@', 1); at > 0; at = spec.IndexOf('@', at + 1))
        {
            string prefix = spec[..at];
            if (Path.Exists(prefix))
                return (prefix, Revision(spec, at));
        }
        // Nothing exists: report the path part (up to the last '@' when the rest looks like a revision).
        int last = spec.LastIndexOf('@');
        if (last > 0 && spec.IndexOf('/', last) < 0)
            return (spec[..last], Revision(spec, last));
        return (spec, null);
    }

    private static string Revision(string spec, int at)
    {
        string revision = spec[(at + 1)..];
        if (revision.Length == 0)
            throw new ImportException($"empty revision after '@' in kernel tree {TreeErrors.Show(spec)}");
        return revision;
    }

    /// <summary>A work tree with .git (directory or gitdir file), or a bare repository (HEAD + objects/).
    /// Detected by layout rather than by opening, so that a damaged repository is reported as such.</summary>
    private static bool LooksLikeGitRepository(string directory) =>
        Directory.Exists(Path.Combine(directory, ".git")) ||
        File.Exists(Path.Combine(directory, ".git")) ||
        (File.Exists(Path.Combine(directory, "HEAD")) && Directory.Exists(Path.Combine(directory, "objects")));

    private static void RejectRevision(string location, string? revision)
    {
        if (revision is not null)
            throw new ImportException($"revision {TreeErrors.Show(revision)} given, but {TreeErrors.Show(location)} is not a git repository");
    }
}
