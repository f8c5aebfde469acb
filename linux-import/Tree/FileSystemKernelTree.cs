// SPDX-License-Identifier: MIT
// Managed side. Reads a kernel tree that exists as plain files on disk (a source directory or an extracted
// tarball); blob ids are hashed from content and remembered per path, size and modification time.
using System.Collections.Concurrent;
using System.Text;

namespace LinuxShim.Import.Tree;

internal abstract class FileSystemKernelTree : KernelTree
{
    private readonly ConcurrentDictionary<string, CachedBlobId> _blobIds = new(StringComparer.Ordinal);
    private readonly string _root;

    private protected FileSystemKernelTree(string root) : base(root)
    {
        _root = root;
    }

    public override bool FileExists(string path)
    {
        ThrowIfDisposed();
        return IsFile(OnDisk(NormalizePath(path)));
    }

    public override bool DirectoryExists(string path)
    {
        ThrowIfDisposed();
        return Directory.Exists(OnDisk(NormalizePath(path)));
    }

    public override byte[] ReadFile(string path)
    {
        ThrowIfDisposed();
        string normalized = NormalizePath(path);
        string full = OnDisk(normalized);
        CheckIsFile(normalized, full);
        try
        {
            return File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(normalized, e);
        }
    }

    public override IReadOnlyList<string> ListDirectory(string path)
    {
        ThrowIfDisposed();
        string normalized = NormalizePath(path);
        string full = OnDisk(normalized);
        if (!Directory.Exists(full))
            throw File.Exists(full) ? NotADirectory(normalized) : NotFound(normalized);
        try
        {
            var names = new List<string>();
            foreach (FileSystemInfo entry in new DirectoryInfo(full).EnumerateFileSystemInfos())
            {
                bool isLink = entry.Attributes.HasFlag(FileAttributes.ReparsePoint);
                names.Add(entry is DirectoryInfo && !isLink ? entry.Name + "/" : entry.Name);
            }
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(normalized, e);
        }
    }

    public override string BlobId(string path)
    {
        ThrowIfDisposed();
        string normalized = NormalizePath(path);
        string full = OnDisk(normalized);
        try
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is string linkTarget)
                return GitBlobHash.Compute(Encoding.UTF8.GetBytes(linkTarget)); // git stores a link as its target text
            CheckIsFile(normalized, full);
            long size = info.Length;
            long mtime = info.LastWriteTimeUtc.Ticks;
            if (_blobIds.TryGetValue(normalized, out CachedBlobId cached) && cached.Size == size && cached.MTime == mtime)
                return cached.Id;
            string id = GitBlobHash.Compute(File.ReadAllBytes(full));
            _blobIds[normalized] = new CachedBlobId(size, mtime, id);
            return id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotRead(normalized, e);
        }
    }

    private protected string OnDisk(string normalizedPath) =>
        normalizedPath.Length == 0 ? _root : Path.Combine(_root, normalizedPath);

    /// <summary>A regular file, or a symbolic link that ends at one (File.Exists also accepts dangling links).</summary>
    private static bool IsFile(string full)
    {
        var info = new FileInfo(full);
        if (!info.Exists)
            return false;
        if (info.LinkTarget is null)
            return true;
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (IOException)
        {
            return false; // a loop of links
        }
    }

    private void CheckIsFile(string normalized, string full)
    {
        if (!IsFile(full))
            throw Directory.Exists(full) ? NotAFile(normalized) : NotFound(normalized);
    }

    private ImportException CannotRead(string normalized, Exception e) =>
        new($"cannot read {TreeErrors.Show(normalized.Length == 0 ? "/" : normalized)} in kernel tree {TreeErrors.Show(Describe)}: {TreeErrors.Reason(e.Message)}", e);

    private readonly record struct CachedBlobId(long Size, long MTime, string Id);
}
