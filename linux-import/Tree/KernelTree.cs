// SPDX-License-Identifier: MIT
// Managed side. Read access to an upstream Linux source tree: a git repository at any revision, a plain
// source directory or a release tarball, plus an on-disk copy (SourceRoot) a compiler can include from.
using System.Text;
using LinuxShim.Import.Install;

namespace LinuxShim.Import.Tree;

public abstract class KernelTree : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private bool _disposed;
    private KernelVersion? _version;

    private protected KernelTree(string sourceRoot)
    {
        SourceRoot = sourceRoot;
    }

    /// <summary>Opens PATH or PATH@REV: a git repository (REV defaults to HEAD), a source directory or a
    /// .tar.xz/.tar.gz/.tar tarball. The cache (git checkouts, extracted tarballs) lives under
    /// <paramref name="cacheRoot"/>, by default $LINUXSHIM_CACHE, $XDG_CACHE_HOME/linuxshim or ~/.cache/linuxshim.</summary>
    public static KernelTree Open(string spec, string? cacheRoot = null) => KernelTreeOpener.Open(spec, cacheRoot);

    /// <summary>"git", "directory" or "tarball".</summary>
    public abstract string Kind { get; }

    /// <summary>The absolute path the user gave (without any @REV).</summary>
    public abstract string Location { get; }

    /// <summary>The revision asked for (git only; null when none was given or for other kinds).</summary>
    public abstract string? Revision { get; }

    /// <summary>The full commit id the revision resolved to (git only).</summary>
    public abstract string? Commit { get; }

    /// <summary>An on-disk directory holding the tree's files (for git and tarballs, a cache directory).
    /// For git only the materialized directories are present; see <see cref="Materialize"/>.</summary>
    public string SourceRoot { get; }

    /// <summary>The version the top-level Makefile declares (VERSION, PATCHLEVEL, SUBLEVEL); null when it declares none.</summary>
    public KernelVersion? Version => _version ??= FileExists("Makefile") ? KernelVersion.FromMakefile(ReadText("Makefile")) : null;

    public abstract bool FileExists(string path);

    public abstract bool DirectoryExists(string path);

    /// <summary>The bytes of a file; symbolic links are followed. ImportException if it is missing.</summary>
    public abstract byte[] ReadFile(string path);

    public string ReadText(string path) => Utf8.GetString(ReadFile(path));

    /// <summary>Entry names sorted ordinally; directories carry a trailing '/', symbolic links never do.</summary>
    public abstract IReadOnlyList<string> ListDirectory(string path);

    /// <summary>The git blob id of the entry at <paramref name="path"/> (a symbolic link itself is not followed),
    /// identical across kinds for identical content.</summary>
    public abstract string BlobId(string path);

    /// <summary>Makes sure the directory (or file) <paramref name="path"/> exists, recursively, under SourceRoot.</summary>
    public void Materialize(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MaterializeCore(NormalizePath(path));
    }

    /// <summary>Turns a tree-relative path into its canonical form ("a/b/c", "" for the root); rejects absolute
    /// paths and '..' that would leave the tree.</summary>
    public static string NormalizePath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Contains('\0'))
            throw new ImportException($"path {TreeErrors.Show(path)} contains a NUL character");
        if (path.StartsWith('/') || path.StartsWith('\\') || Path.IsPathRooted(path))
            throw new ImportException($"path {TreeErrors.Show(path)} is outside the kernel tree");
        var parts = new List<string>();
        foreach (string part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
                continue;
            if (part == "..")
            {
                if (parts.Count == 0)
                    throw new ImportException($"path {TreeErrors.Show(path)} is outside the kernel tree");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        _disposed = true;
    }

    private protected bool IsDisposed => _disposed;

    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>How the tree is named in messages: the location, plus @REV for a git revision.</summary>
    private protected virtual string Describe => Location;

    private protected abstract void MaterializeCore(string normalizedPath);

    /// <summary>Throws unless the tree root holds a Makefile and include/linux.</summary>
    private protected void EnsureKernelTree()
    {
        if (!FileExists("Makefile") || !DirectoryExists("include/linux"))
            throw new ImportException($"{TreeErrors.Show(Describe)} is not a kernel tree (no Makefile and include/linux at its root)");
    }

    private protected ImportException NotFound(string normalizedPath) =>
        new($"{TreeErrors.Show(normalizedPath.Length == 0 ? "/" : normalizedPath)} not found in kernel tree {TreeErrors.Show(Describe)}");

    private protected ImportException NotAFile(string normalizedPath) =>
        new($"{TreeErrors.Show(normalizedPath.Length == 0 ? "/" : normalizedPath)} is not a file in kernel tree {TreeErrors.Show(Describe)}");

    private protected ImportException NotADirectory(string normalizedPath) =>
        new($"{TreeErrors.Show(normalizedPath)} is not a directory in kernel tree {TreeErrors.Show(Describe)}");
}
