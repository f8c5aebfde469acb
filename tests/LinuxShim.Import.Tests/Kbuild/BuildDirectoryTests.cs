// SPDX-License-Identifier: MIT
// Tests for BuildDirectory: validation errors, release/arch detection, default lookup and the real Debian headers.
using LinuxShim.Import.Install;
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kbuild;

public sealed class BuildDirectoryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("linuxshim-kbuild-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private string MakeBuildDir(string name)
    {
        Write($"{name}/include/generated/autoconf.h", "#define CONFIG_NET 1\n");
        Write($"{name}/include/config/auto.conf", "CONFIG_NET=y\nCONFIG_E1000=m\n");
        Write($"{name}/Module.symvers", "0x12345678\tnetif_rx\tvmlinux\tEXPORT_SYMBOL\t\n");
        return Path.Combine(_root, name);
    }

    [Fact]
    public void MissingDirectory()
    {
        string dir = Path.Combine(_root, "nope");
        var e = Assert.Throws<ImportException>(() => BuildDirectory.Open(dir));
        Assert.Equal($"build directory {dir} does not exist", e.Message);
    }

    [Fact]
    public void UnconfiguredDirectory()
    {
        Directory.CreateDirectory(Path.Combine(_root, "b"));
        var e = Assert.Throws<ImportException>(() => BuildDirectory.Open(Path.Combine(_root, "b")));
        Assert.Equal($"{Path.Combine(_root, "b")} is not a configured kernel build directory: include/generated/autoconf.h is missing (run make oldconfig && make prepare)", e.Message);
    }

    [Fact]
    public void MissingAutoConf()
    {
        Write("b/include/generated/autoconf.h", "");
        var e = Assert.Throws<ImportException>(() => BuildDirectory.Open(Path.Combine(_root, "b")));
        Assert.Contains("include/config/auto.conf is missing", e.Message);
    }

    [Fact]
    public void MissingSymvers()
    {
        string dir = MakeBuildDir("b");
        File.Delete(Path.Combine(dir, "Module.symvers"));
        var e = Assert.Throws<ImportException>(() => BuildDirectory.Open(dir));
        Assert.Equal($"{dir} is not a configured kernel build directory: Module.symvers is missing (run make modules or install the linux-headers package)", e.Message);
    }

    [Fact]
    public void ReadsReleaseConfigSymversAndArch()
    {
        string dir = MakeBuildDir("b");
        Write("b/include/generated/utsrelease.h", "#define UTS_RELEASE \"6.1.0-99-amd64\"\n");
        Write("b/include/config/kernel.release", "6.1.999\n");
        Write("b/Makefile", "include /somewhere/Makefile\noverride ARCH = arm64\n");
        var b = BuildDirectory.Open(dir);
        Assert.Equal(dir, b.Path);
        Assert.Equal("6.1.0-99-amd64", b.KernelRelease);
        Assert.Equal("arm64", b.Arch);
        Assert.True(b.Config.IsModule("CONFIG_E1000"));
        Assert.True(b.Symvers.TryGet("netif_rx", out var e));
        Assert.Equal("EXPORT_SYMBOL", e.ExportType);
    }

    [Fact]
    public void ReleaseFallsBackToKernelReleaseAndArchDefaultsToX86()
    {
        string dir = MakeBuildDir("b");
        Write("b/include/config/kernel.release", "6.1.42\n");
        var b = BuildDirectory.Open(dir);
        Assert.Equal("6.1.42", b.KernelRelease);
        Assert.Equal("x86", b.Arch);
    }

    [Fact]
    public void NoReleaseIsImportException()
    {
        var b = BuildDirectory.Open(MakeBuildDir("b"));
        var e = Assert.Throws<ImportException>(() => b.KernelRelease);
        Assert.Contains("no kernel release", e.Message);
    }

    [Fact]
    public void VersionFromKernelReleaseThenMakefileThenUtsRelease()
    {
        string dir = MakeBuildDir("b");
        Write("b/include/generated/utsrelease.h", "#define UTS_RELEASE \"6.1.0-57-amd64\"\n");
        Assert.Equal(new KernelVersion(6, 1, 0), BuildDirectory.Open(dir).Version); // Debian's ABI number, the last resort
        string common = Write("common/Makefile", "# top\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\n");
        Write("b/Makefile", $"include {common}\n");
        Assert.Equal(new KernelVersion(6, 1, 192), BuildDirectory.Open(dir).Version);
        Write("b/include/config/kernel.release", "6.12.118+deb12-amd64\n");
        Assert.Equal(new KernelVersion(6, 12, 118), BuildDirectory.Open(dir).Version);
    }

    [Fact]
    public void NoVersionIsImportException()
    {
        var e = Assert.Throws<ImportException>(() => BuildDirectory.Open(MakeBuildDir("b")).Version);
        Assert.Contains("cannot tell which Linux version", e.Message);
    }

    // CI installs Debian's linux-headers-amd64 package (6.1); these are its real files.
    [Fact]
    public void RealDebianHeaders()
    {
        string? path = InstalledKernels.Find().BuildFor(new KernelVersion(6, 1))?.Path;
        Assert.True(path != null, "no /usr/src/linux-headers-6.1*-amd64; install the linux-headers-amd64 package");
        var b = BuildDirectory.Open(path);
        Assert.Equal(6, b.Version.Major);
        Assert.Equal(1, b.Version.Minor);
        Assert.True(b.Version.Patch > 100, $"{b.Version}: the upstream patch level, not Debian's ABI number");
        Assert.Equal(Path.GetFileName(path), "linux-headers-" + b.KernelRelease);
        Assert.Equal("x86", b.Arch);
        Assert.Equal("m", b.Config["CONFIG_8139TOO"]);
        Assert.True(b.Config.IsBuiltIn("CONFIG_NET"));
        Assert.True(b.Config.Values.Count > 1000);
        Assert.True(b.Symvers.TryGet("netif_rx", out var e));
        Assert.Equal(new SymbolExport("netif_rx", "vmlinux", "EXPORT_SYMBOL", ""), e with { Crc = 0 });
        Assert.True(b.Symvers.Count > 10000);
    }
}
