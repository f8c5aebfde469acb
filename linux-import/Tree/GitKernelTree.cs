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
    private readonly LooseObjectGuard _guard;

    private GitKernelTree(Repository repository, LooseObjectGuard guard, string location, string? revision, Commit commit, string sourceRoot)
        : base(sourceRoot)
    {
        _repository = repository;
        _guard = guard;
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
            LooseObjectGuard guard = LooseObjectGuard.For(repository, location);
            Commit commit = ResolveCommit(repository, guard, location, revision);
            string sourceRoot = Path.Combine(cacheRoot, "trees", "git-" + commit.Sha);
            tree = new GitKernelTree(repository, guard, location, revision, commit, sourceRoot);
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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read git repository {TreeErrors.Show(location)}: {TreeErrors.Reason(e.Message)}", e);
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
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: true, Guard)?.Target is Blob);
    }

    public override bool DirectoryExists(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: true, Guard)?.Target is GitTree);
    }

    public override byte[] ReadFile(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: true, Guard)?.Target switch
        {
            Blob blob => ReadBlob(blob),
            GitTree => throw NotAFile(normalized),
            _ => throw NotFound(normalized),
        });
    }

    public override IReadOnlyList<string> ListDirectory(string path)
    {
        string normalized = NormalizePath(path);
        return WithGit(() =>
        {
            GitObject target = GitPathResolver.Resolve(_root, normalized, followLast: true, Guard)?.Target ?? throw NotFound(normalized);
            if (target is not GitTree tree)
                throw NotADirectory(normalized);
            Guard(tree.Id);
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
        return WithGit(() => GitPathResolver.Resolve(_root, normalized, followLast: false, Guard)?.Target switch
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
            GitPathResolver.Result resolved = WithGit(() => GitPathResolver.Resolve(_root, normalizedPath, followLast: true, Guard))
                ?? throw NotFound(normalizedPath);
            _materializer.Write(resolved);
        }
    }

    /// <summary>Checks an object before libgit2 inflates it (call under the lock).</summary>
    internal void Guard(ObjectId id) => _guard.Check(id);

    /// <summary>Reads a blob's content after checking it (call under the lock).</summary>
    internal byte[] ReadBlob(Blob blob)
    {
        _guard.Check(blob.Id);
        return GitPathResolver.ReadBytes(blob);
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

    private static Commit ResolveCommit(Repository repository, LooseObjectGuard guard, string location, string? revision)
    {
        string spec = revision ?? "HEAD";
        GuardRevision(repository, guard, spec);
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
        {
            found = tag.Target;
            guard.Check(found.Id);
        }
        if (found is not Commit commit)
            throw new ImportException($"revision {TreeErrors.Show(spec)} in git repository {TreeErrors.Show(location)} is not a commit");
        guard.Check(commit.Tree.Id); // reads the commit (checked above) but not yet the tree
        return commit;
    }

    /// <summary>Checks the objects libgit2 will read to resolve <paramref name="spec"/>: the target of a full id or
    /// reference (looked up the way git does), the candidates of an abbreviated id, else every loose object.</summary>
    private static void GuardRevision(Repository repository, LooseObjectGuard guard, string spec)
    {
        if (spec.Length == 40 && spec.All(char.IsAsciiHexDigit))
        {
            guard.Check(new ObjectId(spec));
            return;
        }
        foreach (string name in (string[])[spec, "refs/" + spec, "refs/tags/" + spec, "refs/heads/" + spec, "refs/remotes/" + spec, "refs/remotes/" + spec + "/HEAD"])
        {
            string? target = null;
            try
            {
                target = repository.Refs[name]?.ResolveToDirectReference()?.TargetIdentifier;
            }
            catch (LibGit2SharpException)
            {
                // Not a valid reference name, or a damaged reference: libgit2 reports it below.
            }
            if (target is not null && ObjectId.TryParse(target, out ObjectId? id))
            {
                guard.Check(id);
                return;
            }
        }
        if (spec.Length >= 4 && spec.All(char.IsAsciiHexDigit))
            guard.CheckPrefix(spec.ToLowerInvariant());
        else
            guard.CheckAll();
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
