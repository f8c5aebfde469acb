// SPDX-License-Identifier: MIT
// Tests of which kernel a port is built and run with, on fake system roots: `run` never rebuilds a port
// for another kernel than its build's without saying so; `port build` for a version not installed and
// scan's defaults each say, in one line, what they took or what to install.
using System.Diagnostics;
using System.Text.Json;
using LinuxShim.Import.Port;
using LinuxShim.Tools;

namespace LinuxShim.Import.Tests.Install;

public sealed class PortKernelTests : IDisposable
{
    private readonly FakeInstall _root = new FakeInstall().WithBoth();
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-port-kernel-").FullName;

    public void Dispose()
    {
        _root.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Source(string series) => Path.Combine(_root.UsrSrc, $"linux-source-{series}");
    private string Headers(string abi) => Path.Combine(_root.UsrSrc, $"linux-headers-{abi}-amd64");

    /// <summary>A port folder whose build/ says it was built with <paramref name="location"/> and <paramref name="build"/>.</summary>
    private PortRecipe BuiltPort(string kernels, string location, string build, string version)
    {
        string port = Path.Combine(_dir, "foo");
        Directory.CreateDirectory(Path.Combine(port, "build"));
        File.WriteAllText(Path.Combine(port, PortRecipe.FileName), $"directory = drivers/foo\nmodule = foo\nkernel = {kernels}\ndevice = rtl8139\n");
        File.WriteAllText(Path.Combine(port, "build", "foo.so"), "a driver");
        File.WriteAllText(Path.Combine(port, "build", "foo.port.json"), JsonSerializer.Serialize(new
        {
            port = "foo",
            kernel = new { source = "directory", location, release = version, version, build },
        }));
        return PortRecipe.Load(port);
    }

    private (string? Library, string Stderr) EnsureBuilt(PortRecipe recipe, params string[] options)
    {
        var stderr = new StringWriter();
        var cl = CommandLine.Parse(["run", recipe.Folder, "--cache", Path.Combine(_dir, "cache"), .. options]);
        try
        {
            return (RunCommand.EnsureBuilt(cl, recipe, stderr, _root.Root), stderr.ToString());
        }
        catch (ImportException e)
        {
            // The fake tree has no driver source: a build that was started fails, after saying why it started.
            Assert.Contains("foo: the importer could not analyse it", e.Message);
            return (null, stderr.ToString());
        }
    }

    [Fact]
    public void AFreshBuildIsRunAsItIs()
    {
        var recipe = BuiltPort("6.1, 6.12", Source("6.1"), Headers("6.1.0-57"), "6.1.192");
        var (library, stderr) = EnsureBuilt(recipe);
        Assert.Equal(Path.Combine(recipe.Folder, "build", "foo.so"), library);
        Assert.Equal("", stderr);

        // Asked for the kernel it was built with: still the same build, and the choice is said.
        (library, stderr) = EnsureBuilt(recipe, "--kernel", "6.1");
        Assert.NotNull(library);
        Assert.DoesNotContain("building", stderr);
        Assert.Contains("linuxshim: Linux 6.1.192:", stderr);
    }

    [Fact]
    public void AnotherKernelAskedForIsARebuildThatSaysSo()
    {
        var recipe = BuiltPort("6.1, 6.12", Source("6.1"), Headers("6.1.0-57"), "6.1.192");
        var (library, stderr) = EnsureBuilt(recipe, "--kernel", "6.12");
        Assert.Null(library);
        Assert.Contains($"linuxshim: building foo again for Linux 6.12.118 ({Headers("6.12.118+deb12")}); its build was for Linux 6.1.192 ({Headers("6.1.0-57")})", stderr);
    }

    [Fact]
    public void AStaleBuildIsRebuiltWithItsOwnKernelWhileItIsInstalled()
    {
        var recipe = BuiltPort("6.1, 6.12", Source("6.1"), Headers("6.1.0-57"), "6.1.192");
        File.SetLastWriteTimeUtc(Path.Combine(recipe.Folder, "build", "foo.so"), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var (_, stderr) = EnsureBuilt(recipe);
        // 6.12 is newer and supported, but the build was 6.1's.
        Assert.Contains("linuxshim: building foo again: its build is older than this shim; for Linux 6.1.192, as before", stderr);
    }

    [Fact]
    public void AStaleBuildWhoseKernelIsGoneSaysWhichKernelReplacesIt()
    {
        string gone = Path.Combine(_root.UsrSrc, "linux-source-6.2");
        var recipe = BuiltPort("6.1, 6.12", gone, Path.Combine(_root.UsrSrc, "linux-headers-6.2.0-1-amd64"), "6.2.16");
        File.SetLastWriteTimeUtc(Path.Combine(recipe.Folder, "build", "foo.so"), new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var (_, stderr) = EnsureBuilt(recipe);
        Assert.Contains("for Linux 6.12.118", stderr);
        Assert.Contains("its build was for Linux 6.2.16", stderr);
    }

    private ProcessResult Cli(params string[] args) => LinuxShimProcess.Run(args, new Dictionary<string, string?>
    {
        ["LINUXSHIM_SYSROOT"] = _root.Root,
        ["LINUXSHIM_LINUX"] = null,
        ["LINUXSHIM_BUILD"] = null,
    });

    [Fact]
    public void PortBuildForAVersionNotInstalledIsOneLineNamingThePackages()
    {
        var recipe = BuiltPort("6.13", Source("6.1"), Headers("6.1.0-57"), "6.1.192");
        var (exit, _, stderr) = Cli("port", "build", recipe.Folder, "--cache", Path.Combine(_dir, "cache"));
        Assert.Equal(1, exit);
        Assert.Equal($"linuxshim: {recipe.Folder} supports Linux 6.13, and the installed ones under {_root.Root} are 6.1, 6.12: install linux-source-6.13 and linux-headers-6.13-amd64\n", stderr);
    }

    [Fact]
    public void ScanDefaultsSayWhichPairTheyTook()
    {
        var (exit, _, stderr) = Cli("scan", "drivers/foo", "--json", Path.Combine(_dir, "out.json"), "--cache", Path.Combine(_dir, "cache"), "--kernel", "6.1");
        Assert.Equal(0, exit);
        Assert.Equal(1, stderr.Split('\n').Count(l => l.StartsWith("linuxshim: Linux", StringComparison.Ordinal)));
        Assert.Contains($"linuxshim: Linux 6.1.192: {Source("6.1")} with {Headers("6.1.0-57")} (--kernel 6.1)\n", stderr);
        using var model = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "out.json")));
        Assert.Equal("6.1.192", model.RootElement.GetProperty("kernel").GetProperty("version").GetString());

        (exit, _, stderr) = Cli("scan", "drivers/foo", "--json", Path.Combine(_dir, "out.json"), "--cache", Path.Combine(_dir, "cache"), "--kernel", "6.12", "--quiet");
        Assert.Equal(0, exit);
        Assert.Equal("", stderr);
        (exit, _, stderr) = Cli("scan", "drivers/foo", "--kernel", "6.1.5");
        Assert.Equal(2, exit);
        Assert.StartsWith("linuxshim: --kernel takes a version MAJOR.MINOR such as 6.12, not '6.1.5'\n", stderr);
    }
}
