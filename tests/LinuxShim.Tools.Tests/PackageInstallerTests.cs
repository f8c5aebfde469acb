// SPDX-License-Identifier: MIT
// Tests of what linuxshim does on a machine without the kernel packages a command needs: installs them
// with apt-get where it may and runs the command again (once), else prints the one apt-get line to run.
// apt-get is a stand-in that records its arguments; installed kernels are looked for in an empty root.
using System.Diagnostics;
using LinuxShim.Import.Install;
using LinuxShim.Tools;

namespace LinuxShim.Tools.Tests;

public sealed class PackageInstallerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Log => Path.Combine(_dir.Path, "apt-get.log");

    /// <summary>A command that needs a kernel whatever was built before (the demo, once its port is built, does not).</summary>
    private (int Exit, string Stderr) Scan(bool allowInstall) => Run(allowInstall, "", "scan", "drivers/net/ethernet/realtek", "--quiet");

    /// <param name="install">Shell lines the stand-in apt-get runs for "install".</param>
    private (int Exit, string Stderr) Run(bool allowInstall, string install, params string[] args)
    {
        string root = Directory.CreateDirectory(Path.Combine(_dir.Path, "root")).FullName;
        string aptGet = Path.Combine(_dir.Path, "apt-get");
        File.WriteAllText(aptGet, $"#!/bin/sh\necho \"$*\" >> {Log}\n[ \"$1\" = install ] || exit 0\n{install}\n");
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(aptGet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var run = LinuxShimProcess.Run(args, new Dictionary<string, string?>
        {
            [InstalledKernels.SysrootVariable] = root,
            [PackageInstaller.AptGetVariable] = aptGet,
            [PackageInstaller.InstallVariable] = allowInstall ? "" : "never",
            ["LINUXSHIM_LINUX"] = null,
            ["LINUXSHIM_BUILD"] = null,
        });
        return (run.Exit, run.Stderr);
    }

    [Fact]
    public void AMachineWithoutAKernelGetsItsPackagesInstalledAndTheCommandRunsAgainOnce()
    {
        var (exit, stderr) = Scan(allowInstall: true);
        // The stand-in installs nothing, so the second run stops where the first did, and there is no third.
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Count(l => l.Contains("no kernel source tree with its configured build directory is installed under", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.StartsWith("linuxshim: installing the Debian packages this needs (", StringComparison.Ordinal)
                                  && l.Contains("): linux-source-6.1 linux-headers-amd64", StringComparison.Ordinal));
        var calls = File.ReadAllLines(Log);
        Assert.Equal("update -q", calls[0]);
        Assert.StartsWith("install -y -q --no-install-recommends linux-source-6.1 linux-headers-amd64", calls[1]);
        Assert.Equal(2, calls.Length);
    }

    [Fact]
    public void OnceTheyAreInstalledTheCommandGoesOn()
    {
        // The stand-in "installs" Debian 12's own kernel by linking the real packages into the empty root.
        var installed = InstalledKernels.Find();
        var series = DebianPackages.DistributionSeries;
        string source = installed.SourceFor(series)!.Path, build = installed.BuildFor(series)!.Path;
        string kbuild = Path.GetFullPath(Path.Combine(build, new FileInfo(Path.Combine(build, "scripts")).LinkTarget!, ".."));
        string root = Path.Combine(_dir.Path, "root");
        string install = $"mkdir -p {root}/usr/src {root}/usr/lib && ln -s {source} {build} {root}/usr/src/ && ln -s {kbuild} {root}/usr/lib/";
        var (exit, stderr) = Run(true, install, "scan", "drivers/net/ethernet/realtek", "--json", Path.Combine(_dir.Path, "scan.json"), "--quiet");
        Assert.True(exit == 0, stderr);
        Assert.Contains("linuxshim: installed; running the command again", stderr);
        Assert.Contains("8139too", File.ReadAllText(Path.Combine(_dir.Path, "scan.json")));
    }

    [Fact]
    public void WhereItMayNotInstallItPrintsTheOneLineToRun()
    {
        var (exit, stderr) = Scan(allowInstall: false);
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.EndsWith("is installed under " + Path.Combine(_dir.Path, "root") + ": install linux-source-6.1 and linux-headers-amd64, or pass --linux PATH and --build DIR", lines[0]);
        Assert.Matches("^linuxshim: to install what is missing, run: (sudo )?apt-get install -y linux-source-6.1 linux-headers-amd64", lines[1]);
        Assert.False(File.Exists(Log));
    }

    [Fact]
    public void RootInstallsDirectlySudoWithoutAPasswordOtherwiseNeitherOnlyPrints()
    {
        Assert.Equal([], PackageInstaller.Prefix(root: true, () => throw new InvalidOperationException("sudo is not asked as root"))!);
        Assert.Equal(["sudo", "-n"], PackageInstaller.Prefix(root: false, () => true)!);
        Assert.Null(PackageInstaller.Prefix(root: false, () => false));
        Assert.Equal("sudo apt-get install -y make gcc-12", PackageInstaller.CommandLine(["make", "gcc-12"], root: false));
    }

    [Fact]
    public void ProgramsLinuxShimRunsAreNamedByTheirPackages()
    {
        string bin = Directory.CreateDirectory(Path.Combine(_dir.Path, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "make"), "");
        File.WriteAllText(Path.Combine(bin, "nm"), "");
        Assert.Equal(["gcc-12", "patch", "xz-utils", "device-tree-compiler"], DebianPackages.MissingPrograms(bin));
        Assert.Equal("gcc-12", DebianPackages.ForProgram("/usr/bin/gcc-12"));
        Assert.Null(DebianPackages.ForProgram("clang"));
    }
}
