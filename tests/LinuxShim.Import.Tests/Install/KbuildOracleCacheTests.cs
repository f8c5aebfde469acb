// SPDX-License-Identifier: MIT
// Tests of verify's Kbuild answers cache with a stand-in Kbuild (a build directory whose Makefile builds
// one .ko with an undefined symbol, or fails while a marker file exists): only answers of builds that
// succeeded are kept, so a transient failure is never replayed, and --no-cache replaces what was kept.
using LinuxShim.Import.Tree;
using LinuxShim.Import.Verify;

namespace LinuxShim.Import.Tests.Install;

public sealed class KbuildOracleCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-oracle-cache-").FullName;
    private string Marker => Path.Combine(_dir, "fail");
    private string Cache => Path.Combine(_dir, "cache");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (Dictionary<string, SortedSet<string>> Modules, IReadOnlyList<string> Failures, int Builds) Verify(string symbol, bool readCache = true)
    {
        string build = Path.Combine(_dir, "build");
        Directory.CreateDirectory(build);
        File.WriteAllText(Path.Combine(build, "Makefile"),
            $"modules:\n\t@test ! -e {Marker} || (echo 'error: gcc: broken pipe' >&2; exit 1)\n"
            + $"\t@echo 'extern void {symbol}(void); void foo(void) {{ {symbol}(); }}' | gcc -x c -c -o $(M)/foo.ko -\n");
        string source = Path.Combine(_dir, "linux");
        Directory.CreateDirectory(Path.Combine(source, "include/linux"));
        Directory.CreateDirectory(Path.Combine(source, "drivers/foo"));
        File.WriteAllText(Path.Combine(source, "Makefile"), "VERSION = 9\nPATCHLEVEL = 9\n");
        File.WriteAllText(Path.Combine(source, "drivers/foo/Makefile"), "obj-m += foo.o\n");
        using var tree = KernelTree.Open(source, Path.Combine(_dir, "trees"));
        int builds = 0;
        var modules = KbuildOracle.BuildEach(tree, build, "config", ["drivers/foo"], Path.Combine(_dir, "work"), Cache, out var failures,
            _ => builds++, readCache: readCache);
        return (modules, failures, builds);
    }

    [Fact]
    public void AFailedBuildIsNotKeptAndASuccessfulOneIs()
    {
        File.WriteAllText(Marker, "");
        var (modules, failures, builds) = Verify("bar");
        Assert.Equal(1, builds);
        Assert.Equal(["drivers/foo: error: gcc: broken pipe"], failures);
        Assert.Empty(modules);
        Assert.False(Directory.Exists(Cache) && Directory.EnumerateFiles(Cache).Any(), "a failure was kept");

        File.Delete(Marker);
        (modules, failures, builds) = Verify("bar");
        Assert.Equal(1, builds); // built again, not replayed
        Assert.Empty(failures);
        Assert.Equal(["bar"], modules["foo"]);

        // Kept: the same answer without running Kbuild, even while Kbuild would fail now.
        File.WriteAllText(Marker, "");
        (modules, failures, builds) = Verify("bar");
        Assert.Equal(0, builds);
        Assert.Empty(failures);
        Assert.Equal(["bar"], modules["foo"]);
    }

    [Fact]
    public void NoCacheBuildsAgainAndReplacesWhatWasKept()
    {
        Assert.Equal(["bar"], Verify("bar").Modules["foo"]);
        var (modules, _, builds) = Verify("baz", readCache: false);
        Assert.Equal(1, builds);
        Assert.Equal(["baz"], modules["foo"]);
        (modules, _, builds) = Verify("qux");
        Assert.Equal(0, builds);
        Assert.Equal(["baz"], modules["foo"]); // the replaced answer (the stand-in's Makefile is not part of the key)
    }
}
