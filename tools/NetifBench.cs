// SPDX-License-Identifier: MIT
// Managed side. `linuxshim netif bench PORT`: frame throughput through a port's driver, isolated
// (device server and driver host in their own processes) and in one process (same code, no
// isolation), side by side in one run. The NIC's cable is a UDP wire to this process, so both ends
// of every frame are counted here: transmit = frames sent into the netif ring that come out of the
// cable; receive = frames put on the cable that the driver passes up the netif ring. --compare MODEL
// adds a column: the same driver isolated on another model (QEMU's, say), in the same run.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Netif;
using LinuxShim.Supervisor;

namespace LinuxShim.Tools;

public static class NetifBench
{
    /// <summary>One measurement: frames per second, and what interrupted it (restarts, the longest stretch without a frame).</summary>
    public sealed record Result(string Mode, string Direction, int FrameBytes, double FramesPerSecond, double Mbps, long Frames,
        int Restarts = 0, double LongestGapMs = 0)
    {
        /// <summary>The frames per second the NIC's link carries at this size (the speed its driver reports), the limit; null when unknown.</summary>
        public double? LineRateFps { get; init; }

        /// <summary>Processor time per frame of every process the frames crossed (ns), from /proc/PID/stat; null when unknown.</summary>
        public double? CpuNsPerFrame { get; init; }

        /// <summary>Of it: the driver host's, the device server's and this process's (the client: it feeds and counts the frames).
        /// In one process, all of it is the client's.</summary>
        public double? HostCpuNsPerFrame { get; init; }
        public double? DeviceCpuNsPerFrame { get; init; }
        public double? ClientCpuNsPerFrame { get; init; }
    }

    /// <summary>
    /// Frames per second that a link of <paramref name="mbps"/> carries at <paramref name="frameBytes"/> (without FCS): each
    /// frame takes its bytes, 4 of FCS, 8 of preamble and start delimiter and 12 of inter-frame gap on the wire, and at
    /// least 64 bytes with its FCS (IEEE 802.3). 1 Gb/s: 1,488,095 64-byte frames, 81,274 of 1514 bytes.
    /// </summary>
    public static double LineRate(double mbps, int frameBytes) => mbps * 1e6 / 8 / (Math.Max(frameBytes + 4, 64) + 20);

    /// <summary>The measurements of one run: transmit and receive at 60 and 1514 bytes.</summary>
    public static readonly (string Direction, int FrameBytes)[] Cells = [("transmit", 60), ("receive", 60), ("transmit", 1514), ("receive", 1514)];

    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count != 2)
            throw new UsageException("netif bench takes one port folder, e.g. ports/8139too");
        var recipe = PortRecipe.Load(cl.Positionals[1]);
        string device = DeviceChoice.Of(cl, recipe);
        var compared = cl.All("compare").Select(DeviceChoice.Model).ToList();
        double seconds = cl.GetInt("seconds", 3);
        string library = RunCommand.EnsureBuilt(cl, recipe, stderr);
        var log = cl.Has("verbose") ? stderr : TextWriter.Null;
        var results = new List<Result>();
        var restarts = new Dictionary<string, IReadOnlyList<RestartWatch.Restart>>();
        DriverSupervisor.HeartbeatStatistics? heartbeats = null;
        // Isolated first: the in-process mode loads the driver into this process for good.
        var columns = new List<(string Mode, string Device, bool Isolated)> { ("isolated", device, true) };
        columns.AddRange(compared.Select(m => ($"isolated on {m}", m, true)));
        columns.Add(("in-process", device, false));
        foreach (var (mode, columnDevice, isolated) in columns)
        {
            stderr.WriteLine($"netif bench: {recipe.Module} {mode} ...");
            using var sink = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            var options = new StackOptions
            {
                Library = library,
                Device = columnDevice,
                Wire = Wire(sink, out var nic),
                Parameters = recipe.Parameters,
                RuntimeDirectory = Path.Combine(NetifCommand.RuntimeRoot(), recipe.Name + "-bench"),
                Name = recipe.Name,
                WatchdogMs = cl.GetInt("watchdog-ms", 500),
                AuditLog = isolated ? cl.Get("audit") : null,
            };
            RestartWatch? watch = null;
            try
            {
                using var stack = isolated ? DriverStack.StartIsolated(options, log) : DriverStack.StartInProcess(options, log);
                watch = new RestartWatch(stack);
                results.AddRange(Measure(stack, mode, sink, nic, Cells, seconds, watch));
                heartbeats = stack.Supervisor?.Heartbeats ?? heartbeats;
                stack.Link.Down();
                restarts[isolated ? "isolated" : mode] = [.. restarts.GetValueOrDefault("isolated") ?? [], .. watch.Restarts];
                if (watch.Fatal is { } fatal)
                    throw new IOException(fatal);
            }
            catch (Exception e) when (e is NetifException or NetifProtocolException or IOException or TimeoutException)
            {
                // The driver host (or the device server) died under the run and did not come back in time.
                stderr.WriteLine($"netif bench: FAILED: {recipe.Module} {mode}: {e.Message}{(watch is null ? "" : $" ({watch.Describe()})")}");
                return Cli.ExitFailure;
            }
            finally
            {
                watch?.Dispose();
            }
        }
        stdout.WriteLine($"{recipe.Module} on the emulated {device}{string.Concat(compared.Select(m => $" and on {m}"))}, {seconds:F0} s per measurement (frame sizes without FCS: 60 = a 64-byte frame)");
        stdout.WriteLine($"{"direction",-10} {"frame",6} {"isolated",22} {"in-process",22} {"ratio",6} {"line rate",10} {"of line",7} " +
                         $"{"CPU µs/frame isolated (host+device+client)",42} {"in-process",10}" +
                         string.Concat(compared.Select(m => $" {"isolated on " + m,28} {"vs isolated",11}")));
        foreach (var group in results.GroupBy(r => (r.Direction, r.FrameBytes)))
        {
            var iso = group.First(r => r.Mode == "isolated");
            var inp = group.First(r => r.Mode == "in-process");
            stdout.Write($"{group.Key.Direction,-10} {group.Key.FrameBytes,6} {Format(iso),22} {Format(inp),22} {Ratio(iso, inp),6:F2} " +
                         $"{(iso.LineRateFps is { } line ? $"{line:F0} f/s" : "-"),10} {(iso.LineRateFps is { } l && l > 0 ? $"{iso.FramesPerSecond / l:P0}" : "-"),7} " +
                         $"{CpuPerFrame(iso),42} {Micro(inp.CpuNsPerFrame),10}");
            foreach (var m in compared)
            {
                var other = group.First(r => r.Mode == $"isolated on {m}");
                stdout.Write($" {Format(other),28} {Ratio(other, iso),11:F2}");
            }
            stdout.WriteLine();
        }
        var isolatedRestarts = restarts.GetValueOrDefault("isolated") ?? [];
        stdout.WriteLine($"restarts (isolated): {isolatedRestarts.Count}; longest stretch without a frame: {results.Where(r => r.Mode == "isolated").Max(r => r.LongestGapMs):F0} ms isolated, {results.Where(r => r.Mode == "in-process").Max(r => r.LongestGapMs):F0} ms in one process");
        if (heartbeats is { } h)
            stdout.WriteLine(Describe(h, cl.GetInt("watchdog-ms", 500)));
        foreach (var r in isolatedRestarts)
            stdout.WriteLine($"  {r.Failure} at {r.DetectedAtSeconds:F1} s: {(r.ServingAfterMs is { } ms ? $"a new host served {ms:F0} ms after detection" : "no host served again")}");
        if (cl.Get("json") is { } json)
            File.WriteAllText(json, JsonSerializer.Serialize(new { results, restarts = isolatedRestarts, heartbeats }, JsonOptions) + "\n");
        if (isolatedRestarts.Count > 0)
        {
            // This run injects no fault: any restart is a false detection or a real failure, and its
            // outage is inside the isolated figures.
            stdout.WriteLine($"netif bench: FAILED: the supervisor restarted the driver host {isolatedRestarts.Count} time(s) in a run that injected no fault; the isolated figures include the outages");
            return Cli.ExitFailure;
        }
        return Cli.ExitOk;
    }

    private static double Ratio(Result a, Result b) => b.FramesPerSecond > 0 ? a.FramesPerSecond / b.FramesPerSecond : 0;

    /// <summary>One line on what the supervisor's heartbeats saw (how much margin the watchdog had).</summary>
    public static string Describe(DriverSupervisor.HeartbeatStatistics h, int watchdogMs) =>
        $"heartbeats (isolated): {h.Answers} answered, {(h.Answers > 0 ? 100.0 * h.BusyAnswers / h.Answers : 0):F0}% with the driver's CPU busy; " +
        $"longest stall without progress {h.LongestStallMs} ms (its holder used {(h.LongestStallCpuMs >= 0 ? $"{h.LongestStallCpuMs} ms" : "unknown")} of processor time), " +
        $"longest silence {h.LongestSilenceMs} ms (watchdog {watchdogMs} ms)";

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A UDP wire from the NIC to <paramref name="sink"/>; <paramref name="nic"/> is where frames for the NIC go.</summary>
    public static string Wire(UdpClient sink, out IPEndPoint nic)
    {
        int nicPort = FreeUdpPort();
        nic = new IPEndPoint(IPAddress.Loopback, nicPort);
        return $"udp:127.0.0.1:{((IPEndPoint)sink.Client.LocalEndPoint!).Port}:{nicPort}";
    }

    /// <summary>
    /// Brings the stack's interface up, waits for link and runs each cell for <paramref name="seconds"/>
    /// at full rate (<paramref name="sink"/> and <paramref name="nic"/>: the cable's far end, see <see cref="Wire"/>);
    /// each result counts the restarts <paramref name="watch"/> saw during it.
    /// </summary>
    public static List<Result> Measure(DriverStack stack, string mode, UdpClient sink, IPEndPoint nic,
        IEnumerable<(string Direction, int FrameBytes)> cells, double seconds, RestartWatch? watch)
    {
        var link = stack.Link;
        var info = link.Up();
        if (!link.WaitForCarrier(TimeSpan.FromSeconds(10)))
            throw new IOException($"{link.Interface}: no link after 10 s");
        Thread.Sleep(3000); // both modes settle first (the isolated one starts a warm standby host)
        NetifMac.TryParse(info.Mac, out var mac);
        var results = new List<Result>();
        foreach (var (direction, size) in cells)
        {
            int before = watch?.Count ?? 0;
            var cpu = CpuSample.Take(stack);
            var r = direction == "transmit" ? Transmit(mode, link.Port, sink, mac, size, seconds) : Receive(mode, link.Port, nic, mac, size, seconds);
            var used = CpuSample.Take(stack) - cpu;
            double? speed = link.Show()?.Link.SpeedMbps is { } mbps ? mbps : null;
            results.Add(r with
            {
                Restarts = (watch?.Count ?? 0) - before,
                LineRateFps = speed is { } s ? Math.Round(LineRate(s, size)) : null,
                CpuNsPerFrame = PerFrame(used?.Total, r.Frames),
                HostCpuNsPerFrame = PerFrame(used?.Host, r.Frames),
                DeviceCpuNsPerFrame = PerFrame(used?.Device, r.Frames),
                ClientCpuNsPerFrame = PerFrame(used?.Client, r.Frames),
            });
        }
        return results;
    }

    private static double? PerFrame(long? ns, long frames) => ns is { } n && frames > 0 ? Math.Round((double)n / frames) : null;

    /// <summary>
    /// Processor time (ns) the processes of a stack have used: the driver host, the device server and this one (the
    /// client). In one process the host and the device are this process, and their time is counted once, as the client's.
    /// A host replaced during the measurement takes its time with it: the sample is null then, as it is when any is unreadable.
    /// </summary>
    private sealed record CpuSample(int HostPid, long Host, long Device, long Client)
    {
        public long Total => Host + Device + Client;

        public static CpuSample? Take(DriverStack stack)
        {
            int self = Environment.ProcessId;
            int host = stack.Supervisor?.ActiveHostPid ?? self;
            int device = stack.DevicePid;
            long? client = ProcessCpuNs(self);
            long? hostNs = host == self ? 0 : ProcessCpuNs(host);
            long? deviceNs = device == self ? 0 : ProcessCpuNs(device);
            return client is { } c && hostNs is { } h && deviceNs is { } d ? new CpuSample(host, h, d, c) : null;
        }

        public static CpuSample? operator -(CpuSample? after, CpuSample? before) =>
            after is null || before is null || after.HostPid != before.HostPid ? null
                : new CpuSample(after.HostPid, after.Host - before.Host, after.Device - before.Device, after.Client - before.Client);
    }

    /// <summary>User and system time of process <paramref name="pid"/>, all its threads, those ended too (/proc/PID/stat; ns); null when it is gone.</summary>
    public static long? ProcessCpuNs(int pid)
    {
        // utime and stime, the 14th and 15th fields, in clock ticks of USER_HZ (100 on Linux, whatever the kernel's HZ).
        const long NsPerTick = 10_000_000;
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) * NsPerTick;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static string Format(Result r) => $"{r.FramesPerSecond,8:F0} f/s {r.Mbps,7:F1} Mb/s";

    private static string Micro(double? ns) => ns is { } n ? $"{n / 1000:F1}" : "-";

    private static string CpuPerFrame(Result r) =>
        r.CpuNsPerFrame is null ? "-" : $"{Micro(r.CpuNsPerFrame)} ({Micro(r.HostCpuNsPerFrame)}+{Micro(r.DeviceCpuNsPerFrame)}+{Micro(r.ClientCpuNsPerFrame)})";

    /// <summary>A UDP port on loopback that was free a moment ago (for a wire's far end).</summary>
    internal static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    internal static byte[] Frame(byte[] destination, byte[] source, int size)
    {
        var frame = new byte[size];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88; // local experimental EtherType 0x88b5
        frame[13] = 0xb5;
        return frame;
    }

    // The driver transmits: frames into the ring as fast as it takes them, counted as they leave the cable.
    private static Result Transmit(string mode, NetifPort port, UdpClient sink, byte[] mac, int size, double seconds)
    {
        var frame = Frame([0x02, 0, 0, 0, 0, 1], mac, size);
        using var stop = new CancellationTokenSource();
        var sender = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
                port.Send(frame, 100);
        }) { IsBackground = true };
        sender.Start();
        var (frames, gap) = Count(sink.Client, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(seconds));
        stop.Cancel();
        sender.Join();
        Drain(sink.Client);
        return Make(mode, "transmit", size, frames, seconds) with { LongestGapMs = gap };
    }

    // The driver receives: frames onto the cable as fast as this thread sends them, counted as they come up the ring.
    private static Result Receive(string mode, NetifPort port, IPEndPoint nic, byte[] mac, int size, double seconds)
    {
        var frame = Frame(mac, [0x02, 0, 0, 0, 0, 2], size);
        using var stop = new CancellationTokenSource();
        using var source = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var sender = new Thread(() =>
        {
            var pace = Stopwatch.StartNew();
            long sent = 0;
            while (!stop.IsCancellationRequested)
            {
                source.SendTo(frame, nic);
                // Keep the cable busy without starving the receiver of CPU on a small machine.
                if (++sent % 64 == 0)
                    Thread.Yield();
            }
        }) { IsBackground = true };
        sender.Start();
        var buffer = new byte[port.MaxFrame];
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(0.5))
            port.Receive(buffer, 50);
        long frames = 0;
        var gaps = new Gaps();
        var window = Stopwatch.StartNew();
        while (window.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (port.Receive(buffer, 50) >= 0)
            {
                frames++;
                gaps.Frame(window.Elapsed);
            }
        }
        gaps.Frame(window.Elapsed);
        stop.Cancel();
        sender.Join();
        while (port.Receive(buffer, 200) >= 0)
        {
        }
        return Make(mode, "receive", size, frames, seconds) with { LongestGapMs = gaps.LongestMs };
    }

    private static (long Frames, double LongestGapMs) Count(Socket socket, TimeSpan warmUp, TimeSpan window)
    {
        var buffer = new byte[65536];
        socket.ReceiveTimeout = 50;
        var clock = Stopwatch.StartNew();
        long frames = 0;
        var gaps = new Gaps(warmUp);
        while (clock.Elapsed < warmUp + window)
        {
            try
            {
                socket.Receive(buffer);
                if (clock.Elapsed >= warmUp)
                {
                    frames++;
                    gaps.Frame(clock.Elapsed);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
            }
        }
        gaps.Frame(clock.Elapsed);
        return (frames, gaps.LongestMs);
    }

    /// <summary>The longest stretch without a frame in a measurement window (an outage shows up here).</summary>
    internal sealed class Gaps(TimeSpan start = default)
    {
        private TimeSpan last = start;

        public double LongestMs { get; private set; }

        public void Frame(TimeSpan now)
        {
            LongestMs = Math.Max(LongestMs, (now - last).TotalMilliseconds);
            last = now;
        }
    }

    private static void Drain(Socket socket)
    {
        var buffer = new byte[65536];
        socket.ReceiveTimeout = 200;
        try
        {
            while (true)
                socket.Receive(buffer);
        }
        catch (SocketException)
        {
        }
    }

    private static Result Make(string mode, string direction, int size, long frames, double seconds) =>
        new(mode, direction, size, frames / seconds, frames * size * 8 / seconds / 1e6, frames);
}
