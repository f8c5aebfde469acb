// SPDX-License-Identifier: MIT
// Tests for kernel trees given as a plain source directory, and for the errors Open reports on bad paths.
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Tests.Tree;

public sealed class DirectoryTreeTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _source;

    public DirectoryTreeTests()
    {
        _source = _temp.Combine("linux-source-9.9");
        FakeKernel.Write(_source);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReadsFilesAndDescribesItself()
    {
        using KernelTree tree = KernelTree.Open(_source, _temp.Combine("cache"));
        Assert.Equal("directory", tree.Kind);
        Assert.Equal(_source, tree.Location);
        Assert.Null(tree.Revision);
        Assert.Null(tree.Commit);
        Assert.Equal(_source, tree.SourceRoot);
        Assert.Equal(FakeKernel.FooV2, tree.ReadText("drivers/foo/foo.c"));
        Assert.Equal(FakeKernel.Header, tree.ReadText("include/linux/y.h")); // symbolic link followed
        Assert.True(tree.FileExists("drivers/foo/Makefile"));
        Assert.False(tree.FileExists("drivers/foo"));
        Assert.True(tree.DirectoryExists("drivers/foo"));
        Assert.False(tree.DirectoryExists("drivers/foo/foo.c"));
        Assert.False(tree.FileExists("include/linux/escape.h"));
        Assert.False(Directory.Exists(_temp.Combine("cache")));
    }

    [Fact]
    public void ListsSortedWithDirectorySlashes()
    {
        using KernelTree tree = KernelTree.Open(_source);
        Assert.Equal(["Makefile", "drivers/", "include/", "scripts/"], tree.ListDirectory(""));
        Assert.Equal(["empty.h", "escape.h", "x.h", "y.h"], tree.ListDirectory("include/linux/"));
        Assert.Equal(["gen.sh", "prefixes/"], tree.ListDirectory("scripts"));
        Assert.Equal(["linux"], tree.ListDirectory("scripts/prefixes")); // links never get a slash
        Assert.True(tree.DirectoryExists("scripts/prefixes/linux"));
    }

    [Fact]
    public void BlobIdsAreGitIds()
    {
        using KernelTree tree = KernelTree.Open(_source);
        Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", tree.BlobId("include/linux/empty.h")); // git's empty blob
        string before = tree.BlobId("drivers/foo/foo.c");
        File.WriteAllText(Path.Combine(_source, "drivers/foo/foo.c"), FakeKernel.FooV1 + "// longer\n");
        Assert.NotEqual(before, tree.BlobId("drivers/foo/foo.c")); // cache notices the change
        // A link is hashed as its target text, as git stores it.
        Assert.Equal(KnownBlobId("x.h"), tree.BlobId("include/linux/y.h"));
    }

    [Fact]
    public void MissingFilesAndEscapesAreImportErrors()
    {
        using KernelTree tree = KernelTree.Open(_source);
        var missing = Assert.Throws<ImportException>(() => tree.ReadFile("drivers/nope.c"));
        Assert.Contains("drivers/nope.c not found", missing.Message);
        Assert.Contains(_source, missing.Message);
        Assert.Contains("is not a file", Assert.Throws<ImportException>(() => tree.ReadFile("drivers")).Message);
        Assert.Contains("outside the kernel tree", Assert.Throws<ImportException>(() => tree.ReadFile("../etc/passwd")).Message);
        Assert.Contains("outside the kernel tree", Assert.Throws<ImportException>(() => tree.FileExists("../linux-source-9.9/Makefile")).Message);
        Assert.Contains("not found", Assert.Throws<ImportException>(() => tree.ListDirectory("nope")).Message);
        Assert.Contains("not a directory", Assert.Throws<ImportException>(() => tree.ListDirectory("Makefile")).Message);
    }

    [Fact]
    public void OpenRejectsBadPaths()
    {
        string missing = _temp.Combine("does-not-exist");
        Assert.Equal($"kernel tree {missing} does not exist", Assert.Throws<ImportException>(() => KernelTree.Open(missing)).Message);

        string notKernel = _temp.Combine("empty");
        Directory.CreateDirectory(notKernel);
        File.WriteAllText(Path.Combine(notKernel, "Makefile"), "all:\n");
        var e = Assert.Throws<ImportException>(() => KernelTree.Open(notKernel));
        Assert.Equal($"{notKernel} is not a kernel tree (no Makefile and include/linux at its root)", e.Message);

        var revision = Assert.Throws<ImportException>(() => KernelTree.Open(_source + "@v1"));
        Assert.Contains("not a git repository", revision.Message);

        string text = _temp.Combine("notes.txt");
        File.WriteAllText(text, "hello");
        Assert.Contains("is not a kernel tree", Assert.Throws<ImportException>(() => KernelTree.Open(text)).Message);
    }

    /// <summary>The id git itself gives <paramref name="content"/> (via a scratch repository).</summary>
    private string KnownBlobId(string content)
    {
        string directory = _temp.Combine("ids-" + Guid.NewGuid().ToString("N"));
        LibGit2Sharp.Repository.Init(directory);
        using var repository = new LibGit2Sharp.Repository(directory);
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
        return repository.ObjectDatabase.CreateBlob(stream).Sha;
    }
}
