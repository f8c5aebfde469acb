// SPDX-License-Identifier: MIT
// Tests for kernel trees given as a linux-source-*.tar.xz tarball: one extraction into the cache, the same
// content and blob ids as the directory it was made from, and clear errors for broken tarballs.
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Tests.Tree;

public sealed class TarballTreeTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _source;
    private readonly string _tarball;
    private readonly string _cache;

    public TarballTreeTests()
    {
        _source = _temp.Combine("linux-source-9.9");
        FakeKernel.Write(_source);
        _tarball = _temp.Combine("linux-source-9.9.tar.xz");
        FakeKernel.CreateTarball(_source, _tarball);
        _cache = _temp.Combine("cache");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ALinkToTheTarballSharesItsExtractionAndAnotherVersionHasItsOwn()
    {
        string link = _temp.Combine("sysroot", "linux-source-9.9.tar.xz");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, _tarball);
        string other = _temp.Combine("v10", "linux-source-9.9");
        FakeKernel.Write(other);
        File.WriteAllText(Path.Combine(other, "Makefile"), "VERSION = 9\nPATCHLEVEL = 10\nSUBLEVEL = 3\n");
        string otherTarball = _temp.Combine("v10", "linux-source-9.10.tar.xz");
        FakeKernel.CreateTarball(other, otherTarball);

        using KernelTree tarball = KernelTree.Open(_tarball, _cache);
        using KernelTree linked = KernelTree.Open(link, _cache);
        using KernelTree newer = KernelTree.Open(otherTarball, _cache);
        Assert.Equal(tarball.SourceRoot, linked.SourceRoot);
        Assert.Equal(link, linked.Location);
        Assert.NotEqual(tarball.SourceRoot, newer.SourceRoot);
        Assert.Equal(new LinuxShim.Import.Install.KernelVersion(9, 9), tarball.Version);
        Assert.Equal(new LinuxShim.Import.Install.KernelVersion(9, 10, 3), newer.Version);
    }

    [Fact]
    public void ReadsTheSameAsTheDirectory()
    {
        using KernelTree plain = KernelTree.Open(_source, _cache);
        using KernelTree tarball = KernelTree.Open(_tarball, _cache);
        Assert.Equal("tarball", tarball.Kind);
        Assert.Equal(_tarball, tarball.Location);
        Assert.Null(tarball.Revision);
        Assert.Null(tarball.Commit);
        Assert.StartsWith(Path.Combine(_cache, "trees", "tarball-"), tarball.SourceRoot);
        Assert.Equal(FakeKernel.FooV2, File.ReadAllText(Path.Combine(tarball.SourceRoot, "drivers/foo/foo.c")));
        Assert.Equal(FakeKernel.FooV2, tarball.ReadText("drivers/foo/foo.c"));
        Assert.Equal(TreeSnapshot.Take(plain), TreeSnapshot.Take(tarball));
        Assert.Contains("outside the kernel tree", Assert.Throws<ImportException>(() => tarball.ReadFile("../etc/passwd")).Message);
    }

    [Fact]
    public void ExtractsOnlyOnce()
    {
        string root;
        using (KernelTree first = KernelTree.Open(_tarball, _cache))
            root = first.SourceRoot;
        File.WriteAllText(Path.Combine(root, "sentinel"), "kept");
        using (KernelTree second = KernelTree.Open(_tarball, _cache))
        {
            Assert.Equal(root, second.SourceRoot);
            Assert.True(second.FileExists("sentinel")); // the earlier extraction was reused
        }
        Assert.Single(Directory.GetDirectories(Path.Combine(_cache, "trees")));

        // A changed tarball (new modification time) is a different cache entry.
        File.SetLastWriteTimeUtc(_tarball, DateTime.UtcNow.AddMinutes(-5));
        using KernelTree third = KernelTree.Open(_tarball, _cache);
        Assert.NotEqual(root, third.SourceRoot);
        Assert.False(third.FileExists("sentinel"));
    }

    [Fact]
    public void UnreadableTarball()
    {
        string bad = _temp.Combine("linux-source-bad.tar.xz");
        File.WriteAllText(bad, "this is not xz data");
        var e = Assert.Throws<ImportException>(() => KernelTree.Open(bad, _cache));
        Assert.StartsWith($"cannot extract tarball {bad}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_cache, "trees"))); // no half extraction left behind
    }

    [Fact]
    public void TarballWithoutKernel()
    {
        string other = _temp.Combine("other", "linux-source-9.9");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "README"), "nothing here\n");
        string tarball = _temp.Combine("other.tar.gz");
        FakeKernel.Run("tar", "-czf", tarball, "-C", Path.GetDirectoryName(other)!, "linux-source-9.9");
        var e = Assert.Throws<ImportException>(() => KernelTree.Open(tarball, _cache));
        Assert.Contains("is not a kernel tree", e.Message);
        Assert.Contains(tarball, e.Message);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_cache, "trees")));
    }
}
