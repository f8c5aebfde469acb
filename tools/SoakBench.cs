// SPDX-License-Identifier: MIT
// Managed side. `linuxshim netif soak PORT [--minutes N]`: the port's driver isolated and supervised,
// at full rate for N minutes, in phases of 20 s that go round: transmit (frames into the netif ring
// as fast as the driver takes them), receive (frames onto the cable as fast as it carries them), and
// both at once; with a critical client's acknowledged events (50 a second, resent until the
// collector on the cable acknowledges them, as the demo's monitor does) riding along throughout. It passes when the supervisor restarted nothing, every event
// arrived, and the resident memory of every process (this one, the driver host, its standby, the
// device server) stayed flat from the start of the traffic to its end.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Netif;
using LinuxShim.Tools.Demo;
using LinuxShim.Supervisor;

namespace LinuxShim.Tools;

public static class SoakBench
{
    /// <summary>Resident memory of one process once every phase of the load has run (a tenth of the run in, 60 s to 2 min) and at the end (MiB).</summary>
    public sealed record Memory(string Process, double StartMiB, double EndMiB, double PeakMiB)
    {
        /// <summary>Flat: grew by at most a tenth plus 8 MiB (allocator and GC noise).</summary>
        public bool Flat => EndMiB <= StartMiB * 1.1 + 8;
    }

    public sealed record Result(string Port, double Minutes, long TransmitSent, long TransmitArrived, long ReceiveSent, long ReceiveArrived,
        int EventsProduced, int EventsDelivered, int EventsAcknowledged, IReadOnlyList<RestartWatch.Restart> Restarts, string? Fatal,
        IReadOnlyList<Memory> Memory, DriverSupervisor.HeartbeatStatistics? Heartbeats, IReadOnlyDictionary<string, long> Drops)
    {
        /// <summary>Events the collector never received.</summary>
        public int EventsLost => EventsProduced - EventsDelivered;
        public bool Passed => Restarts.Count == 0 && Fatal is null && EventsLost == 0 && Memory.All(m => m.Flat);
    }

    private const int EventRate = 50;

    /// <summary>The load's phases, each <see cref="PhaseSeconds"/> long, in turn.</summary>
    private static readonly (bool Transmit, bool Receive)[] Phases = [(true, false), (false, true), (true, true)];
    private const int PhaseSeconds = 20;

    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count != 2)
            throw new UsageException("netif soak takes one port folder, e.g. ports/e1000");
        var recipe = PortRecipe.Load(cl.Positionals[1]);
        string device = DeviceChoice.Of(cl, recipe);
        double minutes = double.Parse(cl.Get("minutes") ?? "10", CultureInfo.InvariantCulture);
        if (WarmUp(TimeSpan.FromMinutes(minutes)) >= TimeSpan.FromMinutes(minutes))
            throw new UsageException($"a soak needs more than {WarmUp(TimeSpan.FromMinutes(minutes)).TotalSeconds:F0} s (memory is measured from then on): give --minutes 2 or more");
        string library = RunCommand.EnsureBuilt(cl, recipe, stderr);
        var log = cl.Has("verbose") ? stderr : TextWriter.Null;
        using var sink = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        string runtime = Path.Combine(NetifCommand.RuntimeRoot(), recipe.Name + "-soak");
        var options = new StackOptions
        {
            Library = library,
            Device = device,
            Wire = NetifBench.Wire(sink, out var nic),
            Parameters = recipe.Parameters,
            RuntimeDirectory = runtime,
            Name = recipe.Name,
            WatchdogMs = cl.GetInt("watchdog-ms", 500),
            AuditLog = cl.Get("audit") ?? Path.Combine(runtime, "audit.jsonl"),
        };
        stderr.WriteLine($"netif soak: {recipe.Module} isolated, at full rate for {minutes:0.##} min (audit: {options.AuditLog}) ...");
        Result result;
        RestartWatch? watch = null;
        try
        {
            using var stack = DriverStack.StartIsolated(options, log);
            watch = new RestartWatch(stack);
            result = Soak(recipe.Module, stack, watch, sink, nic, TimeSpan.FromMinutes(minutes), stderr);
        }
        catch (Exception e) when (e is NetifException or NetifProtocolException or IOException or TimeoutException)
        {
            stderr.WriteLine($"netif soak: FAILED: {recipe.Module}: {e.Message}{(watch is null ? "" : $" ({watch.Describe()})")}");
            return Cli.ExitFailure;
        }
        finally
        {
            watch?.Dispose();
        }
        Print(result, options.WatchdogMs, stdout);
        if (cl.Get("json") is { } json)
            File.WriteAllText(json, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }) + "\n");
        return result.Passed ? Cli.ExitOk : Cli.ExitFailure;
    }

    private static void Print(Result r, int watchdogMs, TextWriter stdout)
    {
        stdout.WriteLine($"{r.Port}: {r.Minutes:0.##} min isolated and supervised, at full rate ({PhaseSeconds} s each: transmit, receive, both)");
        stdout.WriteLine($"  transmit (ring -> cable): {r.TransmitSent:N0} frames sent, {r.TransmitArrived:N0} arrived");
        stdout.WriteLine($"  receive (cable -> ring):  {r.ReceiveSent:N0} frames sent, {r.ReceiveArrived:N0} arrived");
        if (r.Drops.Count > 0)
            stdout.WriteLine($"  dropped under full load, and counted: {string.Join(", ", r.Drops.Select(d => $"{d.Key} {d.Value:N0}"))}");
        stdout.WriteLine($"  critical events: {r.EventsProduced} produced, {r.EventsDelivered} delivered, {r.EventsAcknowledged} acknowledged, {r.EventsLost} lost");
        stdout.WriteLine($"  restarts: {(r.Restarts.Count == 0 ? "0" : string.Join("; ", r.Restarts.Select(x => $"{x.Failure} at {x.DetectedAtSeconds:F1} s")))}{(r.Fatal is null ? "" : $"; {r.Fatal}")}");
        if (r.Heartbeats is { } h)
            stdout.WriteLine("  " + NetifBench.Describe(h, watchdogMs));
        stdout.WriteLine($"  resident memory, start (every phase run once) -> end (peak), MiB:");
        foreach (var m in r.Memory)
            stdout.WriteLine($"    {m.Process,-16} {m.StartMiB,7:F1} -> {m.EndMiB,7:F1} ({m.PeakMiB:F1}){(m.Flat ? "" : "  GREW")}");
        stdout.WriteLine(r.Passed
            ? $"netif soak: {r.Port}: passed (0 restarts, nothing lost, memory flat)"
            : $"netif soak: {r.Port}: FAILED ({string.Join(", ", Reasons(r))})");
    }

    private static IEnumerable<string> Reasons(Result r)
    {
        if (r.Restarts.Count > 0)
            yield return $"{r.Restarts.Count} restart(s) the run did not inject";
        if (r.Fatal is not null)
            yield return r.Fatal;
        if (r.EventsLost > 0)
            yield return $"{r.EventsLost} events lost";
        foreach (var m in r.Memory.Where(m => !m.Flat))
            yield return $"{m.Process} grew from {m.StartMiB:F1} to {m.EndMiB:F1} MiB";
    }

    /// <summary>Datagrams this network namespace's UDP sockets dropped for a full receive buffer (/proc/net/snmp RcvbufErrors), or -1.</summary>
    public static long UdpReceiveBufferErrors()
    {
        try
        {
            var lines = File.ReadLines("/proc/net/snmp").Where(l => l.StartsWith("Udp: ", StringComparison.Ordinal)).ToList();
            if (lines.Count == 2)
            {
                int i = Array.IndexOf(lines[0].Split(' '), "RcvbufErrors");
                if (i > 0 && long.TryParse(lines[1].Split(' ')[i], CultureInfo.InvariantCulture, out long n))
                    return n;
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }

    /// <summary>Resident memory of <paramref name="pid"/> (MiB; -1 when it is gone).</summary>
    public static double ResidentMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return -1;
    }

    // The start of the memory measurement: once every phase has run (the JIT, the pools and the GC's
    // budgets have grown by then), a tenth of the run in, at most two minutes.
    private static TimeSpan WarmUp(TimeSpan duration) =>
        TimeSpan.FromTicks(Math.Clamp(duration.Ticks / 10, TimeSpan.FromSeconds(Phases.Length * PhaseSeconds).Ticks, TimeSpan.FromMinutes(2).Ticks));

    private static Result Soak(string name, DriverStack stack, RestartWatch watch, UdpClient sink, IPEndPoint nic, TimeSpan duration, TextWriter progress)
    {
        var link = stack.Link;
        var info = link.Up();
        if (!link.WaitForCarrier(TimeSpan.FromSeconds(10)))
            throw new IOException($"{link.Interface}: no link after 10 s");
        Thread.Sleep(3000); // settle: the supervisor starts its warm standby host
        NetifMac.TryParse(info.Mac, out var mac);
        var port = link.Port;
        var supervisor = stack.Supervisor!;
        using var stop = new CancellationTokenSource();
        using var stopFlood = new CancellationTokenSource();
        long txSent = 0, txArrived = 0, rxSent = 0, rxArrived = 0;
        var outstanding = new OutstandingEvents();
        int produced = 0;
        using var allAcknowledged = new ManualResetEventSlim();

        var clock = Stopwatch.StartNew();
        (bool Transmit, bool Receive) Phase() => stopFlood.IsCancellationRequested ? (false, false) : Phases[(int)(clock.Elapsed.TotalSeconds / PhaseSeconds) % Phases.Length];

        // The one producer of the to-driver ring: each new event on time (the ring may be full: the
        // resend covers it), resends of what is not acknowledged, and the flood in transmit phases.
        var transmit = new Thread(() =>
        {
            var flood = NetifBench.Frame([0x02, 0, 0, 0, 0, 1], mac, 60);
            long lastResend = 0;
            while (!stop.IsCancellationRequested)
            {
                if (!stopFlood.IsCancellationRequested && produced < (int)(clock.Elapsed.TotalSeconds * EventRate) + 1)
                {
                    var e = DemoFrames.Event(mac, produced, DateTime.UtcNow.Ticks, $"soak event {produced}");
                    outstanding.Add(produced, e);
                    produced++;
                    port.TrySend(e);
                }
                if (clock.ElapsedMilliseconds - lastResend >= 200)
                {
                    lastResend = clock.ElapsedMilliseconds;
                    // Ahead of the flood: a slot frees as soon as the driver takes a frame.
                    foreach (var f in outstanding.Oldest(256))
                        if (!port.Send(f, 2))
                            break;
                }
                if (Phase().Transmit)
                {
                    if (port.Send(flood, 5))
                        Interlocked.Increment(ref txSent);
                }
                else
                {
                    stop.Token.WaitHandle.WaitOne(5); // the pace of events and resends between transmit phases
                }
            }
        }) { IsBackground = true, Name = "soak-transmit" };

        // Frames onto the cable as fast as it takes them, in receive phases.
        using var source = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var cable = new Thread(() =>
        {
            var flood = NetifBench.Frame(mac, [0x02, 0, 0, 0, 0, 2], 60);
            long sent = 0;
            while (!stopFlood.IsCancellationRequested)
            {
                if (!Phase().Receive)
                {
                    stopFlood.Token.WaitHandle.WaitOne(5); // until the next receive phase
                    continue;
                }
                source.SendTo(flood, nic);
                Interlocked.Increment(ref rxSent);
                if (++sent % 64 == 0)
                    Thread.Yield(); // keep the cable busy without starving the receivers on a small machine
            }
        }) { IsBackground = true, Name = "soak-cable" };

        // The collector on the cable: counts the flood, acknowledges events cumulatively.
        var delivered = new DeliveredEvents();
        var collector = new Thread(() =>
        {
            var buffer = new byte[65536];
            sink.Client.ReceiveTimeout = 50;
            while (!stop.IsCancellationRequested)
            {
                int n = DemoFrames.ReceiveFromCable(sink.Client, buffer);
                if (n < 0)
                    continue;
                if (!DemoFrames.TryEvent(buffer.AsSpan(0, n), out int seq))
                {
                    Interlocked.Increment(ref txArrived);
                    continue;
                }
                int upTo = delivered.Record(seq);
                if (upTo >= 0)
                    sink.Client.SendTo(DemoFrames.Ack(mac, upTo), nic);
            }
        }) { IsBackground = true, Name = "soak-collector" };

        // What the driver passes up: the flood, and the collector's acknowledgements.
        var receive = new Thread(() =>
        {
            var buffer = new byte[port.MaxFrame];
            while (!stop.IsCancellationRequested)
            {
                int n = port.Receive(buffer, 50);
                if (n < 0)
                    continue;
                if (!DemoFrames.TryAck(buffer.AsSpan(0, n), out int upTo))
                {
                    Interlocked.Increment(ref rxArrived);
                    continue;
                }
                if (outstanding.Acknowledge(upTo) == 0 && stopFlood.IsCancellationRequested)
                    allAcknowledged.Set();
            }
        }) { IsBackground = true, Name = "soak-receive" };

        // Every process's resident memory, sampled through the run.
        var processes = new (string Name, Func<int> Pid)[]
        {
            ("bench+supervisor", () => Environment.ProcessId), ("driver host", () => supervisor.ActiveHostPid),
            ("standby host", () => supervisor.StandbyHostPid), ("device server", () => stack.DevicePid),
        };
        var start = new double[processes.Length];
        var peak = new double[processes.Length];
        double[] Sample() => [.. processes.Select(p => ResidentMiB(p.Pid()))];

        long udpDropsBefore = UdpReceiveBufferErrors();
        foreach (var t in new[] { collector, receive, transmit, cable })
            t.Start();
        var run = Stopwatch.StartNew();
        var warmUp = WarmUp(duration);
        bool started = false;
        var lastReport = Stopwatch.StartNew();
        while (run.Elapsed < duration)
        {
            Thread.Sleep(TimeSpan.FromSeconds(1)); // the sampling period, not a synchronisation
            var now = Sample();
            if (!started && run.Elapsed >= warmUp)
            {
                started = true;
                now.CopyTo(start, 0);
            }
            for (int i = 0; i < now.Length; i++)
                peak[i] = Math.Max(peak[i], now[i]);
            if (lastReport.Elapsed >= TimeSpan.FromSeconds(30))
            {
                lastReport.Restart();
                progress.WriteLine($"netif soak: {name}: {run.Elapsed.TotalMinutes:F1} min, {Interlocked.Read(ref txArrived):N0} frames out, {Interlocked.Read(ref rxArrived):N0} up, {watch.Count} restarts");
            }
        }
        var end = Sample();
        stopFlood.Cancel();
        cable.Join();
        // Nothing new is produced; what is not yet acknowledged is resent until it is (or 30 s pass).
        if (outstanding.Pending == 0)
            allAcknowledged.Set();
        allAcknowledged.Wait(TimeSpan.FromSeconds(30));
        stop.Cancel();
        foreach (var t in new[] { transmit, collector, receive })
            t.Join();
        var drops = Drops(link.Show());
        if (UdpReceiveBufferErrors() - udpDropsBefore is > 0 and var udp && udpDropsBefore >= 0)
            drops["UDP receive buffers full (cable ends)"] = udp;
        var heartbeats = supervisor.Heartbeats;
        link.Down();
        var memory = processes.Select((p, i) => new Memory(p.Name, Math.Round(start[i], 1), Math.Round(end[i], 1), Math.Round(peak[i], 1))).ToList();
        return new Result(name, Math.Round(duration.TotalMinutes, 2), txSent, txArrived, rxSent, rxArrived, produced, delivered.Count(below: produced), outstanding.Acked,
            watch.Restarts, watch.Fatal, memory, heartbeats, drops);
    }

    // Where the flood's frames went that did not arrive: the driver's and the rings' own counts.
    private static Dictionary<string, long> Drops(NetifInterface? info)
    {
        var drops = new Dictionary<string, long>();
        if (info is null)
            return drops;
        foreach (var key in new[] { "rx_missed_errors", "rx_dropped", "rx_fifo_errors", "tx_dropped", "tx_errors" })
            if (info.Statistics?.GetValueOrDefault(key) is > 0 and var v)
                drops[key] = (long)v;
        foreach (var key in new[] { "to_driver_dropped", "from_driver_dropped" })
            if (info.Netif?.GetValueOrDefault(key) is > 0 and var v)
                drops["netif " + key] = v;
        return drops;
    }
}
