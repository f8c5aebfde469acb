// SPDX-License-Identifier: MIT
// Tests for kernel trees read from a git repository: revisions, blob ids, agreement with the directory kind,
// materialization under SourceRoot and concurrent reads.
using LibGit2Sharp;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Tests.Tree;

public sealed class GitTreeTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _repo;
    private readonly string _cache;
    private readonly string _first;
    private readonly string _second;

    public GitTreeTests()
    {
        _repo = _temp.Combine("linux");
        _cache = _temp.Combine("cache");
        (_first, _second) = FakeKernel.CreateRepository(_repo);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void DefaultRevisionIsHead()
    {
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        Assert.Equal("git", tree.Kind);
        Assert.Equal(_repo, tree.Location);
        Assert.Null(tree.Revision);
        Assert.Equal(_second, tree.Commit);
        Assert.Equal(FakeKernel.FooV2, tree.ReadText("drivers/foo/foo.c"));
    }

    [Fact]
    public void OlderRevisionsReadOlderContent()
    {
        using KernelTree byId = KernelTree.Open(_repo + "@" + _first, _cache);
        Assert.Equal(_first, byId.Revision);
        Assert.Equal(_first, byId.Commit);
        Assert.Equal(FakeKernel.FooV1, byId.ReadText("drivers/foo/foo.c"));

        using KernelTree byTag = KernelTree.Open(_repo + "@v1", _cache);
        Assert.Equal("v1", byTag.Revision);
        Assert.Equal(_first, byTag.Commit);

        using KernelTree byExpression = KernelTree.Open(_repo + "@HEAD~1", _cache);
        Assert.Equal(_first, byExpression.Commit);

        using KernelTree byShortId = KernelTree.Open(_repo + "@" + _first[..10], _cache);
        Assert.Equal(_first, byShortId.Commit); // always the full id
        Assert.Equal(40, byShortId.Commit!.Length);
    }

    [Fact]
    public void ReadsTheObjectDatabaseNotTheWorkTree()
    {
        File.WriteAllText(Path.Combine(_repo, "drivers/foo/foo.c"), "uncommitted\n");
        File.Delete(Path.Combine(_repo, "Makefile"));
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        Assert.Equal(FakeKernel.FooV2, tree.ReadText("drivers/foo/foo.c"));
        Assert.True(tree.FileExists("Makefile"));
    }

    [Fact]
    public void BlobIdsAreTheRepositorysIds()
    {
        using var repository = new Repository(_repo);
        using KernelTree old = KernelTree.Open(_repo + "@" + _first, _cache);
        using KernelTree head = KernelTree.Open(_repo, _cache);
        LibGit2Sharp.Commit first = repository.Lookup<LibGit2Sharp.Commit>(_first);
        LibGit2Sharp.Commit second = repository.Lookup<LibGit2Sharp.Commit>(_second);
        Assert.Equal(first["drivers/foo/foo.c"].Target.Id.Sha, old.BlobId("drivers/foo/foo.c"));
        Assert.Equal(second["drivers/foo/foo.c"].Target.Id.Sha, head.BlobId("drivers/foo/foo.c"));
        Assert.NotEqual(old.BlobId("drivers/foo/foo.c"), head.BlobId("drivers/foo/foo.c"));
        Assert.Equal(second["include/linux/y.h"].Target.Id.Sha, head.BlobId("include/linux/y.h")); // the link itself
        Assert.Equal(Mode.SymbolicLink, second["include/linux/y.h"].Mode); // the fixture really holds a link
    }

    [Fact]
    public void AgreesWithTheDirectoryKindEntryForEntry()
    {
        string directory = _temp.Combine("linux-source-9.9");
        FakeKernel.Write(directory, FakeKernel.FooV2);
        using KernelTree plain = KernelTree.Open(directory, _cache);
        using KernelTree git = KernelTree.Open(_repo, _cache);
        SortedDictionary<string, string> expected = TreeSnapshot.Take(plain);
        Assert.Equal(expected, TreeSnapshot.Take(git));
        Assert.Contains("drivers/foo/foo.c", expected.Keys);
        Assert.Equal(plain.BlobId("drivers/foo/foo.c"), git.BlobId("drivers/foo/foo.c"));

        FakeKernel.Write(directory = _temp.Combine("v1", "linux-source-9.9"), FakeKernel.FooV1);
        using KernelTree plainOld = KernelTree.Open(directory, _cache);
        using KernelTree gitOld = KernelTree.Open(_repo + "@v1", _cache);
        Assert.Equal(plainOld.BlobId("drivers/foo/foo.c"), gitOld.BlobId("drivers/foo/foo.c"));
    }

    [Fact]
    public void FollowsLinksButNotOutOfTheTree()
    {
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        Assert.Equal(FakeKernel.Header, tree.ReadText("include/linux/y.h"));
        Assert.False(tree.FileExists("include/linux/escape.h"));
        Assert.Contains("not found", Assert.Throws<ImportException>(() => tree.ReadFile("include/linux/escape.h")).Message);
        Assert.True(tree.DirectoryExists("include/linux/../../drivers"));
        Assert.True(tree.DirectoryExists("scripts/prefixes/linux"));
        Assert.False(tree.FileExists("scripts/prefixes/linux"));
        Assert.Equal(FakeKernel.Header, tree.ReadText("scripts/prefixes/linux/x.h"));
        Assert.Equal(["linux"], tree.ListDirectory("scripts/prefixes"));
        Assert.Equal(["empty.h", "escape.h", "x.h", "y.h"], tree.ListDirectory("scripts/prefixes/linux"));
    }

    [Fact]
    public void ErrorsAreImportExceptions()
    {
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        Assert.Equal("path ../etc/passwd is outside the kernel tree",
            Assert.Throws<ImportException>(() => tree.ReadFile("../etc/passwd")).Message);
        var missing = Assert.Throws<ImportException>(() => tree.ReadFile("drivers/foo/bar.c"));
        Assert.Equal($"drivers/foo/bar.c not found in kernel tree {_repo}", missing.Message);
        Assert.Contains("is not a file", Assert.Throws<ImportException>(() => tree.BlobId("drivers")).Message);
        Assert.Contains("not a directory", Assert.Throws<ImportException>(() => tree.ListDirectory("Makefile")).Message);
        Assert.Contains("outside the kernel tree", Assert.Throws<ImportException>(() => tree.Materialize("../x")).Message);
    }

    [Fact]
    public void UnknownRevisionIsReported()
    {
        var e = Assert.Throws<ImportException>(() => KernelTree.Open(_repo + "@no-such-tag", _cache));
        Assert.Equal($"unknown revision no-such-tag in git repository {_repo}", e.Message);
        var blob = Assert.Throws<ImportException>(() => KernelTree.Open(_repo + "@HEAD:Makefile", _cache));
        Assert.Contains("is not a commit", blob.Message);
    }

    [Fact]
    public void RepositoriesWithoutAKernelAreRejected()
    {
        string empty = _temp.Combine("empty");
        Repository.Init(empty);
        Assert.Equal($"git repository {empty} has no commits",
            Assert.Throws<ImportException>(() => KernelTree.Open(empty, _cache)).Message);

        File.WriteAllText(Path.Combine(empty, "README"), "not a kernel\n");
        using (var repository = new Repository(empty))
        {
            Commands.Stage(repository, "README");
            var author = new Signature("Test", "test@example.invalid", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
            repository.Commit("readme", author, author);
        }
        Assert.Equal($"{empty}@HEAD is not a kernel tree (no Makefile and include/linux at its root)",
            Assert.Throws<ImportException>(() => KernelTree.Open(empty + "@HEAD", _cache)).Message);
    }

    [Fact]
    public void OpenMaterializesIncludeAndMaterializeWritesMore()
    {
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        Assert.Equal(Path.Combine(_cache, "trees", "git-" + _second), tree.SourceRoot);
        string root = tree.SourceRoot;
        Assert.Equal(FakeKernel.Header, File.ReadAllText(Path.Combine(root, "include/linux/x.h")));
        Assert.Equal("x.h", new FileInfo(Path.Combine(root, "include/linux/y.h")).LinkTarget);
        Assert.Equal(FakeKernel.Header, File.ReadAllText(Path.Combine(root, "include/linux/y.h")));
        Assert.False(Directory.Exists(Path.Combine(root, "drivers")));

        tree.Materialize("drivers");
        Assert.Equal(FakeKernel.FooV2, File.ReadAllText(Path.Combine(root, "drivers/foo/foo.c")));
        Assert.Equal("obj-m += foo.o\n", File.ReadAllText(Path.Combine(root, "drivers/foo/Makefile")));

        tree.Materialize("scripts/gen.sh");
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Unix file modes are checked on Unix only");
        Assert.True(File.GetUnixFileMode(Path.Combine(root, "scripts/gen.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Contains("not found", Assert.Throws<ImportException>(() => tree.Materialize("nope")).Message);

        tree.Materialize("scripts/prefixes/linux/x.h"); // through a link to a directory
        Assert.Equal("../../include/linux", new DirectoryInfo(Path.Combine(root, "scripts/prefixes/linux")).LinkTarget);
        Assert.Equal(FakeKernel.Header, File.ReadAllText(Path.Combine(root, "scripts/prefixes/linux/x.h")));

        // The older commit gets its own directory with its own content.
        using KernelTree old = KernelTree.Open(_repo + "@v1", _cache);
        old.Materialize("drivers/foo");
        Assert.Equal(FakeKernel.FooV1, File.ReadAllText(Path.Combine(old.SourceRoot, "drivers/foo/foo.c")));
        Assert.NotEqual(root, old.SourceRoot);
    }

    [Fact]
    public void InterruptedMaterializationIsRedone()
    {
        string root;
        using (KernelTree tree = KernelTree.Open(_repo, _cache))
        {
            root = tree.SourceRoot;
            tree.Materialize("drivers");
        }
        // Simulate a run killed half-way: completion markers gone, one file never written.
        Directory.Delete(Path.Combine(root, ".linuxshim"), recursive: true);
        File.Delete(Path.Combine(root, "drivers/foo/foo.c"));
        File.Delete(Path.Combine(root, "include/linux/x.h"));
        using (KernelTree tree = KernelTree.Open(_repo, _cache))
        {
            Assert.Equal(FakeKernel.Header, File.ReadAllText(Path.Combine(root, "include/linux/x.h")));
            tree.Materialize("drivers");
        }
        Assert.Equal(FakeKernel.FooV2, File.ReadAllText(Path.Combine(root, "drivers/foo/foo.c")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void ConcurrentReadsAgree()
    {
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        string[] paths = ["drivers/foo/foo.c", "include/linux/x.h", "include/linux/y.h", "Makefile", "scripts/gen.sh"];
        var results = new string[400];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            string path = paths[i % paths.Length];
            results[i] = tree.ReadText(path) + tree.BlobId(path) + tree.ListDirectory("include/linux").Count;
            if (i % 50 == 0)
                tree.Materialize("drivers");
        });
        for (int i = 0; i < results.Length; i++)
        {
            string path = paths[i % paths.Length];
            Assert.Equal(tree.ReadText(path) + tree.BlobId(path) + "4", results[i]);
        }
    }
}
