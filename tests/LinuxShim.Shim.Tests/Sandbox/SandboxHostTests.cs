// SPDX-License-Identifier: MIT
// Tests of the driver host's lock-down (issue 8): `linuxshim host --sandbox` runs a hostile module
// whose raw system calls (open, openat, socket, execve, ptrace, mmap of a descriptor it was not
// given) must each fail with EPERM and appear as a denial; the unmodified upstream 8139too must
// still probe and open, on a fake function and over vfio-user, with nothing denied.
using System.Diagnostics;
using System.Text.RegularExpressions;
using LinuxShim.Devices;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Tests.Native;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Sandbox;

[Collection(KernelCollection.Name)]
public sealed class SandboxHostTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private static readonly string Repo = TestRepository.Root;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"linuxshim-sandbox-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private ProcessResult RunHost(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var result = LinuxShimProcess.Run(["host", .. args], environment);
        output.WriteLine(result.Stdout);
        output.WriteLine(result.Stderr);
        return result;
    }

    private string BuildPort(string name)
    {
        var build = PortCommand.Build(kernel.Importer, PortRecipe.Load(Path.Combine(Repo, "ports", name)), Path.Combine(_dir, name), null);
        Assert.Empty(build.Stubs);
        return build.Library;
    }

    private static void AssertLockedDownWithoutDenials(string stderr)
    {
        Assert.Matches(@"sandbox: nofile \d+, core 0, .*no_new_privs, landlock ", stderr);
        Assert.Contains("denials to listener fd", stderr);
        Assert.DoesNotContain("sandbox: denied", stderr);
    }

    [Fact]
    public void HostileModuleIsDeniedEveryAttemptAndEachIsLogged()
    {
        var (library, _, stubs) = PortBuilder.BuildExternal(kernel.Importer, "hostile",
            [Path.Combine(Repo, "tests/LinuxShim.Shim.Tests/Host/hostile.c")], PortCommand.ShimSide(kernel.Importer), Path.Combine(_dir, "hostile"));
        Assert.Empty(stubs);
        // Without the runtime's W^X double mapping no descriptor at all may be mapped (the supervisor
        // starts hosts this way); with it, its memfd would be the one exception.
        var (exit, stdout, stderr) = RunHost(new Dictionary<string, string?> { ["DOTNET_EnableWriteXorExecute"] = "0" },
            library, "--sandbox", "--exit-after-probe");
        Assert.Equal(0, exit);
        Assert.Contains("init 0 ", stdout);
        Assert.Contains("mappable fds []", stderr);
        Assert.Matches(@"hostile: getpid = [1-9]\d*", stderr); // allowed calls run
        foreach (var call in new[] { "open", "openat", "socket", "execve", "ptrace" })
            Assert.Matches($@"hostile: {call} = -1\n", stderr); // -EPERM
        Assert.Matches(@"hostile: mmap fd \d+ = -1\n", stderr);
        Assert.Contains("hostile: done", stderr);

        var denials = stderr.Split('\n').Where(l => l.StartsWith("sandbox: denied ", StringComparison.Ordinal)).ToList();
        Assert.Contains(denials, l => Regex.IsMatch(l, @"^sandbox: denied open\(""/etc/passwd""\) at 0x[0-9a-f]+$"));
        Assert.Contains(denials, l => Regex.IsMatch(l, @"^sandbox: denied openat\(0xffffffffffffff9c, ""/etc/passwd""\) at 0x[0-9a-f]+$"));
        Assert.Contains(denials, l => Regex.IsMatch(l, @"^sandbox: denied socket\(0x2, 0x1\) at "));
        Assert.Contains(denials, l => Regex.IsMatch(l, @"^sandbox: denied execve\(""/bin/sh"", 0x[0-9a-f]+\) at "));
        Assert.Contains(denials, l => Regex.IsMatch(l, @"^sandbox: denied ptrace\(0x10, 0x1\) at "));
        Assert.Contains(denials, l => Regex.IsMatch(l, @"^sandbox: denied mmap\(0x0, 0x1000, 0x1, 0x1, 0x[0-9a-f]+\) at "));
        Assert.Equal(6, denials.Count); // nothing else was denied
        Assert.Contains("hostile: exit", stderr);
        Assert.Contains("exit 0", stdout);
    }

    [Fact]
    public void Upstream8139TooProbesAndOpensUnderTheSandbox()
    {
        string library = BuildPort("8139too");
        var (exit, stdout, stderr) = RunHost(null, library, "--fake-pci", "10ec:8139", "--sandbox", "--up", "--exit-after-probe");
        Assert.Equal(0, exit);
        Assert.Contains("probe 8139too 0000:00:03.0 0 ", stdout);
        Assert.Contains("open eth0 0", stdout);
        Assert.Matches(@"rss [1-9]\d+", stdout);
        Assert.Contains("exit 0", stdout);
        AssertLockedDownWithoutDenials(stderr);
    }

    [Fact]
    public async Task Upstream8139TooOverVfioUserOpensUnderTheSandbox()
    {
        string library = BuildPort("8139too");
        string socket = Path.Combine(_dir, "nic.sock");
        using var nic = new Rtl8139Nic(MacAddress.Parse("02:4c:53:00:81:39"));
        using var stopServer = new CancellationTokenSource();
        using var server = new VfioUserServer(nic);
        var serving = server.ListenAsync(socket, stopServer.Token);
        try
        {
            var (exit, stdout, stderr) = RunHost(null, library, "--vfio-user", socket, "--sandbox", "--up", "--exit-after-probe");
            Assert.Equal(0, exit);
            Assert.Contains("probe 8139too 0000:00:03.0 0 ", stdout);
            Assert.Contains("netdev eth0 024C53008139", stdout); // the model's EEPROM, read through the device channel
            Assert.Contains("open eth0 0", stdout);
            Assert.Contains("exit 0", stdout);
            AssertLockedDownWithoutDenials(stderr);
        }
        finally
        {
            stopServer.Cancel();
            try { await serving.WaitAsync(TimeSpan.FromSeconds(30)); } catch (OperationCanceledException) { }
        }
    }
}
