// SPDX-License-Identifier: MIT
// Tests of the watchdog under load (issue 18): the upstream driver runs isolated under the
// supervisor at full rate (the netif benchmark's own measurements, frames as fast as the driver takes
// them and as fast as the cable carries them) while the supervisor's heartbeats go on. The driver's
// CPU is busy most of the time, which the old heartbeat (answered only with the CPU free) took for a
// hang; now the host reports its progress without the CPU, and a busy host is never declared hung.
using System.Net;
using System.Net.Sockets;
using LinuxShim.Import.Port;
using LinuxShim.Import.Tests.Host;
using LinuxShim.Import.Tests.Kernel;
using LinuxShim.Import.Tests.Native;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Import.Tests.Supervisor;

[Collection(KernelCollection.Name)]
public sealed class BusyHostTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private readonly string work = Path.Combine(Path.GetTempPath(), $"linuxshim-busy-{Guid.NewGuid():N}"[..26]);

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("e1000")]
    [InlineData("8139too")]
    public void ABusyHostUnderFullLoadIsNeverDeclaredHung(string port)
    {
        var recipe = PortRecipe.Load(Path.Combine(VsprintfLibrary.RepositoryRoot(), "ports", port));
        string library = BuiltPorts.Library(kernel, port);
        using var sink = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new StackOptions
        {
            Library = library,
            Device = recipe.Device!,
            Wire = NetifBench.Wire(sink, out var nic),
            Parameters = recipe.Parameters,
            RuntimeDirectory = Path.Combine(work, "run"),
            Name = port,
            WatchdogMs = 500,
            AuditLog = Path.Combine(work, "audit.jsonl"),
        };
        var log = new StringWriter();
        try
        {
            using var stack = DriverStack.StartIsolated(options, TextWriter.Synchronized(log));
            using var watch = new RestartWatch(stack);
            // About 15 s of full load: receive and transmit of small frames (the most interrupts and
            // polls per second), then receive of full-size ones.
            var results = NetifBench.Measure(stack, "isolated", sink, nic, [("receive", 60), ("transmit", 60), ("receive", 1514)], 4, watch);
            var beats = stack.Supervisor!.Heartbeats;
            foreach (var r in results)
                output.WriteLine($"{r.Direction} {r.FrameBytes}: {r.FramesPerSecond:F0} f/s, {r.Frames} frames, longest gap {r.LongestGapMs:F0} ms, restarts {r.Restarts}");
            output.WriteLine(NetifBench.Describe(beats, options.WatchdogMs));

            Assert.True(watch.Count == 0, $"a busy host was restarted: {watch.Describe()}");
            Assert.DoesNotContain(stack.Audit.Records, r => (string)r["event"]! is "hang" or "restart");
            Assert.All(results, r => Assert.True(r.Frames >= 1000, $"{r.Direction} {r.FrameBytes}: only {r.Frames} frames"));
            // The load was real: heartbeats kept coming, and many found the driver's CPU busy.
            Assert.True(beats.Answers >= 100, $"{beats.Answers} heartbeats answered");
            Assert.True(beats.BusyAnswers > 0, "no heartbeat found the driver's CPU busy");
        }
        finally
        {
            output.WriteLine(string.Join("\n", log.ToString().Split('\n').Where(l => l.StartsWith("supervisor", StringComparison.Ordinal)).Take(50)));
        }
    }
}
