// SPDX-License-Identifier: MIT
// Tests that damaged git repositories are reported as "corrupt git repository PATH: ..." ImportExceptions,
// never as LibGit2Sharp exceptions.
using LibGit2Sharp;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Tests.Tree;

public sealed class GitCorruptionTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _repo;
    private readonly string _cache;
    private readonly string _second;

    public GitCorruptionTests()
    {
        _repo = _temp.Combine("linux");
        _cache = _temp.Combine("cache");
        (_, _second) = FakeKernel.CreateRepository(_repo);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void GarbageHead()
    {
        File.WriteAllText(Path.Combine(_repo, ".git", "HEAD"), "this is not a ref\n");
        AssertCorrupt(() => KernelTree.Open(_repo, _cache).Dispose());
    }

    [Fact]
    public void MissingObjectDirectory()
    {
        MakeWritable(Path.Combine(_repo, ".git", "objects"));
        Directory.Delete(Path.Combine(_repo, ".git", "objects"), recursive: true);
        AssertCorrupt(() => KernelTree.Open(_repo, _cache).Dispose());
    }

    [Fact]
    public void GarbledCommitObject()
    {
        Garble(LooseObject(_second));
        AssertCorrupt(() => KernelTree.Open(_repo, _cache).Dispose());
    }

    // The libgit2 inside LibGit2Sharp 0.32 spins forever on truncated loose objects; these must fail instead.
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(0)] // half the file
    public void TruncatedCommitObject(int cut)
    {
        Truncate(LooseObject(_second), cut);
        AssertCorrupt(() => KernelTree.Open(_repo, _cache).Dispose());
        AssertCorrupt(() => KernelTree.Open(_repo + "@HEAD", _cache).Dispose());
        AssertCorrupt(() => KernelTree.Open(_repo + "@" + _second[..8], _cache).Dispose());
        AssertCorrupt(() => KernelTree.Open(_repo + "@HEAD~0", _cache).Dispose());
    }

    [Fact]
    public void TruncatedTreeAndBlobObjects()
    {
        string treeId, blobId;
        using (var repository = new Repository(_repo))
        {
            LibGit2Sharp.Commit second = repository.Lookup<LibGit2Sharp.Commit>(_second);
            treeId = second["drivers/foo"].Target.Id.Sha;
            blobId = second["drivers/foo/foo.c"].Target.Id.Sha;
        }
        Truncate(LooseObject(blobId), 3);
        using (KernelTree tree = KernelTree.Open(_repo, _cache))
            AssertCorrupt(() => tree.ReadFile("drivers/foo/foo.c"));
        Truncate(LooseObject(treeId), 0);
        using (KernelTree tree = KernelTree.Open(_repo, _cache))
        {
            AssertCorrupt(() => tree.ReadFile("drivers/foo/Makefile"));
            AssertCorrupt(() => tree.ListDirectory("drivers/foo"));
            AssertCorrupt(() => tree.Materialize("drivers"));
        }
    }

    [Fact]
    public void GarbledBlobIsReportedWhenRead()
    {
        string blobId;
        using (var repository = new Repository(_repo))
            blobId = repository.Lookup<LibGit2Sharp.Commit>(_second)["drivers/foo/foo.c"].Target.Id.Sha;
        Garble(LooseObject(blobId));
        using KernelTree tree = KernelTree.Open(_repo, _cache);
        Assert.Equal(blobId, tree.BlobId("drivers/foo/foo.c")); // the tree itself is intact
        AssertCorrupt(() => tree.ReadFile("drivers/foo/foo.c"));
        AssertCorrupt(() => tree.Materialize("drivers"));
    }

    [Fact]
    public void GarbledPack()
    {
        string objects = Path.Combine(_repo, ".git", "objects");
        string packDirectory = Path.Combine(objects, "pack");
        using (var repository = new Repository(_repo))
            repository.ObjectDatabase.Pack(new PackBuilderOptions(packDirectory));
        MakeWritable(objects);
        foreach (string loose in Directory.EnumerateDirectories(objects).Where(d => Path.GetFileName(d).Length == 2))
            Directory.Delete(loose, recursive: true);
        string pack = Directory.EnumerateFiles(packDirectory, "*.pack").Single();
        using (KernelTree intact = KernelTree.Open(_repo, _cache))
            Assert.Equal(FakeKernel.FooV2, intact.ReadText("drivers/foo/foo.c")); // the pack alone is enough

        byte[] bytes = File.ReadAllBytes(pack);
        for (int i = 12; i < bytes.Length - 20; i++)
            bytes[i] = (byte)(bytes[i] ^ 0x5a); // keep the header, scramble every object
        File.WriteAllBytes(pack, bytes);
        AssertCorrupt(() => KernelTree.Open(_repo, _temp.Combine("cache2")).Dispose());
    }

    private void AssertCorrupt(Action action)
    {
        var e = Assert.Throws<ImportException>(action);
        Assert.StartsWith($"corrupt git repository {_repo}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.True(e.Message.Length > $"corrupt git repository {_repo}: ".Length + 3, e.Message);
    }

    private string LooseObject(string id)
    {
        string file = Path.Combine(_repo, ".git", "objects", id[..2], id[2..]);
        Assert.True(File.Exists(file), $"expected loose object {file}");
        return file;
    }

    /// <summary>Cuts <paramref name="cut"/> bytes off the end of the file (0: cuts it in half).</summary>
    private static void Truncate(string file, int cut)
    {
        File.SetAttributes(file, FileAttributes.Normal);
        byte[] bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(cut == 0 ? bytes.Length / 2 : bytes.Length - cut)]);
    }

    private static void Garble(string file)
    {
        File.SetAttributes(file, FileAttributes.Normal);
        File.WriteAllBytes(file, "junk junk junk junk junk"u8.ToArray());
    }

    private static void MakeWritable(string directory)
    {
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            File.SetAttributes(file, FileAttributes.Normal);
    }
}
