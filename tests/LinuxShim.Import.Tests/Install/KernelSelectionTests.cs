// SPDX-License-Identifier: MIT
// Tests of kernel selection on fake system roots: a source tree is always paired with the build
// directory of its own version, a port takes the newest installed series it supports (compared exactly:
// 6.12 is no 6.1), --kernel chooses among installed ones, and every way of not having a kernel is one line
// naming what is missing and the Debian package that provides it.
using LinuxShim.Import.Install;
using LinuxShim.Import.Port;

namespace LinuxShim.Import.Tests.Install;

public sealed class KernelSelectionTests : IDisposable
{
    private readonly FakeInstall _root = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("linuxshim-selection-cache-").FullName;

    public void Dispose()
    {
        _root.Dispose();
        Directory.Delete(_cache, recursive: true);
    }

    private static readonly KernelVersion V61 = new(6, 1), V612 = new(6, 12);

    private KernelRequest Request(string? linux = null, string? build = null, KernelVersion? kernel = null, params KernelVersion[] supported) =>
        new() { Linux = linux, Build = build, Kernel = kernel, Supported = supported, SupportedBy = "ports/foo", Root = _root.Root };

    private KernelPair Open(KernelRequest request)
    {
        var pair = KernelInputs.Open(request, _cache);
        pair.Tree.Dispose();
        return pair;
    }

    private string Fails(KernelRequest request)
    {
        var e = Assert.Throws<ImportException>(() => Open(request));
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void NothingAskedTakesTheNewestInstalledPairAndSaysSo()
    {
        _root.WithBoth();
        var pair = Open(Request());
        Assert.Equal(new KernelVersion(6, 12, 118), pair.Version);
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-source-6.12"), pair.Tree.Location);
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-headers-6.12.118+deb12-amd64"), pair.Build.Path);
        Assert.True(pair.Defaulted);
        Assert.Equal($"Linux 6.12.118: {pair.Tree.Location} with {pair.Build.Path} (the newest installed pair; installed: 6.1, 6.12; --kernel MAJOR.MINOR takes another)", pair.Choice);
    }

    [Fact]
    public void KernelOptionChoosesAmongTheInstalled()
    {
        _root.WithBoth();
        var pair = Open(Request(kernel: V61));
        Assert.Equal(new KernelVersion(6, 1, 192), pair.Version);
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-source-6.1"), pair.Tree.Location);
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-headers-6.1.0-57-amd64"), pair.Build.Path);
        Assert.EndsWith("(--kernel 6.1)", pair.Choice);
    }

    [Fact]
    public void APortFor61NeverTakes612AndTakesTheNewestPatchLevel()
    {
        _root.WithBoth();
        // Two 6.1 ABIs side by side; their names sort the other way round from their patch levels.
        _root.Headers("6.1.0-9", "6.1.190", "6.1");
        var pair = Open(Request(supported: V61));
        Assert.Equal(new KernelVersion(6, 1, 192), pair.Version);
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-headers-6.1.0-57-amd64"), pair.Build.Path);
        Assert.Contains("the newest installed that ports/foo supports", pair.Choice);

        pair = Open(Request(supported: [V61, V612]));
        Assert.Equal(new KernelVersion(6, 12, 118), pair.Version);
    }

    [Fact]
    public void AGivenTreeIsPairedWithTheBuildOfItsVersion()
    {
        _root.WithBoth();
        string source61 = Path.Combine(_root.UsrSrc, "linux-source-6.1");
        var pair = Open(Request(linux: source61));
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-headers-6.1.0-57-amd64"), pair.Build.Path);
        Assert.Contains("(--linux) with", pair.Choice);
        Assert.Contains("(the installed build directory of Linux 6.1)", pair.Choice);

        string build612 = Path.Combine(_root.UsrSrc, "linux-headers-6.12.118+deb12-amd64");
        pair = Open(Request(build: build612));
        Assert.Equal(Path.Combine(_root.UsrSrc, "linux-source-6.12"), pair.Tree.Location);
        Assert.Contains("(the installed source of Linux 6.12)", pair.Choice);
    }

    [Fact]
    public void AMismatchedPairIsRefusedNamingBothVersions()
    {
        _root.WithBoth();
        string message = Fails(Request(linux: Path.Combine(_root.UsrSrc, "linux-source-6.12"), build: Path.Combine(_root.UsrSrc, "linux-headers-6.1.0-57-amd64")));
        Assert.Contains("is Linux 6.12.118 but the build directory", message);
        Assert.Contains("is configured for Linux 6.1.192", message);
    }

    [Fact]
    public void KernelOptionThatContradictsTheGivenPairIsRefused()
    {
        _root.WithBoth();
        string message = Fails(Request(linux: Path.Combine(_root.UsrSrc, "linux-source-6.1"), kernel: V612));
        Assert.Contains("--kernel 6.12 asks for Linux 6.12", message);
        Assert.Contains("is Linux 6.1.192", message);
    }

    [Fact]
    public void APortForAVersionNotInstalledNamesThePackages()
    {
        _root.Source("6.1", 192);
        _root.Headers("6.1.0-57", "6.1.192", "6.1");
        string message = Fails(Request(supported: V612));
        Assert.Equal($"ports/foo supports Linux 6.12, and the installed ones under {_root.Root} are 6.1: install linux-source-6.12 and linux-headers-6.12-amd64", message);

        message = Fails(Request(kernel: V612));
        Assert.Equal($"Linux 6.12 is not installed under {_root.Root} (installed: 6.1): install linux-source-6.12 and linux-headers-6.12-amd64", message);
    }

    [Fact]
    public void ASourceWithoutHeadersNamesTheHeadersPackage()
    {
        _root.Source("6.1", 192);
        _root.Headers("6.1.0-57", "6.1.192", "6.1");
        _root.SourceTarball("6.12");
        Assert.EndsWith(": install linux-headers-6.12-amd64", Fails(Request(kernel: V612)));
        var e = Fails(Request(linux: Path.Combine(_root.UsrSrc, "linux-source-6.1")) with { Root = Path.Combine(_root.Root, "elsewhere") });
        Assert.Equal($"no configured build directory for Linux 6.1 (the version of {Path.Combine(_root.UsrSrc, "linux-source-6.1")}) is installed under {Path.Combine(_root.Root, "elsewhere")}: install linux-headers-amd64, or pass --build DIR", e);
    }

    [Fact]
    public void AGivenBuildWithoutItsSourceNamesTheSourcePackage()
    {
        string build = _root.Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12");
        Assert.EndsWith(": install linux-source-6.12, or pass --linux PATH", Fails(Request(build: build)));
    }

    [Fact]
    public void NothingInstalledNamesDebian12sKernel()
    {
        Assert.Equal($"no kernel source tree with its configured build directory is installed under {_root.Root}: install linux-source-6.1 and linux-headers-amd64, or pass --linux PATH and --build DIR",
            Fails(Request()));
    }

    [Fact]
    public void HeadersWithoutTheirCommonPackageAreHalfInstalled()
    {
        _root.Source("6.12", 118);
        string dir = _root.Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12", common: false);
        string message = Fails(Request(kernel: V612));
        Assert.Contains($"{dir} is half-installed: its Makefile includes {_root.UsrSrc}/linux-headers-6.12.118+deb12-common/Makefile, which is missing (install linux-headers-6.12.118+deb12-common)", message);
    }

    [Fact]
    public void HeadersWithoutKbuildAreHalfInstalled()
    {
        _root.Source("6.12", 118);
        string dir = _root.Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12", scripts: false);
        string message = Fails(Request(supported: V612));
        Assert.EndsWith($"{dir} is half-installed: scripts links to {_root.Root}/usr/lib/linux-kbuild-6.12.118+deb12/scripts, which is missing (install linux-kbuild-6.12.118+deb12)", message);
        // Given as the tree's partner, the same line.
        message = Fails(Request(linux: Path.Combine(_root.UsrSrc, "linux-source-6.12")));
        Assert.Contains("install linux-kbuild-6.12.118+deb12", message);
    }

    [Fact]
    public void HeadersWithoutModuleSymversAreHalfInstalled()
    {
        _root.Source("6.12", 118);
        string dir = _root.Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12", symvers: false);
        Assert.Contains($"{dir} is half-installed: Module.symvers is missing (reinstall linux-headers-6.12.118+deb12-amd64)", Fails(Request()));
    }

    [Fact]
    public void AHalfInstalledAbiBesideAWholeOneIsPassedOver()
    {
        _root.WithBoth();
        _root.Headers("6.12.200+deb12", "6.12.200+deb12-amd64", "6.12.200+deb12", common: false);
        var pair = Open(Request(kernel: V612));
        Assert.Equal(new KernelVersion(6, 12, 118), pair.Version);
    }

    [Fact]
    public void OtherFlavoursAreNotDefaults()
    {
        _root.Source("6.12", 118);
        _root.Headers("6.12.118+deb12-cloud", "6.12.118+deb12-cloud-amd64", "6.12.118+deb12");
        Assert.Contains("install linux-headers-6.12-amd64", Fails(Request()));
    }

    [Fact]
    public void TheRunningKernelsBuildDirectoryCounts()
    {
        string headers = _root.Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12");
        string modules = Path.Combine(_root.Root, "lib/modules/6.12.118+deb12-amd64");
        Directory.CreateDirectory(modules);
        Directory.CreateSymbolicLink(Path.Combine(modules, "build"), headers);
        Assert.Single(InstalledKernels.Find(_root.Root, "6.12.118+deb12-amd64").Builds); // the same directory as /usr/src's, once

        // Outside Debian: a whole configured tree as the running kernel's build directory is source and build.
        using var other = new FakeInstall();
        string tree = Path.Combine(other.Root, "lib/modules/6.13.2/build");
        var source = other.Source("6.13", 2);
        Directory.CreateDirectory(Path.GetDirectoryName(tree)!);
        Directory.Move(source, tree);
        foreach (var (file, text) in new[] { ("include/generated/autoconf.h", ""), ("include/config/auto.conf", ""), ("Module.symvers", ""), ("include/config/kernel.release", "6.13.2\n") })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(tree, file))!);
            File.WriteAllText(Path.Combine(tree, file), text);
        }
        var installed = InstalledKernels.Find(other.Root, "6.13.2");
        Assert.Equal([tree], installed.Builds.Select(b => b.Path));
        Assert.Equal([tree], installed.Sources.Select(s => s.Path));
        Assert.Equal([new KernelVersion(6, 13)], installed.CompleteSeries);
        Assert.Empty(InstalledKernels.Find(other.Root, null).Builds); // another running kernel: not this one's
    }

    [Fact]
    public void SourcesAreFoundByNameDirectoryBeforeTarball()
    {
        _root.SourceTarball("6.12");
        string dir = _root.Source("6.12", 118);
        _root.SourceTarball("6.1");
        Directory.CreateDirectory(Path.Combine(_root.UsrSrc, "linux-source-unknown"));
        var installed = InstalledKernels.Find(_root.Root, null);
        Assert.Equal([(V61, "linux-source-6.1.tar.xz"), (V612, "linux-source-6.12"), (V612, "linux-source-6.12.tar.xz")],
            installed.Sources.Select(s => (s.Version, Path.GetFileName(s.Path))));
        Assert.Equal(dir, installed.SourceFor(new KernelVersion(6, 12, 5))!.Path);
    }

    [Fact]
    public void ATreeWithoutAVersionCannotBePaired()
    {
        _root.WithBoth();
        string tree = Path.Combine(_root.Root, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "include/linux"));
        File.WriteAllText(Path.Combine(tree, "Makefile"), "all:\n");
        Assert.Contains("cannot tell which Linux version", Fails(Request(linux: tree)));
    }
    [Fact]
    public void AHalfInstalledBuildDirectoryGivenWithBuildIsNamedBeforeKbuildTripsOnIt()
    {
        string source = _root.Source("6.12", 118);
        string dir = _root.Headers("6.12.118+deb12", "6.12.118+deb12-amd64", "6.12.118+deb12", common: false);
        string message = Fails(Request(linux: source, build: dir));
        Assert.Equal($"{dir} is half-installed: its Makefile includes {_root.UsrSrc}/linux-headers-6.12.118+deb12-common/Makefile, which is missing (install linux-headers-6.12.118+deb12-common)", message);
    }

    [Fact]
    public void ADamagedSourceTarballNamesThePackageToReinstall()
    {
        string tarball = _root.SourceTarball("6.1");
        _root.Headers("6.1.0-57", "6.1.192", "6.1");
        string message = Fails(Request(kernel: V61));
        Assert.StartsWith($"cannot extract tarball {tarball}: ", message);
        Assert.EndsWith(" (reinstall linux-source-6.1)", message);
    }

    [Fact]
    public void MissingKernelsCarryThePackagesThatProvideThem()
    {
        var e = Assert.Throws<ImportException>(() => Open(Request()));
        Assert.Equal(["linux-source-6.1", "linux-headers-amd64"], e.Packages);
        // A port that supports Debian's own kernel gets it (its headers need no kernel image), one that does not gets its newest.
        e = Assert.Throws<ImportException>(() => Open(Request(supported: [V61, V612])));
        Assert.Equal(["linux-source-6.1", "linux-headers-amd64"], e.Packages);
        e = Assert.Throws<ImportException>(() => Open(Request(supported: V612)));
        Assert.Equal(["linux-source-6.12", "linux-headers-6.12-amd64"], e.Packages);
        _root.Source("6.12", 118);
        e = Assert.Throws<ImportException>(() => Open(Request(linux: Path.Combine(_root.UsrSrc, "linux-source-6.12"))));
        Assert.Equal(["linux-headers-6.12-amd64"], e.Packages);
    }
}
