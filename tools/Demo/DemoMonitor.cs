// SPDX-License-Identifier: MIT
// Managed side. The demo's critical "hardware monitor" process: it produces events at a steady rate,
// and its logger sends them through the shimmed 8139too (over the netif client API) to a collector
// on the wire, keeping every event until the collector acknowledges it, so events survive a driver
// outage. Isolated, the driver runs in its own supervised process; in-process, in this one.
// It reports on standard output: "ready MAC", "audit JSON", "status ...", "done ...".
using System.Diagnostics;
using System.Text.Json;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Netif;
using LinuxShim.Supervisor;

namespace LinuxShim.Tools.Demo;

public static class DemoMonitor
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        var recipe = PortRecipe.Load(cl.Get("port") ?? throw new UsageException("demo monitor needs --port"));
        bool isolated = cl.Get("mode") != "in-process";
        double seconds = cl.GetInt("seconds", 6);
        int rate = cl.GetInt("rate", 50);
        var options = new StackOptions
        {
            Library = RunCommand.EnsureBuilt(cl, recipe, stderr),
            Device = DeviceChoice.Model(cl.Get("device") ?? recipe.Device ?? "rtl8139"),
            Wire = cl.Get("wire") ?? throw new UsageException("demo monitor needs --wire"),
            Parameters = [.. recipe.Parameters, .. cl.All("param")],
            RuntimeDirectory = cl.Get("runtime-dir") ?? Path.Combine(NetifCommand.RuntimeRoot(), "demo"),
            Name = recipe.Name,
            WatchdogMs = cl.GetInt("watchdog-ms", 300),
            AuditLog = cl.Get("audit"),
            RestartBudget = cl.GetInt("restart-budget", 20),
            WarmStandby = !cl.Has("no-standby"),
        };
        var output = TextWriter.Synchronized(stdout);
        using var stack = isolated ? DriverStack.StartIsolated(options, stderr) : DriverStack.StartInProcess(options, stderr);
        stack.Audit.Written += r => output.WriteLine("audit " + JsonSerializer.Serialize(r));
        var link = stack.Link;
        var info = link.Up();
        link.WaitForCarrier(TimeSpan.FromSeconds(10)); // events wait in the logger until there is link
        NetifMac.TryParse(info.Mac, out var mac);
        output.WriteLine($"ready {info.Mac} {Environment.ProcessId}");
        output.Flush();

        var port = link.Port;
        var outstanding = new OutstandingEvents();
        int produced = 0;
        using var stop = new CancellationTokenSource();

        // The logger's receive side: acknowledgements from the collector.
        var acks = new Thread(() =>
        {
            var buffer = new byte[port.MaxFrame];
            while (!stop.IsCancellationRequested)
            {
                int n = port.Receive(buffer, 100);
                if (n < 0 || !DemoFrames.TryAck(buffer.AsSpan(0, n), out int upTo))
                    continue;
                outstanding.Acknowledge(upTo);
            }
        }) { IsBackground = true, Name = "logger-acks" };
        acks.Start();

        // The monitor itself: one event per period, whatever the network does.
        var producer = Stopwatch.StartNew();
        var lastResend = Stopwatch.StartNew();
        var lastStatus = Stopwatch.StartNew();
        while (producer.Elapsed.TotalSeconds < seconds || (outstanding.Pending > 0 && producer.Elapsed.TotalSeconds < seconds + 10))
        {
            if (producer.Elapsed.TotalSeconds < seconds && produced < (int)(producer.Elapsed.TotalSeconds * rate) + 1)
            {
                var frame = DemoFrames.Event(mac, produced, DateTime.UtcNow.Ticks, $"sensor reading {produced}");
                outstanding.Add(produced, frame);
                produced++;
                port.TrySend(frame); // the ring may be full while the driver is down: the resend covers it
            }
            if (lastResend.ElapsedMilliseconds >= 200)
            {
                lastResend.Restart();
                foreach (var f in outstanding.Oldest(64))
                    if (!port.TrySend(f))
                        break;
            }
            if (lastStatus.ElapsedMilliseconds >= 500)
            {
                lastStatus.Restart();
                output.WriteLine($"status produced={produced} acked={outstanding.Acked}");
            }
            Thread.Sleep(2);
        }
        stop.Cancel();
        acks.Join();
        output.WriteLine($"done produced={produced} acked={outstanding.Acked} restarts={stack.Supervisor?.Restarts ?? 0}");
        output.Flush();
        link.Down();
        return 0;
    }
}
