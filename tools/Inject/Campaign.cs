// SPDX-License-Identifier: MIT
// Managed side, the fault injector. One port's campaign: the driver isolated and supervised, with
// the device server taking device faults and a critical client's acknowledged events flowing through
// it; faults injected one after another, each observed until its effect is known and classified:
// no effect; handled by the driver (an error it reported or counted, a call it saw fail); a host
// failure the supervisor detected (crash, hang, memory, interrupt storm, device failure) and the time
// until events flowed again; a sandbox violation denied and audited; or the failure of something that
// must not fail (the supervisor, the device server, the critical client, an escape from the sandbox),
// which ends the campaign.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using LinuxShim.Posix;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Netif;
using LinuxShim.Tools.Demo;
using LinuxShim.Supervisor;

namespace LinuxShim.Tools.Inject;

/// <summary>What one fault did.</summary>
public sealed record FaultOutcome(int Index, string Kind, string Detail, string Outcome, string? Failure, double? DetectMs, double? RecoveryMs, int Violations)
{
    public const string NoEffect = "no_effect", Handled = "handled", Recovered = "recovered", Unrecovered = "unrecovered",
        ViolationDenied = "violation_denied", Stalled = "stalled", Fatal = "fatal";
}

public sealed partial class Campaign : IDisposable
{
    public sealed record Options(string Port, string Library, string Device, IReadOnlyList<string> Parameters, string RuntimeDirectory,
        IReadOnlyList<string> Kinds, int Faults, int Seed, int ObserveMs, string? AuditLog, bool Trojan)
    {
        /// <summary>No new fault after this long (null: until all are injected).</summary>
        public TimeSpan? Limit { get; init; }

        /// <summary>The number of this campaign's first fault (a shard of a port's faults starts past the shards before it).</summary>
        public int FirstIndex { get; init; }

        /// <summary>True when the campaign must inject no new fault (another campaign beside it stopped).</summary>
        public Func<bool>? Cancelled { get; init; }

        /// <summary>
        /// How long a new host may take to serve, and the critical client to catch up through it, before the campaign
        /// counts a failure as not recovered (or stops: no host at all). 30 s on a machine given to the campaign; a
        /// machine shared with other work (CI's sample, beside other test assemblies at load 20-30) takes longer to
        /// probe a host, and says so with a longer bound. The recovery times it reports are measured either way.
        /// </summary>
        public TimeSpan RecoveryTimeout { get; init; } = DefaultRecoveryTimeout;

        /// <summary>The critical client's events per second (100).</summary>
        public int EventRate { get; init; } = 100;
    }

    public static readonly TimeSpan DefaultRecoveryTimeout = TimeSpan.FromSeconds(30);

    private int EventRate => options.EventRate;
    // No event through a driver nobody saw fail for this long: the driver stopped working silently.
    // (Twice the supervisor's 10 s stall checks, so that they find them first, on a loaded machine too.)
    private static readonly TimeSpan BaseStallTimeout = TimeSpan.FromSeconds(20);
    // The longest a backlog that keeps shrinking may take to drain before the next fault.
    private static readonly TimeSpan BaseCatchUpLimit = TimeSpan.FromSeconds(120);

    // A longer recovery bound than the default says the machine is that much slower than one given to the
    // campaign (CI's sample, 120 s: 4 times): the stall and catch-up bounds grow with it. A healthy driver there
    // once drained a new host's backlog with no new low for 20 s (the sample stopped, thousands of events behind).
    private double Slowness => Math.Max(1, RecoveryTimeout / DefaultRecoveryTimeout);
    private TimeSpan StallTimeout => BaseStallTimeout * Slowness;
    private TimeSpan CatchUpLimit => BaseCatchUpLimit * Slowness;

    private readonly Options options;
    private TimeSpan RecoveryTimeout => options.RecoveryTimeout;
    private readonly LogTap tap;
    private readonly UdpClient cable;
    private readonly DriverStack stack;
    private readonly RestartWatch watch;
    private readonly CriticalTraffic traffic;
    private readonly Lazy<CodeFaults> code;
    private int violations;
    private readonly Dictionary<string, int> violationCalls = [];

    /// <summary>Why the campaign stopped early (a failure of something that must not fail), or null.</summary>
    public string? Stopped { get; private set; }

    public int SupervisorFailures { get; private set; }
    public int DeviceFailures { get; private set; }
    public int CriticalFailures { get; private set; }
    public int Escapes => tap.Escapes;
    public IReadOnlyDictionary<string, int> ViolationCalls => violationCalls;
    public List<FaultOutcome> Outcomes { get; } = [];
    public int EventsProduced { get; private set; }

    /// <summary>The critical client's events now, for a progress line.</summary>
    public string Events => $"events {traffic.Produced} produced, {traffic.Delivered} at the collector, {traffic.Pending} unacknowledged";
    public int EventsDelivered { get; private set; }

    public Campaign(Options options, TextWriter log)
    {
        this.options = options;
        tap = new LogTap(log);
        cable = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        stack = DriverStack.StartIsolated(new StackOptions
        {
            Library = options.Library,
            Device = options.Device,
            Wire = NetifBench.Wire(cable, out var nic),
            Parameters = options.Parameters,
            RuntimeDirectory = options.RuntimeDirectory,
            Name = options.Port,
            AuditLog = options.AuditLog,
            DeviceFaults = true,
            // The campaign fails the driver on purpose, thousands of times: the budget is not what is tested here.
            RestartBudget = 1_000_000,
            // A host may take as long to come up as a recovery may (60 s at least, as for any supervisor).
            StartTimeout = options.RecoveryTimeout > TimeSpan.FromSeconds(60) ? options.RecoveryTimeout : TimeSpan.FromSeconds(60),
        }, tap);
        stack.Audit.Written += record =>
        {
            if (record.GetValueOrDefault("event") as string != "violation")
                return;
            Interlocked.Increment(ref violations);
            // By system call and path: the other arguments are whatever the registers held.
            string call = $"{record.GetValueOrDefault("syscall")}{(CallPath().Match($"{record.GetValueOrDefault("call")}") is { Success: true } m ? $" {m.Value}" : "")}";
            lock (violationCalls)
                violationCalls[call] = violationCalls.GetValueOrDefault(call) + 1;
        };
        watch = new RestartWatch(stack);
        var link = stack.Link;
        var info = link.Up();
        // 30 s: a campaign beside others on a loaded 2-core machine once took more than 10 s to its first carrier
        // (CI's sample campaign); what it checks comes after.
        if (!link.WaitForCarrier(TimeSpan.FromSeconds(30)))
            throw new IOException($"{link.Interface}: no link after 30 s");
        NetifMac.TryParse(info.Mac, out var mac);
        traffic = new CriticalTraffic(link.Port, mac, cable, nic, EventRate);
        code = new Lazy<CodeFaults>(() => CodeFaults.Load(options.Library));
    }

    /// <summary>Runs the campaign; <paramref name="progress"/> is told after each fault.</summary>
    public void Run(Action<int, FaultOutcome> progress)
    {
        var random = new Random(options.Seed);
        if (traffic.RoundTripAfter(-1, TimeSpan.FromSeconds(20)) is null)
            throw new IOException($"{options.Port}: no critical event got through the driver in 20 s");
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < options.Faults && Stopped is null && !(clock.Elapsed >= options.Limit) && options.Cancelled?.Invoke() != true; i++)
        {
            var fault = FaultPlan.Draw(options.FirstIndex + i, options.Kinds, random);
            if (!Healthy())
                break;
            LateFailures();
            var outcome = Inject(fault);
            Outcomes.Add(outcome);
            judged = watch.Count;
            progress(i + 1, outcome);
            CheckMustNotFail();
        }
        // The last fault may have stalled the driver after it was judged: found (and a new host started) before the drain.
        if (Stopped is null)
            Healthy();
        if (Stopped is null && !traffic.Drain(RecoveryTimeout))
            Note($"the critical client's events were not all acknowledged within {RecoveryTimeout.TotalSeconds:F0} s of the end", critical: true);
        // Counted once production has stopped (the drain stops it): an event made while the count was taken
        // was delivered too, and showed as -1 lost in the 10,000-fault run.
        traffic.StopProducing();
        EventsProduced = traffic.Produced;
        EventsDelivered = traffic.Delivered;
    }

    private int judged; // failures the supervisor had detected when the last fault was judged

    // A failure the supervisor detected after the last fault was judged (a latent fault that struck
    // late) is that fault's: it is recorded there, with its detection-to-serving time.
    private void LateFailures()
    {
        var late = watch.Restarts.Skip(judged).FirstOrDefault(r => r.Failure != "reprobe");
        judged = watch.Count;
        if (late is null || Outcomes.Count == 0 || Outcomes[^1].Failure is not null)
            return;
        Outcomes[^1] = Outcomes[^1] with
        {
            Outcome = late.ServingAfterMs is null ? FaultOutcome.Unrecovered : FaultOutcome.Recovered,
            Failure = late.Failure,
            RecoveryMs = late.ServingAfterMs,
        };
    }

    // Before each fault: a host serving, events getting through, a standby started.
    private bool Healthy()
    {
        var supervisor = stack.Supervisor!;
        var wait = Stopwatch.StartNew();
        while (supervisor.ActiveHostPid == 0 || supervisor.StandbyHostPid == 0)
        {
            if (wait.Elapsed > RecoveryTimeout || CheckMustNotFail())
            {
                Note($"no driver host serving {RecoveryTimeout.TotalSeconds:F0} s after the last fault", critical: false);
                return false;
            }
            Thread.Sleep(10);
        }
        if (traffic.RoundTripAfter(traffic.Now, StallTimeout) is null)
            tap.WriteLine($"inject: no round trip through the driver for {StallTimeout.TotalSeconds:F0} s before the next fault ({traffic.Pending} events unacknowledged): {StallState()}");
        else if (CaughtUp())
            return true;
        // The last fault's effect came late (events stopped after it was judged, or crawl so that the
        // critical client cannot catch up): it stalled the driver.
        if (Outcomes.Count > 0 && Outcomes[^1].Outcome != FaultOutcome.Stalled)
            Outcomes[^1] = Outcomes[^1] with { Outcome = FaultOutcome.Stalled };
        supervisor.Reprobe([]);
        if (traffic.RoundTripAfter(traffic.Now, RecoveryTimeout) is { } roundTrip)
        {
            if (CaughtUp())
                return true;
            Note($"events went through a new host (a round trip at {roundTrip} ms) but {traffic.Pending} were still unacknowledged {RecoveryTimeout.TotalSeconds:F0} s later", critical: true);
            return false;
        }
        Note($"no critical event got through for {(StallTimeout + RecoveryTimeout).TotalSeconds:F0} s, a new host notwithstanding", critical: true);
        return false;
    }

    // What the driver and the device say when events stopped with nothing detected, twice a second apart: the
    // interface (up, carrier, speed and duplex, its counters and the netif ring's) and the device's own view (the
    // cable's link, frames sent, stored, lost for room, refused), so that a stall nobody saw can be told apart afterwards.
    private string StallState()
    {
        string Snapshot()
        {
            string host;
            try
            {
                host = stack.Link.Show() is { } i
                    ? $"interface {(i.Link.Up ? "up" : "down")}, {(i.Link.Carrier ? $"carrier {i.Link.SpeedMbps} Mb/s {i.Link.Duplex}" : "no carrier")}, " +
                      string.Join(" ", i.Statistics.Where(c => c.Value != 0).Select(c => $"{c.Key}={c.Value}")) + ", netif " +
                      string.Join(" ", i.Netif.Select(c => $"{c.Key}={c.Value}"))
                    : "no interface (a host starting)";
            }
            catch (Exception e) when (e is NetifException or NetifProtocolException or IOException or LinuxShim.Posix.PosixException)
            {
                host = $"no answer ({e.Message})";
            }
            string device = stack.DeviceStatus is { } v
                ? $"device: cable link {(v.CableLinked is { } up ? up ? "up" : "down" : "unknown")}, {v.FramesSent} frames sent, {v.FramesReceived} stored, " +
                  $"{v.FramesOverflowed} lost for room, {v.FramesRefused} for the station refused"
                : "device: no status";
            return $"{host}; {device}";
        }
        string first = Snapshot();
        Thread.Sleep(1000);
        return $"{first} | a second later: {Snapshot()}";
    }

    // Each fault starts from a critical client that is caught up (at most a second of events not
    // acknowledged yet), so that each is judged alone and the events a slow recovery held back (a
    // transmit watchdog's 6 s, a new host's probe) are all through before the next fault. Judged by
    // progress, not by a deadline: on a loaded machine a healthy driver drains a long outage's backlog
    // slowly, while one that moves fewer events than the client produces (a trickle between transmit
    // resets) never brings the backlog to a new low. So: caught up, or behind with no new low in the
    // backlog for StallTimeout (stalled), or still draining after CatchUpLimit.
    private bool CaughtUp()
    {
        var wait = Stopwatch.StartNew();
        int low = traffic.Pending;
        long lowAt = 0;
        while (traffic.Pending is var pending && pending > EventRate)
        {
            if (pending < low)
                (low, lowAt) = (pending, wait.ElapsedMilliseconds);
            long since = wait.ElapsedMilliseconds - lowAt;
            if (since > StallTimeout.TotalMilliseconds || wait.Elapsed > CatchUpLimit || CheckMustNotFail())
            {
                tap.WriteLine($"inject: the critical client did not catch up: {pending} events unacknowledged after {wait.Elapsed.TotalSeconds:F1} s, " +
                    $"the fewest {low} {since / 1000.0:F1} s ago, the last round trip {traffic.Now - traffic.LastRoundTrip} ms ago");
                return false;
            }
            Thread.Sleep(10);
        }
        if (wait.Elapsed > TimeSpan.FromSeconds(5))
            tap.WriteLine($"inject: the critical client caught up in {wait.Elapsed.TotalSeconds:F1} s");
        return true;
    }

    private FaultOutcome Inject(PlannedFault fault)
    {
        var supervisor = stack.Supervisor!;
        long start = traffic.Now;
        int failuresBefore = watch.Count;
        int violationsBefore = Volatile.Read(ref violations);
        int errorsBefore = tap.DriverErrors;
        long injectedBefore = supervisor.InjectedFailures;
        int host = supervisor.ActiveHostNumber;
        string detail;
        bool handled = false;
        CodeFaults.Patch? patch = null;
        int observe = options.ObserveMs;
        switch (fault.Group)
        {
            case "code":
            {
                var (target, faulty, description) = code.Value.Choose(fault.Name, new Random(fault.Seed));
                patch = code.Value.Apply(supervisor.ActiveHostPid, target, faulty, description);
                detail = patch.Description;
                break;
            }
            case "api" when fault.Name == "ioremap":
                // Mapped once, at probe: the fault goes into a new host's probe.
                supervisor.Reprobe([$"ioremap:{fault.Number}:100:{fault.Seed}"]);
                detail = $"ioremap fails {fault.Number}x during a new host's probe";
                break;
            case "api":
                supervisor.Inject([$"{fault.Name}:{fault.Number}:{fault.Percent}:{fault.Seed}"]);
                detail = $"{fault.Name} fails {fault.Number}x at {fault.Percent} %{(fault.Cycle ? ", interface down and up" : "")}";
                if (fault.Cycle)
                    handled = CycleInterface();
                break;
            case "device":
                if (!stack.InjectDeviceFault(fault.Name, fault.DurationMs, fault.Seed))
                    Note("the device server no longer takes faults (its standard input is closed)", critical: false, device: true);
                detail = $"{fault.Name} for {fault.DurationMs} ms";
                observe += fault.DurationMs;
                break;
            default:
                traffic.SendOnCable(DemoFrames.Attack(MacOf(), 1 + FaultPlan.TrojanActions.ToList().IndexOf(fault.Name)));
                detail = $"attack frame: {fault.Name}";
                break;
        }

        // Observe: a failure the supervisor detects ends the wait early.
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < observe && watch.Count == failuresBefore && Stopped is null)
            Thread.Sleep(5);
        if (patch is not null && watch.Count == failuresBefore && supervisor.ActiveHostPid == patch.Pid && !CodeFaults.Undo(patch))
        {
            // The host ended just now (the undo found it gone): give the supervisor time to report it.
            var late = Stopwatch.StartNew();
            while (late.ElapsedMilliseconds < 5000 && watch.Count == failuresBefore && Stopped is null)
                Thread.Sleep(5);
        }
        // Otherwise the host lived through it, and the next fault starts from clean text.
        if (fault.Group == "api")
            supervisor.Inject([.. FaultInjection.Sites.Select(s => $"{s}:0:100")]);

        int newViolations() => Volatile.Read(ref violations) - violationsBefore;
        if (watch.Count > failuresBefore || fault.Kind == "api.ioremap")
            return Recovery(fault, detail, start, failuresBefore, newViolations);

        // No failure detected: events must still get through (else the driver failed silently).
        if (traffic.RoundTripAfter(traffic.Now, StallTimeout) is null)
        {
            if (watch.Count > failuresBefore)
                return Recovery(fault, detail, start, failuresBefore, newViolations);
            // Nobody noticed: the campaign restarts the host itself so that it can go on, and says so.
            tap.WriteLine($"inject: no round trip through the driver for {StallTimeout.TotalSeconds:F0} s after fault {fault.Index} ({detail}), nothing detected: {StallState()}");
            supervisor.Reprobe([]);
            return Recovery(fault, detail, start, failuresBefore, newViolations) with { Outcome = FaultOutcome.Stalled };
        }
        // Events came through again because the supervisor detected a failure meanwhile (a stall takes 10 s) and a new host took over.
        if (watch.Count > failuresBefore)
            return Recovery(fault, detail, start, failuresBefore, newViolations);
        Thread.Sleep(2 * 50); // the next heartbeats carry the host's count of injected failures
        if (supervisor.ActiveHostNumber == host && supervisor.InjectedFailures > injectedBefore)
            handled = true;
        if (tap.DriverErrors > errorsBefore)
            handled = true;
        string outcome = newViolations() > 0 ? FaultOutcome.ViolationDenied : handled ? FaultOutcome.Handled : FaultOutcome.NoEffect;
        return new FaultOutcome(fault.Index, fault.Kind, detail, outcome, null, null, null, newViolations());
    }

    // A failure was detected (or a reprobe asked for): until a new host serves and events flow again.
    private FaultOutcome Recovery(PlannedFault fault, string detail, long start, int failuresBefore, Func<int> violationsSince)
    {
        var wait = Stopwatch.StartNew();
        while (watch.Count == failuresBefore && wait.Elapsed < TimeSpan.FromSeconds(5))
            Thread.Sleep(5);
        var restarts = watch.Restarts;
        if (restarts.Count == failuresBefore)
            return new FaultOutcome(fault.Index, fault.Kind, detail, FaultOutcome.NoEffect, null, null, null, violationsSince());
        var first = restarts[failuresBefore];
        // The detection on the campaign's clock: the watch's clock started with the stack, before ours.
        long detectedAt = traffic.Now - (long)((watch.Elapsed - first.DetectedAtSeconds) * 1000);
        while (wait.Elapsed < RecoveryTimeout && Stopped is null && (stack.Supervisor!.ActiveHostPid == 0 || watch.Restarts.Any(r => r.ServingAfterMs is null)))
        {
            CheckMustNotFail();
            Thread.Sleep(5);
        }
        // A new host serves: events must flow again without the campaign's help. On a loaded machine that can take
        // a while (e1000's probe alone took 5-25 s at load 30), so the wait is the recovery time, not the stall time.
        long? arrival = stack.Supervisor!.ActiveHostPid == 0 ? null : traffic.RoundTripAfter(traffic.Now, RecoveryTimeout);
        string failure = first.Failure;
        string outcome;
        if (arrival is null)
            outcome = FaultOutcome.Unrecovered;
        else if (failure == "reprobe")
            // A probe-time fault: the host with the fault failed its probe (the driver's error path) or came up anyway.
            outcome = ProbeFailed() ? FaultOutcome.Handled : FaultOutcome.NoEffect;
        else
            outcome = FaultOutcome.Recovered;
        double detect = Math.Max(0, detectedAt - start);
        double? recovery = arrival is { } a ? Math.Max(0, a - detectedAt) : null;
        return new FaultOutcome(fault.Index, fault.Kind, detail, outcome, failure, detect, recovery, violationsSince());
    }

    // Whether the last reprobe's first host failed (its restart_failed record).
    private bool ProbeFailed()
    {
        var records = stack.Audit.Records;
        int reprobe = records.Select((r, i) => (r, i)).LastOrDefault(x => x.r.GetValueOrDefault("event") as string == "reprobe").i;
        return records.Skip(reprobe).Any(r => r.GetValueOrDefault("event") as string == "restart_failed");
    }

    // ifdown, ifup with the fault armed (the driver's open fails or not), and up again without it.
    private bool CycleInterface()
    {
        var link = stack.Link;
        Thread.Sleep(2 * 50); // the fault is armed with the next heartbeat
        bool failed = false;
        try
        {
            link.Down();
            link.Up();
        }
        catch (NetifException)
        {
            failed = true; // the driver's ndo_open returned an error
        }
        catch (Exception e) when (e is NetifProtocolException or LinuxShim.Posix.PosixException or IOException)
        {
            // The host went while its interface was cycled: the supervisor reports that failure.
        }
        stack.Supervisor!.Inject([.. FaultInjection.Sites.Select(s => $"{s}:0:100")]);
        Thread.Sleep(2 * 50);
        for (int attempt = 0; attempt < 20; attempt++)
        {
            try
            {
                link.Up();
                break;
            }
            catch (Exception e) when (e is NetifException or NetifProtocolException or LinuxShim.Posix.PosixException or IOException)
            {
                Thread.Sleep(100);
            }
        }
        link.WaitForCarrier(TimeSpan.FromSeconds(5));
        return failed;
    }

    private byte[] MacOf()
    {
        NetifMac.TryParse(stack.Link.Show()?.Mac ?? "52:54:00:12:34:56", out var mac);
        return mac;
    }

    // True when something that must not fail did; the campaign stops.
    private bool CheckMustNotFail()
    {
        if (Stopped is not null)
            return true;
        if (tap.Escapes > 0)
            Note($"sandbox escape: {tap.EscapeLine}", critical: false);
        else if (watch.Fatal is { } fatal)
            Note(fatal, critical: false, device: fatal.Contains("device server", StringComparison.Ordinal));
        return Stopped is not null;
    }

    private void Note(string why, bool critical, bool device = false)
    {
        if (Stopped is not null)
            return;
        Stopped = why;
        if (critical)
            CriticalFailures++;
        else if (device)
            DeviceFailures++;
        else if (!why.StartsWith("sandbox escape", StringComparison.Ordinal))
            SupervisorFailures++;
    }

    public void Dispose()
    {
        traffic.Dispose();
        watch.Dispose();
        stack.Dispose();
        cable.Dispose();
    }

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex CallPath();

    /// <summary>
    /// The stack's log, read on its way past: the driver's warnings and errors (printk levels 0-4), and what
    /// the trojan's escape attempts got (anything but -EPERM is an escape).
    /// </summary>
    private sealed partial class LogTap(TextWriter inner) : TextWriter
    {
        private int driverErrors, escapes;

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
        public int DriverErrors => Volatile.Read(ref driverErrors);
        public int Escapes => Volatile.Read(ref escapes);
        public string? EscapeLine { get; private set; }

        public override void Write(char value) => inner.Write(value);

        public override void WriteLine(string? value)
        {
            if (value is not null && value.StartsWith("[host#", StringComparison.Ordinal))
            {
                if (DriverError().IsMatch(value))
                    Interlocked.Increment(ref driverErrors);
                if (Escape().Match(value) is { Success: true } m && m.Groups[1].Value != "-1")
                {
                    EscapeLine = value;
                    Interlocked.Increment(ref escapes);
                }
            }
            inner.WriteLine(value);
        }

        [GeneratedRegex(@"^\[host#\d+\] <[0-4]> ")]
        private static partial Regex DriverError();

        [GeneratedRegex(@"trojan: escape \w+ = (-?\d+)")]
        private static partial Regex Escape();
    }
}
