// SPDX-License-Identifier: MIT
// Tests of the driver host's exit path (`linuxshim host` running the upstream 8139too over vfio-user
// against the emulated RTL8139, through a proxy that can raise the host's INTx at will): an
// interrupt arriving while the host shuts down must not hang it (it once deadlocked: free_irq under
// the shim's CPU joined the interrupt thread waiting for that CPU), and SIGTERM at any moment (start,
// probe, open, traffic, exit) must end the host within a bound.
using LinuxShim.Posix;
using LinuxShim.Supervisor;
using System.Diagnostics;
using System.Runtime.InteropServices;
using LinuxShim.Devices;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Shim.Host;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Host;

[Collection(KernelCollection.Name)]
public sealed partial class HostShutdownTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    // How long any host may take from SIGTERM (or from its last step) to its end: the host's own stop
    // deadline (1 s) plus the runtime's teardown on a loaded machine.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);
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

    [Fact]
    public void SigtermAtAnyMomentEndsTheHostWithinABound()
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        var mac = MacAddress.Parse("02:4c:53:00:e1:02");
        using var nic = new Rtl8139Nic(mac);
        using var server = new VfioUserServer(nic);
        using var proxy = new VfioUserProxy(server, Path.Combine(dir, "nic.sock"));
        // Traffic the whole time: broadcast frames into the NIC (received once the driver has opened
        // it) and now and then a bare INTx, so signals land among interrupts, NAPI polls and register I/O.
        using var stopTraffic = new CancellationTokenSource();
        long frames = 0;
        var traffic = new Thread(() =>
        {
            byte[] frame = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, .. mac.ToArray(), 0x88, 0xb5, .. new byte[46]];
            for (int i = 0; !stopTraffic.IsCancellationRequested; i++)
            {
                nic.Receive(frame);
                frames++;
                if (i % 5 == 0)
                    proxy.RaiseIntx();
                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "traffic" };
        traffic.Start();
        int seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        var outcomes = new List<string>();
        long slowest = 0;
        try
        {
            for (int run = 1; run <= 20; run++)
            {
                var log = new StringWriter();
                using var host = ChildProcess.Start("host", ["host", library, "--vfio-user", proxy.SocketPath, "--up"], TextWriter.Synchronized(log));
                // Odd runs: a moment from the start (runtime start-up, load, probe, open); even runs: a
                // moment after the interface is open, while frames and interrupts arrive.
                if (run % 2 == 0)
                    host.WaitForLine("open eth0", TimeSpan.FromSeconds(60));
                Thread.Sleep(random.Next(0, run % 2 == 0 ? 300 : 250));
                string phase = host.Lines.LastOrDefault(l => !l.StartsWith('<')) ?? "(nothing yet)";
                Assert.Equal(0, Libc.Kill(host.Id, Libc.SIGTERM));
                var clock = Stopwatch.StartNew();
                bool ended = host.WaitForExit((int)Bound.TotalMilliseconds);
                slowest = Math.Max(slowest, clock.ElapsedMilliseconds);
                if (!ended)
                    host.Kill();
                string outcome = !ended ? "HUNG" : host.ExitCode switch
                {
                    0 => "orderly",
                    HostExit.ShutdownTimedOut => "deadline",
                    128 + Libc.SIGTERM => "signal before the handler",
                    var other => $"status {other}",
                };
                outcomes.Add(outcome);
                output.WriteLine($"run {run}: SIGTERM at \"{phase}\": {outcome} after {clock.ElapsedMilliseconds} ms");
                Assert.True(ended, $"run {run}: the host did not end within {Bound.TotalSeconds} s of SIGTERM\n{log}");
                Assert.True(outcome is "orderly" or "deadline" or "signal before the handler", $"run {run}: {outcome}\n{log}");
                if (outcome == "orderly")
                    Assert.Contains(host.Lines, l => l.StartsWith("exit 0", StringComparison.Ordinal));
                if (outcome == "deadline")
                    Assert.Contains(host.Lines, l => l.StartsWith("linuxshim-host: SIGTERM: the orderly shutdown did not finish", StringComparison.Ordinal));
            }
        }
        finally
        {
            stopTraffic.Cancel();
            traffic.Join();
        }
        output.WriteLine($"{frames} frames offered; slowest end {slowest} ms after SIGTERM; {string.Join(", ", outcomes.GroupBy(o => o).Select(g => $"{g.Count()} {g.Key}"))}");
        Assert.True(outcomes.Count(o => o == "orderly") >= 10, "most stops should be orderly");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AShutdownThatCannotFinishEndsAtItsDeadlineOrAtASecondSignal(bool secondSignal)
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        using var nic = new Rtl8139Nic(MacAddress.Parse("02:4c:53:00:e1:03"));
        using var server = new VfioUserServer(nic);
        using var proxy = new VfioUserProxy(server, Path.Combine(dir, "nic.sock"));
        var log = new StringWriter();
        // The device will stop answering and the host would wait a minute for it: only the deadline
        // (or a second signal) can end the host in time.
        using var host = ChildProcess.Start("host", ["host", library, "--vfio-user", proxy.SocketPath, "--up",
            "--device-timeout-ms", "60000", "--stop-timeout-ms", secondSignal ? "60000" : "1000"], TextWriter.Synchronized(log));
        host.WaitForLine("rss ", TimeSpan.FromSeconds(60));
        proxy.Next = VfioUserProxy.Sabotage.Silence;
        Assert.Equal(0, Libc.Kill(host.Id, Libc.SIGTERM));
        var clock = Stopwatch.StartNew();
        // ndo_stop's first register read meets the silence.
        Assert.True(proxy.Sabotaged.Wait(TimeSpan.FromSeconds(10)), $"the host made no register access on its way out\n{log}");
        if (secondSignal)
            Assert.Equal(0, Libc.Kill(host.Id, Libc.SIGTERM));
        bool ended = host.WaitForExit((int)Bound.TotalMilliseconds);
        output.WriteLine(log.ToString());
        output.WriteLine($"ended {clock.ElapsedMilliseconds} ms after SIGTERM");
        Assert.True(ended, "the host outlived its deadline");
        Assert.Equal(HostExit.ShutdownTimedOut, host.ExitCode);
        Assert.DoesNotContain("exit 0", host.Lines);
        Assert.Contains(host.Lines, l => l.StartsWith(secondSignal
            ? "linuxshim-host: SIGTERM again: exiting at once"
            : "linuxshim-host: SIGTERM: the orderly shutdown did not finish within 1000 ms; exiting", StringComparison.Ordinal));
        if (!secondSignal)
            Assert.True(clock.ElapsedMilliseconds >= 900, $"ended {clock.ElapsedMilliseconds} ms after SIGTERM, before its deadline");
    }

}
