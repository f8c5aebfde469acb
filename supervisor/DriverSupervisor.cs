// SPDX-License-Identifier: MIT
// Managed side. The supervisor of one driver: it starts the driver host as its own process and hands
// it its capabilities as descriptors (the device channel, which the supervisor connects, and one end
// of the netif channel); it keeps the netif rings itself, so its clients keep their port across a
// restart. Health: heartbeats the host answers without the shim's CPU, with the CPU's progress
// counters; a watchdog (HangWatchdog) that kills a host whose CPU stays held with nothing getting
// done (a busy driver keeps the counters moving, a stuck one does not) or that stops answering; exit
// and signal detection; a heap that fills up. Recovery: a warm standby host (runtime started, nothing
// granted yet) takes over, the interface state (up, MTU, MAC, multicast list) is replayed, and the
// rings are handed over again; restarts back off and have a budget.
// Every event goes to the audit log first.
using System.Diagnostics;
using System.Text.RegularExpressions;
using LinuxShim.Posix;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Sandbox;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Supervisor;

/// <summary>What a client of one interface needs: the rings and the interface's state.</summary>
public interface IDriverLink
{
    NetifPort Port { get; }
    string Interface { get; }
    NetifInterface Up();
    void Down();

    /// <summary>The interface now, or null while the driver is being restarted.</summary>
    NetifInterface? Show();
}

public static class DriverLinks
{
    /// <summary>Waits until the driver reports carrier; false when it has not within <paramref name="timeout"/>.</summary>
    public static bool WaitForCarrier(this IDriverLink link, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!(link.Show()?.Link.Carrier ?? false))
        {
            if (clock.Elapsed > timeout)
                return false;
            Thread.Sleep(20);
        }
        return true;
    }
}

public sealed record SupervisorOptions
{
    public required string Name { get; init; }
    public required string Library { get; init; }
    public required string DeviceSocket { get; init; }
    public required string RuntimeDirectory { get; init; }
    public int MemoryMiB { get; init; } = 64;
    public IReadOnlyList<string> Parameters { get; init; } = [];
    public int HeartbeatMs { get; init; } = 50;

    /// <summary>
    /// A host whose CPU stays held this long with no progress while its holder spins is hung (four
    /// times this long whatever the holder does).
    /// </summary>
    public int WatchdogMs { get; init; } = 500;

    /// <summary>
    /// A host that sends no answer at all for this long is hung (default: four watchdog times).
    /// Answers need no CPU, so silence means a frozen or starved process, not a stuck driver; the
    /// longer wait keeps a loaded machine's scheduling delays from passing for a hang.
    /// </summary>
    public int? NoAnswerMs { get; init; }
    /// <summary>
    /// A host whose driver keeps frames waiting on a stopped transmit queue this long, its interface up
    /// with carrier, has stopped working (a stall): well past the core's transmit watchdog (5-6 s in
    /// these drivers), which gives the driver's own ndo_tx_timeout the first chance to reset the chip.
    /// </summary>
    public int TxStallMs { get; init; } = 10_000;

    /// <summary>
    /// The device server's view of its NIC (`device --status`), which the host cannot forge: with it, a
    /// host whose driver keeps its interface up without carrier while the cable has had link all the
    /// while, for <see cref="CarrierStallMs"/>, or stops receiving (<see cref="ReceiveStallMs"/>), has
    /// stopped working (see DeviceCrossCheck). Null: not checked.
    /// </summary>
    public Func<Devices.DeviceStatus?>? DeviceStatus { get; init; }

    /// <summary>See <see cref="DeviceStatus"/>. The drivers here learn of a link within 3 s of it (by interrupt or timer).</summary>
    public int CarrierStallMs { get; init; } = 10_000;

    /// <summary>
    /// With <see cref="DeviceStatus"/>: a host whose driver passes no frame up this long while frames for
    /// it keep arriving in its ring or finding it full (DeviceCrossCheck.OverflowedFrames of them) has
    /// stopped receiving. (One whose driver keeps taking frames while the device sends none for
    /// <see cref="TxStallMs"/> has stopped transmitting.)
    /// </summary>
    public int ReceiveStallMs { get; init; } = 10_000;

    /// <summary>
    /// How long a granted host may take to bring its driver up (probe, and ndo_open when the interface was up)
    /// before it counts as failed to start: the first host's start throws, a restart tries another host. 60 s
    /// is ten times a probe on an idle machine; a machine shared with other work may ask for more.
    /// </summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int RestartBudget { get; init; } = 20;
    public TimeSpan BudgetWindow { get; init; } = TimeSpan.FromMinutes(1);
    public double HeapLimit { get; init; } = 0.95;
    public bool WarmStandby { get; init; } = true;

    /// <summary>Start each host in a user namespace of its own where the machine allows it.</summary>
    public bool UserNamespace { get; init; } = true;

    /// <summary>Managed heap ceiling of the host (DOTNET_GCHeapHardLimit).</summary>
    public long ManagedHeapBytes { get; init; } = 256L << 20;

    /// <summary>
    /// More environment for each host, over the supervisor's own (runtime settings such as DOTNET_GCgen0size,
    /// to try a host under garbage-collection pressure); the settings the sandbox depends on win over these.
    /// </summary>
    public IReadOnlyDictionary<string, string> HostEnvironment { get; init; } = new Dictionary<string, string>();
}

public sealed partial class DriverSupervisor : IDriverLink, IDisposable
{
    private readonly SupervisorOptions options;
    private readonly TextWriter log;
    private readonly AuditLog audit;
    private readonly object gate = new();
    private readonly List<DateTime> restarts = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly Stopwatch uptime = Stopwatch.StartNew(); // the watchdog's clock
    private Thread? monitor;
    private HostLimits? limits;
    private HostSlot? active, standby;
    private NetifClient? netif;
    private int hostNumber;
    private bool wantUp;
    private int? wantMtu;
    private string? wantMac;
    private List<string>? wantMulticast;
    private readonly System.Collections.Concurrent.ConcurrentQueue<List<string>> injections = new();
    private List<string>? probeFaults;
    private volatile bool reprobe;

    public DriverSupervisor(SupervisorOptions options, TextWriter log, AuditLog audit)
    {
        this.options = options;
        this.log = log;
        this.audit = audit;
        Port = new NetifPort();
    }

    public NetifPort Port { get; }

    /// <summary>The hosts' control group limits, when the machine let the supervisor create them.</summary>
    public HostLimits? Limits => limits;

    /// <summary>Process id of the host serving now (0 while restarting).</summary>
    public int ActiveHostPid => active?.Process.Id ?? 0;

    /// <summary>Number of the host serving now (0 while restarting).</summary>
    public int ActiveHostNumber => active?.Number ?? 0;

    /// <summary>Kernel API failures injected in the serving host so far (its last heartbeat's count).</summary>
    public long InjectedFailures => active?.Injected ?? 0;

    /// <summary>
    /// Fault injection: arms kernel API faults (FaultInjection specs) in the serving host, sent before
    /// the next heartbeat (only the monitor thread writes to the control socket).
    /// </summary>
    public void Inject(IReadOnlyList<string> faults) => injections.Enqueue([.. faults]);

    /// <summary>
    /// Fault injection: replaces the serving host with a new one whose grant arms <paramref name="faults"/>
    /// before its probe (a probe that fails is followed by a host without them). Audited as "reprobe".
    /// </summary>
    public void Reprobe(IReadOnlyList<string> faults)
    {
        lock (gate)
            probeFaults = [.. faults];
        reprobe = true;
    }

    /// <summary>Process id of the warm standby host (0: none).</summary>
    public int StandbyHostPid => standby?.Process.Id ?? 0;
    public string Interface { get; private set; } = "";
    public int Restarts { get; private set; }

    /// <summary>What the heartbeats saw, over every host so far.</summary>
    public sealed record HeartbeatStatistics(long Answers, long BusyAnswers, long LongestStallMs, long LongestStallCpuMs, long LongestSilenceMs);

    private HeartbeatStatistics retired = new(0, 0, 0, -1, 0);

    public HeartbeatStatistics Heartbeats
    {
        get
        {
            lock (gate)
                return active?.Watchdog is { } w ? Add(retired, w) : retired;
        }
    }

    private static HeartbeatStatistics Add(HeartbeatStatistics s, HangWatchdog w) => new(
        s.Answers + w.Answers, s.BusyAnswers + w.BusyAnswers,
        Math.Max(s.LongestStallMs, w.LongestStallMs), w.LongestStallMs > s.LongestStallMs ? w.LongestStallCpuMs : s.LongestStallCpuMs,
        Math.Max(s.LongestSilenceMs, w.LongestSilenceMs));

    /// <summary>Raised (on the monitor thread) when a new host is serving again after a failure: (what failed, ms from detection to ready).</summary>
    public event Action<string, double>? Recovered;

    /// <summary>Raised when the restart budget is spent; the supervisor stops trying.</summary>
    public event Action<string>? GaveUp;

    /// <summary>Raised when a failure is detected (crash, hang, memory, interrupt storm, device failure).</summary>
    public event Action<string>? Failed;

    /// <summary>Starts the first host and the watchdog; throws when the driver does not come up.</summary>
    /// <summary>
    /// Starts the first host and grants it its driver and device. <paramref name="beforeGrant"/> runs once the host
    /// process is starting and before the grant, e.g. to wait for a device server started at the same moment: the
    /// two runtimes then start side by side instead of one after the other.
    /// </summary>
    public void Start(Action? beforeGrant = null)
    {
        Directory.CreateDirectory(options.RuntimeDirectory);
        // CPU, memory and task limits on every host: one CPU, its DMA memory plus the managed heap
        // ceiling plus the runtime's own, 256 tasks.
        limits = HostLimits.Create(options.Name, 1.0, ((long)options.MemoryMiB << 20) + options.ManagedHeapBytes + (256L << 20), 256, out string note);
        audit.Write("limits", ("driver", options.Name), ("applied", limits is not null), ("limits", note));
        var first = Spawn();
        try
        {
            beforeGrant?.Invoke();
            Activate(first);
        }
        catch
        {
            // The host ends by itself after telling us why; its last output lines are read before we
            // throw, so whoever reads our log sees all it said (and no host outlives a failed start).
            int? status = first.Process.WaitForExit(2000) ? first.Process.ExitCode : null;
            first.Dispose();
            AuditStop(first, status, started: false);
            throw;
        }
        if (options.WarmStandby)
            standby = Spawn();
        monitor = new Thread(Monitor) { IsBackground = true, Name = "supervisor" };
        monitor.Start();
    }

    private sealed class HostSlot(int number, ChildProcess process, UnixSocket listener, string path) : IDisposable
    {
        public int Number => number;
        public ChildProcess Process => process;
        public UnixSocket Listener => listener;
        public UnixSocket? Control { get; set; }
        public long Seq;
        public SeccompNotifications? Notifications;

        // The hang decision, on the supervisor's clock (ms).
        public HangWatchdog? Watchdog;
        public long RuntimeProbes;
        public long Injected;
        public required DeviceCrossCheck CrossCheck;

        public void Dispose()
        {
            Notifications?.Dispose();
            Control?.Dispose();
            listener.Dispose();
            process.Dispose();
            File.Delete(path);
        }
    }

    private HostSlot Spawn()
    {
        int n = Interlocked.Increment(ref hostNumber);
        string path = Path.Combine(options.RuntimeDirectory, $"host-{n}.sock");
        var listener = UnixSocket.Listen(path, 1);
        var env = new Dictionary<string, string>(options.HostEnvironment)
        {
            ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1",
            ["DOTNET_GCHeapHardLimit"] = $"0x{options.ManagedHeapBytes:x}",
            ["DOTNET_TieredPGO"] = "0",
            // No W^X double mapping: the sandbox then lets the host map no file at all.
            ["DOTNET_EnableWriteXorExecute"] = "0",
            // No diagnostics IPC: no socket or pipes in /tmp for the host to create (or fail to remove).
            ["DOTNET_EnableDiagnostics"] = "0",
        };
        var process = ChildProcess.Start(ChildProcess.DriverHost(), $"host#{n}", ["--supervisor", path], log, env, UserNamespaceWrapper());
        if (limits is not null && !limits.Add(process.Id))
            audit.Write("limits", ("host", n), ("applied", false), ("limits", "the kernel refused to move the host into its control group"));
        return new HostSlot(n, process, listener, path) { CrossCheck = new DeviceCrossCheck(options.CarrierStallMs, options.ReceiveStallMs, options.TxStallMs) };
    }

    private static readonly Lazy<string[]?> UserNamespace = new(() =>
    {
        // A .NET process cannot unshare its own user namespace (it has threads), so the host is
        // started in one: unshare(1) from util-linux, mapping our ids, where the machine allows it.
        try
        {
            using var probe = Process.Start(new ProcessStartInfo("unshare", ["--user", "--map-root-user", "--", "true"])
                { RedirectStandardError = true, RedirectStandardOutput = true });
            if (probe is not null && probe.WaitForExit(5000) && probe.ExitCode == 0)
                return ["unshare", "--user", "--map-root-user", "--"];
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
        return null;
    });

    private string[]? UserNamespaceWrapper() => options.UserNamespace ? UserNamespace.Value : null;

    /// <summary>Whether hosts start in a user namespace of their own.</summary>
    public bool HostsInUserNamespace => UserNamespaceWrapper() is not null;

    // Grants a started host its capabilities and waits until its driver is up; replays the interface state.
    private void Activate(HostSlot slot)
    {
        var clock = Stopwatch.StartNew();
        var control = slot.Listener.Accept(30_000) ?? throw new IOException($"driver host #{slot.Number} did not connect within 30 s");
        slot.Control = control;
        var hello = Receive(control, 30_000, null, $"driver host #{slot.Number} sent no hello") ?? throw new IOException($"driver host #{slot.Number} hung up before hello");
        if (hello.Type != SupervisorMessageTypes.Hello || hello.Validate(0) is not null)
            throw new IOException($"driver host #{slot.Number} sent {hello.Type} instead of hello");
        audit.Write("start", ("driver", options.Name), ("host", slot.Number), ("pid", hello.Pid), ("user_namespace", HostsInUserNamespace));

        var device = UnixSocket.Connect(options.DeviceSocket);
        var (mine, theirs) = UnixSocket.CreatePair();
        List<string>? faults;
        lock (gate)
            (faults, probeFaults) = (probeFaults, null);
        if (faults is not null)
            audit.Write("inject", ("host", slot.Number), ("faults", string.Join(" ", faults)), ("at", "probe"));
        try
        {
            NetifChannel.Send(control, new SupervisorMessage
            {
                Type = SupervisorMessageTypes.Grant,
                Library = options.Library,
                MemoryMib = options.MemoryMiB,
                Parameters = [.. options.Parameters],
                Faults = faults,
            }, [device.Handle, theirs.Handle, .. Port.Descriptors]);
        }
        finally
        {
            // The host holds them now; our copies go without shutting the connections down.
            device.CloseDescriptor();
            theirs.CloseDescriptor();
        }
        audit.Write("capability", ("host", slot.Number), ("pid", hello.Pid), ("granted", "vfio-user device channel"), ("socket", options.DeviceSocket));
        audit.Write("capability", ("host", slot.Number), ("pid", hello.Pid), ("granted", "netif control channel"));
        audit.Write("capability", ("host", slot.Number), ("pid", hello.Pid), ("granted", "netif rings (memfd and 4 eventfds)"));
        audit.Write("capability", ("host", slot.Number), ("pid", hello.Pid), ("granted", "driver library"), ("library", options.Library));

        double grantedAt = clock.Elapsed.TotalMilliseconds;
        var listener = new List<int>();
        int startMs = (int)options.StartTimeout.TotalMilliseconds;
        var ready = Receive(control, startMs, listener, $"driver host #{slot.Number} did not bring its driver up") ?? throw new IOException($"driver host #{slot.Number} exited before its driver was up{ExitReason(slot)}");
        if (ready.Type == SupervisorMessageTypes.Sandboxed)
        {
            // The host locked itself down; from now on we answer every call its filter refuses.
            slot.Notifications = Watch(slot, listener[0]);
            audit.Write("sandbox", ("host", slot.Number), ("pid", hello.Pid), ("sandbox", ready.Sandbox));
            ready = Receive(control, startMs, null, $"driver host #{slot.Number} did not bring its driver up") ?? throw new IOException($"driver host #{slot.Number} exited before its driver was up{ExitReason(slot)}");
        }
        double readyAt = clock.Elapsed.TotalMilliseconds;
        if (ready.Type == SupervisorMessageTypes.Failed)
            throw new IOException($"driver host #{slot.Number}: {ready.Error}");
        if (ready.Type != SupervisorMessageTypes.Ready || ready.Validate(0) is not null || ready.Interfaces!.Count == 0)
            throw new IOException($"driver host #{slot.Number} sent {ready.Type} instead of ready");

        var client = NetifClient.FromSocket(mine);
        // Requests wait as long as a driver may take (e1000e's ndo_open resets the MAC and PHY, 2–3 s on QEMU's
        // 82574 with every register access a round trip); a host that stops making progress meanwhile is the
        // watchdog's to catch.
        client.TimeoutMs = Math.Max(options.WatchdogMs * 4, 10_000);
        string name = Interface.Length > 0 && ready.Interfaces.Contains(Interface) ? Interface : ready.Interfaces[0];
        // The rings went with the grant: the host bridged them to its interface before telling us it was ready.
        if (wantMac is not null)
            client.SetMac(name, wantMac);
        if (wantMtu is { } mtu)
            client.SetMtu(name, mtu);
        if (wantUp)
            client.Up(name);
        if (wantMulticast is not null)
            client.SetMulticast(name, wantMulticast);
        slot.Watchdog = new HangWatchdog(options.WatchdogMs, options.NoAnswerMs ?? 4 * options.WatchdogMs);
        slot.Watchdog.Start(uptime.ElapsedMilliseconds);
        lock (gate)
        {
            netif?.Dispose();
            netif = client;
            active = slot;
            Interface = name;
        }
        audit.Write("ready", ("host", slot.Number), ("pid", hello.Pid), ("interface", name), ("ms", Math.Round(clock.Elapsed.TotalMilliseconds, 1)),
            ("granted_ms", Math.Round(grantedAt, 1)), ("driver_up_ms", Math.Round(readyAt, 1)));
    }

    private static SupervisorMessage? Receive(UnixSocket control, int timeoutMs, List<int>? fds, string what)
    {
        if (!control.WaitReadable(timeoutMs))
            throw new TimeoutException($"{what} within {timeoutMs / 1000} s");
        return NetifChannel.Receive<SupervisorMessage>(control, fds);
    }

    // Answers the host's refused system calls with EPERM and audits each attempt.
    private SeccompNotifications Watch(HostSlot slot, int listener) => SeccompNotifications.Serve(listener, n =>
    {
        if (n.RuntimeProbe)
        {
            Interlocked.Increment(ref slot.RuntimeProbes); // the .NET runtime's own probes as threads start: refused, counted
            return;
        }
        audit.Write("violation", ("host", slot.Number), ("pid", n.Pid), ("syscall", n.Name), ("call", n.Call), ("ip", $"0x{n.InstructionPointer:x}"), ("answer", "EPERM"));
    });

    private void Monitor()
    {
        while (!stopping.IsCancellationRequested)
        {
            var slot = active!;
            string? failure = Check(slot);
            if (failure is null)
            {
                // Between heartbeats, watch the control socket: a host that dies closes it at once.
                try
                {
                    slot.Control!.WaitReadable(options.HeartbeatMs);
                }
                catch (PosixException)
                {
                }
                continue;
            }
            if (stopping.IsCancellationRequested)
                return;
            var detected = Stopwatch.StartNew();
            // Why a host was replaced belongs in what the run prints, not only in the audit log.
            string stall = failure == "hang" && slot.Watchdog?.CurrentStall is var (ms, cpu) && ms > 0
                ? $" (its CPU held {ms} ms without progress, holder used {cpu} ms of processor time)" : "";
            log.WriteLine($"supervisor: host #{slot.Number}: {failure}{stall}");
            Failed?.Invoke(failure);
            lock (gate)
            {
                netif?.Dispose();
                netif = null;
                active = null;
                if (slot.Watchdog is { } w)
                    retired = Add(retired, w);
            }
            slot.Process.Kill();
            slot.Dispose();
            if (!Recover(failure, detected))
                return;
        }
    }

    // One heartbeat; null when healthy, else the failure (already in the audit log). The host answers
    // without the shim's CPU, so a driver that keeps the CPU busy still answers; HangWatchdog decides
    // from the answers (a CPU held with no progress counter moving: for the watchdog time while the
    // holder spins, four times that otherwise) and from their absence (NoAnswerMs).
    private string? Check(HostSlot slot)
    {
        var control = slot.Control!;
        if (slot.Process.HasExited)
            return Crashed(slot);
        if (reprobe)
        {
            reprobe = false;
            audit.Write("reprobe", ("host", slot.Number), ("pid", slot.Process.Id), ("reason", "fault injection"));
            return "reprobe";
        }
        long seq = ++slot.Seq;
        var watchdog = slot.Watchdog!;
        try
        {
            while (injections.TryDequeue(out var faults))
            {
                audit.Write("inject", ("host", slot.Number), ("faults", string.Join(" ", faults)), ("at", "now"));
                NetifChannel.Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Inject, Faults = faults });
            }
            NetifChannel.Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Ping, Seq = seq });
            while (true)
            {
                // Past the deadline the socket is still looked at once: a supervisor that was itself
                // not scheduled for a while finds the answer waiting, and that is not a hang.
                long now = uptime.ElapsedMilliseconds;
                long left = Math.Max(0, Math.Min(watchdog.AnswerDue(now), watchdog.MarkDue(now)));
                if (!control.WaitReadable((int)Math.Min(left, int.MaxValue)))
                {
                    if (slot.Process.HasExited)
                        return Crashed(slot);
                    now = uptime.ElapsedMilliseconds;
                    // Half the no-answer time in, how long the host's threads have waited for a CPU so far:
                    // a host the machine starves is not hung (HangWatchdog).
                    if (watchdog.MarkDue(now) <= 0)
                        watchdog.Mark(now, HostSchedStat.RunQueueWaitMs(slot.Process.Id));
                    long starved = watchdog.StarvedSilences;
                    if (watchdog.AnswerDue(now) > 0 || watchdog.Silent(now, HostSchedStat.RunQueueWaitMs(slot.Process.Id)) is not { } silent)
                    {
                        if (watchdog.StarvedSilences > starved)
                            log.WriteLine($"supervisor: host #{slot.Number}: no answer for {watchdog.SilenceMs(now)} ms, but its threads were waiting for a CPU: starved, not hung (judged again in {watchdog.AnswerDue(now)} ms)");
                        continue;
                    }
                    audit.Write("hang", ("host", slot.Number), ("pid", slot.Process.Id), ("watchdog_ms", options.WatchdogMs),
                        ("reason", "no answer"), ("silent_ms", silent), ("starved_extensions", watchdog.StarvedSilences));
                    return "hang";
                }
                var pong = NetifChannel.Receive<SupervisorMessage>(control, null);
                if (pong is null)
                    return Crashed(slot);
                if (pong.Type != SupervisorMessageTypes.Pong || pong.Seq != seq)
                    continue;
                slot.Injected = pong.Injected ?? 0;
                if (pong.HeapUsed is { } used && pong.HeapSize is { } size && size > 0 && used > options.HeapLimit * size)
                {
                    audit.Write("memory", ("host", slot.Number), ("pid", slot.Process.Id), ("heap_used", used), ("heap_size", size));
                    return "memory exhaustion";
                }
                if (pong.TxBlockedMs is { } blocked && blocked > options.TxStallMs)
                {
                    audit.Write("stall", ("host", slot.Number), ("pid", slot.Process.Id), ("reason", "transmit"), ("tx_blocked_ms", blocked),
                        ("tx_stall_ms", options.TxStallMs));
                    return "transmit stall";
                }
                if (options.DeviceStatus is { } deviceStatus
                    && slot.CrossCheck.Observe(Environment.TickCount64, pong.CarrierOffMs ?? 0, pong.Progress!.GetValueOrDefault("rx_frames"), deviceStatus(),
                        pong.Progress!.TryGetValue("xmit", out long xmit) ? xmit : -1) is { } stall)
                {
                    audit.Write("stall", [("host", slot.Number), ("pid", slot.Process.Id), ("reason", stall.Reason), .. stall.Fields]);
                    return stall.Failure;
                }
                var counters = Shim.Kernel.Progress.Names.Select(n => pong.Progress!.GetValueOrDefault(n)).ToArray();
                // What the holder waited for that is not the driver's doing: the device's replies, a processor.
                long excused = pong.DeviceWaitMs is { } deviceWait && pong.HolderTid is { } holder
                    && HostSchedStat.ThreadRunQueueWaitMs(slot.Process.Id, holder) is { } runQueueWait ? deviceWait + runQueueWait : -1;
                long excusedBefore = watchdog.ExcusedStalls;
                if (watchdog.Answer(uptime.ElapsedMilliseconds, counters, pong.CpuHeldMs!.Value, pong.HolderCpuMs ?? -1, excused) is not { } hang)
                {
                    // A near miss (half the watchdog without progress) is worth a line: it is the margin.
                    if (watchdog.CurrentStall is var (ms, cpu) && ms >= options.WatchdogMs / 2 && ms - options.HeartbeatMs < options.WatchdogMs / 2)
                        log.WriteLine($"supervisor: host #{slot.Number}: its CPU held {ms} ms without progress (holder used {cpu} ms of processor time meanwhile)");
                    if (watchdog.ExcusedStalls > excusedBefore)
                        log.WriteLine($"supervisor: host #{slot.Number}: its CPU held {watchdog.CurrentStall.Ms} ms without progress, its holder " +
                                      "waiting for the device to answer or for a processor: slow, not hung (until the device's reply timeout)");
                    return null;
                }
                audit.Write("hang", ("host", slot.Number), ("pid", slot.Process.Id), ("watchdog_ms", options.WatchdogMs),
                    ("reason", hang.Spinning ? "no progress, spinning" : "no progress"), ("stalled_ms", hang.StalledMs), ("holder_cpu_ms", hang.HolderCpuMs),
                    ("cpu_held_ms", pong.CpuHeldMs), ("progress", pong.Progress));
                return "hang";
            }
        }
        catch (Exception e) when (e is PosixException or NetifProtocolException or EndOfStreamException)
        {
            return Crashed(slot);
        }
    }

    private string Crashed(HostSlot slot)
    {
        slot.Process.WaitForExit(2000);
        int status = slot.Process.HasExited ? slot.Process.ExitCode : -1;
        string? signal = status > 128 ? SignalName(status - 128) : null;
        // The host's fault reporter names the driver function a fault happened in.
        var lines = slot.Process.Lines;
        // The host's fault reporter gives the faulting instruction's offset in the driver library.
        string? where = lines.Select(l => FaultLine().Match(l)).LastOrDefault(m => m.Success) is { } fault
            ? ElfSymbols.Resolve(options.Library, Convert.ToUInt64(fault.Groups[1].Value, 16)) ?? $"driver+0x{fault.Groups[1].Value}"
            : null;
        // A host that ends itself says why on its last "linuxshim-host:" line.
        string? reason = lines.LastOrDefault(l => l.StartsWith("linuxshim-host: ", StringComparison.Ordinal))?["linuxshim-host: ".Length..];
        if (status == Shim.Kernel.Machine.ExitInterruptStorm)
        {
            audit.Write("irq_storm", ("host", slot.Number), ("pid", slot.Process.Id), ("status", status), ("reason", reason));
            return "interrupt storm";
        }
        if (status == HostExit.DeviceFailed)
        {
            // The device broke the protocol, closed or stopped answering: the host said which and how.
            audit.Write("device_failed", ("host", slot.Number), ("pid", slot.Process.Id), ("status", status), ("reason", reason));
            return "device failure";
        }
        audit.Write("crash", ("host", slot.Number), ("pid", slot.Process.Id), ("status", status), ("signal", signal), ("function", where), ("reason", reason));
        return signal is null ? $"exit {status}" : $"crash ({signal}{(where is null ? "" : $" in {where}")})";
    }

    // ": REASON (status N)" from a host that said why it ended itself (e.g. its device failed during probe).
    private static string ExitReason(HostSlot slot)
    {
        if (!slot.Process.WaitForExit(2000))
            return "";
        string? reason = slot.Process.Lines.LastOrDefault(l => l.StartsWith("linuxshim-host: ", StringComparison.Ordinal))?["linuxshim-host: ".Length..];
        return reason is null ? $" (status {slot.Process.ExitCode})" : $": {reason} (status {slot.Process.ExitCode})";
    }

    [GeneratedRegex(@"linuxshim-host: fault \S+ at \S+ in driver\+0x([0-9a-f]+)")]
    private static partial Regex FaultLine();

    private static string SignalName(int signal) => signal switch
    {
        4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM", 31 => "SIGSYS",
        _ => $"signal {signal}",
    };

    private bool Recover(string failure, Stopwatch detected)
    {
        int attempt = 0;
        while (!stopping.IsCancellationRequested)
        {
            lock (gate)
            {
                var now = DateTime.UtcNow;
                restarts.RemoveAll(t => now - t > options.BudgetWindow);
                if (restarts.Count >= options.RestartBudget)
                {
                    audit.Write("give_up", ("driver", options.Name), ("restarts", restarts.Count), ("window_s", options.BudgetWindow.TotalSeconds));
                    GaveUp?.Invoke($"{restarts.Count} restarts within {options.BudgetWindow.TotalSeconds:F0} s");
                    return false;
                }
                restarts.Add(now);
            }
            // Back off when restarts fail one after another: 0, 50, 100, 200 ... 2000 ms.
            int backoff = attempt == 0 ? 0 : Math.Min(2000, 50 << Math.Min(attempt - 1, 6));
            if (backoff > 0 && stopping.Token.WaitHandle.WaitOne(backoff))
                return false;
            attempt++;
            var slot = standby ?? Spawn();
            standby = null;
            audit.Write("restart", ("driver", options.Name), ("host", slot.Number), ("after", failure), ("attempt", attempt), ("backoff_ms", backoff));
            log.WriteLine($"supervisor: host #{slot.Number} takes over after the {failure}{(attempt > 1 ? $" (attempt {attempt})" : "")}");
            try
            {
                Activate(slot);
            }
            catch (Exception e) when (e is IOException or TimeoutException or PosixException or NetifException or NetifProtocolException)
            {
                audit.Write("restart_failed", ("host", slot.Number), ("error", e.Message));
                slot.Dispose();
                continue;
            }
            Restarts++;
            if (options.WarmStandby)
                standby = Spawn();
            Recovered?.Invoke(failure, detected.Elapsed.TotalMilliseconds);
            return true;
        }
        return false;
    }

    // ---- IDriverLink ----

    private NetifClient Current => netif ?? throw new NetifException("the driver is restarting");

    public NetifInterface Up()
    {
        wantUp = true;
        lock (gate)
            return Current.Up(Interface);
    }

    public void Down()
    {
        wantUp = false;
        lock (gate)
            netif?.Down(Interface);
    }

    public NetifInterface SetMtu(int mtu)
    {
        wantMtu = mtu;
        lock (gate)
            return Current.SetMtu(Interface, mtu);
    }

    public NetifInterface SetMac(string mac)
    {
        wantMac = mac;
        lock (gate)
            return Current.SetMac(Interface, mac);
    }

    public NetifInterface SetMulticast(IReadOnlyList<string> groups)
    {
        wantMulticast = [.. groups];
        lock (gate)
            return Current.SetMulticast(Interface, groups);
    }

    public NetifInterface? Show()
    {
        lock (gate)
        {
            try
            {
                return netif?.Show(Interface).FirstOrDefault();
            }
            catch (Exception e) when (e is NetifException or PosixException or NetifProtocolException)
            {
                return null;
            }
        }
    }

    // A host's end: its exit status (null while it runs) and the runtime probes its filter refused; a first host
    // that never came up says so.
    private void AuditStop(HostSlot slot, int? status, bool started = true)
    {
        var fields = new List<(string, object?)> { ("driver", options.Name), ("host", slot.Number), ("status", status),
            ("runtime_probes_refused", Interlocked.Read(ref slot.RuntimeProbes)) };
        if (!started)
            fields.Add(("started", false));
        audit.Write("stop", [.. fields]);
    }

    public void Dispose()
    {
        stopping.Cancel();
        monitor?.Join();
        lock (gate)
        {
            netif?.Dispose();
            netif = null;
        }
        if (active is { } a)
        {
            int status = a.Process.Stop(TimeSpan.FromSeconds(10));
            AuditStop(a, status);
            a.Dispose();
        }
        standby?.Dispose();
        limits?.Dispose();
        Port.Dispose();
    }
}
