// SPDX-License-Identifier: MIT
// Managed side. A kernel tree read from a git repository's object database at one commit (never the work
// tree); SourceRoot is a cache directory <cache>/trees/git-<commit>/ filled on demand.
using LibGit2Sharp;
using GitTree = LibGit2Sharp.Tree;

namespace LinuxShim.Import.Tree;

internal sealed class GitKernelTree : KernelTree
{
    private static readonly string[] DefaultDirectories = ["include", "arch/x86/include", "LICENSES"];

    private readonly object _gate = new();
    private readonly object _materializeGate = new();
    private readonly Repository _repository;
    private readonly GitTree _root;
    private readonly GitMaterializer _materializer;

    private GitKernelTree(Repository repository, string location, string? revision, Commit commit, string sourceRoot)
        : base(sourceRoot)
    {
        _repository = repository;
        Location = location;
        Revision = revision;
        Commit = commit.Sha;
        _root = commit.Tree;
        _materializer = new GitMaterializer(this, sourceRoot);
    }

    public override string Kind => "git";

    public override string Location { get; }

    public override string? Revision { get; }

    public override string? Commit { get; }

    private protected override string Describe => Revision is null ? Location : Location + "@" + Revision;

    public static GitKernelTree Create(string location, string? revision, string cacheRoot)
    {
        Repository repository;
        try
        {
            repository = new Repository(location);
        }
        catch (LibGit2SharpException e)
        {
            throw Corrupt(location, e);
        }
        GitKernelTree? tree = null;
        bool opened = false;
        try
        {
            Commit commit = ResolveCommit(repository, location, revision);
            string sourceRoot = Path.Combine(cacheRoot, "trees", "git-" + commit.Sha);
            tree = new GitKernelTree(repository, location, revision, commit, sourceRoot);
            tree.EnsureKernelTree();
            foreach (string directory in DefaultDirectories)
            {
                if (tree.DirectoryExists(directory))
                    tree.Materialize(directory);
            }
            opened = true;
            return tree;
        }
        catch (LibGit2SharpException e)
        {
            throw Corrupt(location, e);
        }
        finally
        {
            if (!opened)
            {
                if (tree is not null)
                    tree.Dispose(); // releases the repository too
                else
                    repository.Dispose();
            }
        }
    }

    public override bool FileExists(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: true)?.Target is Blob);
    }

    public override bool DirectoryExists(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: true)?.Target is GitTree);
    }

    public override byte[] ReadFile(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: true)?.Target switch
        {
            Blob blob => GitPathResolver.ReadBytes(blob),
            GitTree => throw NotAFile(normalized),
            _ => throw NotFound(normalized),
        });
    }

    public override IReadOnlyList<string> ListDirectory(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() =>
        {
            GitObject target = GitPathResolver.Resolve(_root, normalized, followLast: true)?.Target ?? throw NotFound(normalized);
            if (target is not GitTree tree)
                throw NotADirectory(normalized);
            var names = new List<string>();
            foreach (TreeEntry entry in tree)
            {
                if (entry.TargetType == TreeEntryTargetType.Tree)
                    names.Add(entry.Name + "/");
                else if (entry.TargetType == TreeEntryTargetType.Blob)
                    names.Add(entry.Name);
            }
            names.Sort(StringComparer.Ordinal);
            return (IReadOnlyList<string>)names;
        });
    }

    public override string BlobId(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: false)?.Target switch
        {
            Blob blob => blob.Id.Sha,
            GitTree => throw NotAFile(normalized),
            _ => throw NotFound(normalized),
        });
    }

    private protected override void MaterializeCore(string normalizedPath)
    {
        lock (_materializeGate)
        {
            GitPathResolver.Result resolved = WithGit(() => GitPathResolver.Resolve(_root, normalizedPath, followLast: true))
                ?? throw NotFound(normalizedPath);
            _materializer.Write(resolved);
        }
    }

    /// <summary>Runs LibGit2Sharp work under the lock; library failures become "corrupt git repository".</summary>
    internal T WithGit<T>(Func<T> action)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            try
            {
                return action();
            }
            catch (LibGit2SharpException e)
            {
                throw Corrupt(Location, e);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                if (!IsDisposed)
                    _repository.Dispose();
                base.Dispose(disposing);
            }
        }
        else
        {
            base.Dispose(disposing);
        }
    }

    private static Commit ResolveCommit(Repository repository, string location, string? revision)
    {
        string spec = revision ?? "HEAD";
        GitObject? found;
        try
        {
            found = repository.Lookup(spec);
        }
        catch (AmbiguousSpecificationException)
        {
            throw new ImportException($"ambiguous revision {TreeErrors.Show(spec)} in git repository {TreeErrors.Show(location)}");
        }
        catch (Exception e) when (e is InvalidSpecificationException or NotFoundException)
        {
            throw UnknownRevision(repository, location, revision, spec);
        }
        if (found is null)
            throw UnknownRevision(repository, location, revision, spec);
        for (int depth = 0; depth < 16 && found is TagAnnotation tag; depth++)
            found = tag.Target;
        if (found is not Commit commit)
            throw new ImportException($"revision {TreeErrors.Show(spec)} in git repository {TreeErrors.Show(location)} is not a commit");
        _ = commit.Tree.Sha; // loads the commit and its root tree now, so damage shows at Open
        return commit;
    }

    private static ImportException UnknownRevision(Repository repository, string location, string? revision, string spec)
    {
        if (revision is null)
        {
            return repository.Info.IsHeadUnborn
                ? new ImportException($"git repository {TreeErrors.Show(location)} has no commits")
                : new ImportException($"corrupt git repository {TreeErrors.Show(location)}: HEAD does not resolve to a commit");
        }
        return new ImportException($"unknown revision {TreeErrors.Show(spec)} in git repository {TreeErrors.Show(location)}");
    }

    private static ImportException Corrupt(string location, LibGit2SharpException e) =>
        new($"corrupt git repository {TreeErrors.Show(location)}: {TreeErrors.Reason(e.Message)}", e);
}
