// SPDX-License-Identifier: MIT
// Tests for BuildDirectory: validation errors, release/arch detection, default lookup and the real Debian headers.
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
    public void FindDefaultOrder()
    {
        string usrSrc = Path.Combine(_root, "usr/src");
        string modules = Path.Combine(_root, "lib/modules");
        Directory.CreateDirectory(Path.Combine(modules, "6.9.0-test/build"));

        Assert.Equal("/my/build", BuildDirectory.FindDefault("/my/build", usrSrc, modules, "6.9.0-test", out string how));
        Assert.Contains(BuildDirectory.EnvironmentVariable, how);

        Assert.Equal(Path.Combine(modules, "6.9.0-test", "build"), BuildDirectory.FindDefault(null, usrSrc, modules, "6.9.0-test", out how));
        Assert.Contains("6.9.0-test/build", how);

        foreach (string d in new[] { "linux-headers-6.1.0-9-amd64", "linux-headers-6.1.0-56-amd64", "linux-headers-6.1.0-56-common", "linux-headers-6.1.0-10-amd64" })
            Directory.CreateDirectory(Path.Combine(usrSrc, d));
        Assert.Equal(Path.Combine(usrSrc, "linux-headers-6.1.0-56-amd64"), BuildDirectory.FindDefault("", usrSrc, modules, "6.9.0-test", out how));
        Assert.Contains("linux-headers", how);

        Assert.Null(BuildDirectory.FindDefault(null, Path.Combine(_root, "none"), Path.Combine(_root, "none"), "x", out how));
        Assert.Contains("no " + BuildDirectory.EnvironmentVariable, how);
    }

    // CI installs Debian's linux-headers-*-amd64 package; these are its real files.
    [Fact]
    public void RealDebianHeaders()
    {
        string? path = BuildDirectory.FindDefault(null, "/usr/src", "/nonexistent", null, out string how);
        Assert.True(path != null, $"no /usr/src/linux-headers-*-amd64 ({how}); install the linux-headers-amd64 package");
        var b = BuildDirectory.Open(path);
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
