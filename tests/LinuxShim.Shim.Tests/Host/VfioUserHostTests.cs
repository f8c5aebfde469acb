// SPDX-License-Identifier: MIT
// Tests of the upstream drivers, built from each installed kernel the ports support (TestKernels), against
// the emulated NICs over vfio-user (issues 7 and 9): this
// process serves the model (82540EM for e1000, RTL8139 for 8139too) on a UNIX socket; `linuxshim
// host --vfio-user SOCKET --up` runs the unmodified driver in its own process, every register access
// a vfio-user message. The driver must probe, read the model's station address from its EEPROM,
// open, see the link come up, and leave through ndo_stop and module exit on SIGTERM.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Devices;
using LinuxShim.Devices.E1000;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Tests.Native;
using LinuxShim.Posix;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Host;

[Collection(KernelCollection.Name)]
public sealed partial class VfioUserHostTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string Repo = TestRepository.Root;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"linuxshim-vfio-host-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> E1000Kernels => Kernels("e1000");
    public static TheoryData<string> Rtl8139Kernels => Kernels("8139too");

    private static TheoryData<string> Kernels(string port)
    {
        var data = new TheoryData<string>();
        foreach (var row in TestKernels.EachPort(port))
            data.Add((string)row[0]);
        return data;
    }

    [Theory]
    [MemberData(nameof(E1000Kernels))]
    public void E1000ProbesReadsTheEepromAndLinksUpOnThe82540Em(string kernelVersion)
    {
        var mac = MacAddress.Parse("02:4c:53:00:00:e1");
        using var nic = new Intel82540EmNic(mac);
        var (stdout, stderr) = RunAgainst(nic, kernelVersion, "e1000", "e1000: eth0 NIC Link is Up 1000 Mbps Full Duplex");

        Assert.Contains("probe e1000 0000:00:03.0 0 ", stdout);
        Assert.Contains("netdev eth0 024C530000E1", stdout);
        // e1000_probe prints the address it read from the EEPROM, after the checksum passed.
        Assert.Contains("eth0: (PCI:33MHz:32-bit) 02:4c:53:00:00:e1", stderr);
        Assert.DoesNotContain("EEPROM Checksum Is Not Valid", stderr);
        Assert.DoesNotContain("Invalid MAC Address", stderr);
    }

    [Theory]
    [MemberData(nameof(Rtl8139Kernels))]
    public void Rtl8139TooOpensAndLinksUpOnTheRtl8139(string kernelVersion)
    {
        var mac = MacAddress.Parse("02:4c:53:00:81:39");
        using var nic = new Rtl8139Nic(mac);
        var (stdout, stderr) = RunAgainst(nic, kernelVersion, "8139too", "eth0: link up, 100Mbps, full-duplex");

        Assert.Contains("probe 8139too 0000:00:03.0 0 ", stdout);
        Assert.Contains("netdev eth0 024C53008139", stdout);
        Assert.Contains("02:4c:53:00:81:39", stderr);
    }

    /// <summary>
    /// Serves <paramref name="nic"/>, runs the port's driver against it with --up until <paramref name="linkUp"/>
    /// is logged, stops it with SIGTERM and checks it went through open and a clean exit.
    /// </summary>
    private (string Stdout, string Stderr) RunAgainst(NetworkDevice nic, string kernelVersion, string port, string linkUp)
    {
        Directory.CreateDirectory(_dir);
        var importer = TestKernels.Open(kernelVersion);
        Assert.Equal(kernelVersion, importer.Version.Series.ToString());
        var build = PortCommand.Build(importer, PortRecipe.Load(Path.Combine(Repo, "ports", port)), Path.Combine(_dir, port), null);
        Assert.Empty(build.Stubs);

        string socket = Path.Combine(_dir, "nic.sock");
        using var stopServer = new CancellationTokenSource();
        using var server = new VfioUserServer(nic);
        var serving = server.ListenAsync(socket, stopServer.Token);

        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var linkSeen = new ManualResetEventSlim();
        using var exited = new ManualResetEventSlim();
        // The orderly way out is what is tested here, not its bound (HostShutdownTests): room for a loaded machine.
        var start = LinuxShimProcess.StartInfo("host", build.Library, "--vfio-user", socket, "--up", "--stop-timeout-ms", "10000");
        using var host = new Process { StartInfo = start, EnableRaisingEvents = true };
        host.Exited += (_, _) => exited.Set();
        host.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        host.ErrorDataReceived += (_, e) =>
        {
            Append(stderr, e.Data);
            if (e.Data?.Contains(linkUp, StringComparison.Ordinal) == true)
                linkSeen.Set();
        };
        var watch = Stopwatch.StartNew();
        host.Start();
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        try
        {
            bool up = WaitHandle.WaitAny([linkSeen.WaitHandle, exited.WaitHandle], Patience) == 0;
            output.WriteLine($"{port}: start to link up {watch.ElapsedMilliseconds} ms, {server.Messages} vfio-user messages");
            Assert.True(up, $"no \"{linkUp}\" within {Patience.TotalSeconds} s\n{stdout}\n{stderr}");
            Assert.Equal(0, Libc.Kill(host.Id, Libc.SIGTERM));
            Assert.True(host.WaitForExit(Patience), "the host did not stop on SIGTERM");
            host.WaitForExit(); // drains the output
        }
        finally
        {
            if (!host.HasExited)
                host.Kill(entireProcessTree: true);
            stopServer.Cancel();
            try { serving.Wait(Patience); } catch (AggregateException e) when (e.InnerException is OperationCanceledException) { }
        }
        output.WriteLine(stdout.ToString());
        output.WriteLine(stderr.ToString());
        Assert.Equal(0, host.ExitCode);
        Assert.Contains("init 0 ", stdout.ToString());
        Assert.Contains("open eth0 0", stdout.ToString());
        Assert.Contains("exit 0", stdout.ToString());
        Assert.Equal(0, server.InternalErrors);
        return (stdout.ToString(), stderr.ToString());
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is not null)
            lock (text)
                text.AppendLine(line);
    }

}
