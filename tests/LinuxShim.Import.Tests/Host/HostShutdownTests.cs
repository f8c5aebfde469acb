// SPDX-License-Identifier: MIT
// Tests of the driver host's exit path (`linuxshim host` running the upstream 8139too over vfio-user
// against the emulated RTL8139, through a proxy that can raise the host's INTx at will): an
// interrupt arriving while the host shuts down must not hang it (it once deadlocked: free_irq under
// the shim's CPU joined the interrupt thread waiting for that CPU), and SIGTERM at any moment (start,
// probe, open, traffic, exit) must end the host within a bound.
using System.Diagnostics;
using System.Runtime.InteropServices;
using LinuxShim.Devices;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Import.Tests.Kernel;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Import.Tests.Host;

[Collection(KernelCollection.Name)]
public sealed partial class HostShutdownTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    // How long any host may take from SIGTERM (or from its last step) to its end: the host's own stop
    // deadline (1 s) plus the runtime's teardown on a loaded machine.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private readonly string dir = Directory.CreateTempSubdirectory("linuxshim-exit-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void AnInterruptArrivingWhileTheHostExitsDoesNotHangIt()
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        using var nic = new Rtl8139Nic(MacAddress.Parse("02:4c:53:00:e1:01"));
        using var server = new VfioUserServer(nic);
        using var proxy = new VfioUserProxy(server, Path.Combine(dir, "nic.sock"));
        int interrupts = 0;
        for (int run = 1; run <= 10; run++)
        {
            var log = new StringWriter();
            using var host = ChildProcess.Start("host", ["host", library, "--vfio-user", proxy.SocketPath, "--up", "--exit-after-probe"], TextWriter.Synchronized(log));
            // From the moment the driver requested its interrupt until the host is gone, INTx fires
            // about once a millisecond (below the storm detector's 2,000 a second): open, close,
            // free_irq and module exit all run with interrupts arriving.
            var clock = Stopwatch.StartNew();
            while (!host.HasExited && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                if (proxy.RaiseIntx())
                    interrupts++;
                Thread.Sleep(1);
            }
            bool ended = host.WaitForExit((int)Bound.TotalMilliseconds);
            if (!ended)
                host.Kill();
            output.WriteLine($"run {run}: {clock.ElapsedMilliseconds} ms, status {host.ExitCode}");
            Assert.True(ended, $"run {run}: the host hung on its way out\n{log}");
            // Not merely ended: it went through ndo_stop and module exit in order.
            Assert.True(host.ExitCode == 0, $"run {run}: status {host.ExitCode}\n{log}");
            Assert.Contains("exit 0", host.Lines);
            Assert.Contains(host.Lines, l => l.StartsWith("open eth0 0", StringComparison.Ordinal));
        }
        output.WriteLine($"{interrupts} interrupts raised");
        Assert.True(interrupts > 10, "the proxy never got the host's INTx eventfd");
    }

    private const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
