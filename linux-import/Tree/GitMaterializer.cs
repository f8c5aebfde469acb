// SPDX-License-Identifier: MIT
// Managed side. Writes directories of a git tree object to disk under SourceRoot: each file via a temporary
// name and rename, symbolic links as links, and a marker per directory written only once all of it is done,
// so an interrupted materialization is simply redone.
using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;
using GitTree = LibGit2Sharp.Tree;

namespace LinuxShim.Import.Tree;

internal sealed class GitMaterializer
{
    private readonly string _root;
    private readonly string _markers;
    private readonly GitKernelTree _owner;

    /// <param name="owner">The tree whose lock guards LibGit2Sharp access.</param>
    /// <param name="root">SourceRoot, &lt;cache&gt;/trees/git-&lt;commit&gt;.</param>
    public GitMaterializer(GitKernelTree owner, string root)
    {
        _owner = owner;
        _root = root;
        _markers = Path.Combine(root, ".linuxshim", "done");
    }

    /// <summary>Writes what <paramref name="resolved"/> names (a directory recursively, or one file) plus the links passed on the way.</summary>
    public void Write(GitPathResolver.Result resolved)
    {
        try
        {
            foreach ((string linkPath, string target) in resolved.Links)
                WriteLink(linkPath, target);
            switch (resolved.Target)
            {
                case GitTree tree:
                    WriteTree(resolved.Path, tree);
                    break;
                case Blob blob when resolved.Mode == Mode.SymbolicLink:
                    WriteLink(resolved.Path, Encoding.UTF8.GetString(Read(blob)));
                    break;
                case Blob blob:
                    WriteFile(resolved.Path, blob, resolved.Mode == Mode.ExecutableFile);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw TreeErrors.CacheFailure(_root, e);
        }
    }

    private void WriteTree(string path, GitTree tree)
    {
        string marker = Path.Combine(_markers, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path))));
        if (File.Exists(marker))
            return;
        Directory.CreateDirectory(OnDisk(path));
        List<(string Name, Mode Mode, GitObject Target)> entries =
            _owner.WithGit(() =>
            {
                _owner.Guard(tree.Id);
                return tree.Select(e => (e.Name, e.Mode, e.Target)).ToList();
            });
        foreach ((string name, Mode mode, GitObject target) in entries)
        {
            string child = path.Length == 0 ? name : path + "/" + name;
            switch (target)
            {
                case GitTree subtree:
                    WriteTree(child, subtree);
                    break;
                case Blob blob when mode == Mode.SymbolicLink:
                    WriteLink(child, Encoding.UTF8.GetString(Read(blob)));
                    break;
                case Blob blob:
                    WriteFile(child, blob, mode == Mode.ExecutableFile);
                    break;
                default:
                    break; // submodules have no content here
            }
        }
        Directory.CreateDirectory(_markers);
        File.WriteAllText(marker, path + "\n");
    }

    private void WriteFile(string path, Blob blob, bool executable)
    {
        string destination = OnDisk(path);
        if (File.Exists(destination))
            return; // written by an earlier run: files only ever appear complete, and a commit's content never changes
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        string temporary = TreeCache.TemporarySibling(destination);
        try
        {
            File.WriteAllBytes(temporary, Read(blob));
            if (executable && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, File.GetUnixFileMode(temporary) |
                    UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
            File.Move(temporary, destination, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Creating a symbolic link is atomic by itself, so no temporary name is needed (File.Move would
    /// also refuse a link that points at a directory).</summary>
    private void WriteLink(string path, string target)
    {
        string destination = OnDisk(path);
        var existing = new FileInfo(destination);
        if (existing.LinkTarget == target)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        if (existing.LinkTarget is not null || existing.Exists)
            File.Delete(destination); // a stale entry; never expected for an immutable commit
        try
        {
            File.CreateSymbolicLink(destination, target);
        }
        catch (IOException) when (new FileInfo(destination).LinkTarget == target)
        {
            // Another process created the same link at the same moment.
        }
    }

    private byte[] Read(Blob blob) => _owner.WithGit(() => _owner.ReadBlob(blob));

    private string OnDisk(string path) => path.Length == 0 ? _root : Path.Combine(_root, path);
}
