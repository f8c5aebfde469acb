// SPDX-License-Identifier: MIT
// Managed side. `linuxshim inject PORT... --faults N`: a fault injection campaign against each port's
// driver, isolated and supervised with a critical client's events flowing through it (Campaign),
// then a table per fault kind and, with --json, the campaign's numbers. It passes when nothing that
// must not fail did: no supervisor or device server failure, no event lost, no sandbox escape, and at
// least 99.9 % of the host failures (detected by the supervisor, or stalls nobody detected) recovered
// automatically.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Import.Port;

namespace LinuxShim.Tools.Inject;

public static class InjectCommand
{
    public const string Help = """
        linuxshim inject: a fault injection campaign against a port's driver, isolated and supervised.

        Usage:
          linuxshim inject PORT... --faults N [--kinds LIST] [--seed S] [--json FILE] [--audit FILE]
                           [--observe-ms N] [--recovery-s N] [--minutes M] [--parallel K] [--device MODEL]
                           [--verbose]

        Each PORT (a port folder: ports/e1000, ports/8139too-trojan) runs supervised on its emulated NIC
        (the device server taking device faults), with a critical client sending acknowledged events
        through the driver (100 a second, resent until acknowledged). N faults are injected into each,
        one after another, each of a kind drawn from LIST with a generator seeded by S (default 1), so a
        seed replays the campaign:
          code.bitflip code.branch code.register code.skip
                     an instruction of the driver's receive, transmit, interrupt or timer functions, in
                     the running host's text (written through /proc/PID/mem, undone if the host lives):
                     one bit flipped, a conditional branch inverted, a source or destination register
                     changed, the instruction skipped
          api.slab api.page_alloc api.dma_map api.request_irq api.ioremap
                     kernel API calls fail as Linux's fault injection makes them (failslab,
                     fail_page_alloc): the next calls, with a drawn probability; half the time (always
                     for request_irq) the interface is taken down and up meanwhile; ioremap fails in a
                     new host's probe
          device.all_ones device.random_reads device.bad_descriptors device.irq_storm device.unresponsive
                     the device misbehaves for a while: a surprise removal, random register values,
                     descriptors written back with wrong lengths and status, its interrupt line stuck,
                     no answers at all
          trojan.crash trojan.hang trojan.leak trojan.storm trojan.escape
                     the trojan's attack frame (drivers that carry it: ports/8139too-trojan); escape makes
                     raw system calls the sandbox must deny and audit
        LIST is comma-separated kinds or groups (code, api, device, trojan); default: all the port has.

        Each fault is classified: no_effect; handled (the driver reported or counted an error, or saw a
        call fail); recovered (the supervisor detected a crash, hang, memory exhaustion, interrupt storm,
        device failure or a transmit or carrier stall, and events flowed again: recovery ms from
        detection to the first acknowledgement that came back through the new host); unrecovered;
        stalled (no acknowledgement came back for 20 s with no failure detected: the campaign restarts
        the host itself and counts it as a failure not recovered); violation_denied (audited, EPERM). A failure
        of what must not fail stops the campaign: the supervisor, the device server, the critical
        client (an event lost), a sandbox escape.

        Options:
          --faults N       faults per port (required)
          --kinds LIST     the kinds to draw from (default: all)
          --seed S         the campaign's seed (default 1)
          --json FILE      the numbers: faults, detected, recovered, events_lost, supervisor_failures,
                           device_failures, escapes, by_kind, by_port, and every fault's outcome
          --audit FILE     the supervisor's audit log (default: in the runtime directory)
          --observe-ms N   how long a fault is watched before it counts as without effect (1000)
          --recovery-s N   how long a new host may take to serve and the critical client to catch up
                           through it before a failure counts as unrecovered, or the campaign stops when no
                           host serves at all (30). Recovery times are measured either way; give more on a
                           machine busy with other work, where probing a host alone can take 5-25 s
          --minutes M      inject no new fault into a port after M minutes (the report gives the real count)
          --parallel K     K campaigns per port side by side (default 1), each with its own driver host,
                           device server and critical client, sharing the port's N faults; campaign j
                           draws from seed S + 1000003 j (campaign 0 from S itself), so the same S and K
                           replay the same faults. Every port's campaigns run at once (their hosts
                           started one after another); a fault mostly waits (for its effect, for a
                           device fault to end, for a recovery), so on two cores 3 per port take about
                           a third of the time
          --device MODEL   the NIC model (one port only): ours (rtl8139, e1000) or QEMU's (qemu:e1000, ...);
                           default the port's device line. Device faults act at the vfio-user boundary, so
                           on QEMU's models too, except bad_descriptors: QEMU writes descriptors straight
                           into the mapped memory, where the server does not see them (no effect)
          --verbose        the stack's log on standard error

        SIGINT or SIGTERM (Ctrl-C) stops the run after the faults in progress: events drained, every process it
        started stopped, the report of what ran printed and written (--json); a second one ends it at once.

        Exit status: 0 passed, 1 failed (see the last line), 2 usage error, 130 interrupted.
        """;

    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count == 0)
            throw new UsageException("inject needs a port folder, e.g. ports/e1000");
        if (cl.Get("faults") is null)
            throw new UsageException("inject needs --faults N");
        int faults = cl.GetInt("faults", 1);
        int seed = cl.Get("seed") is { } s ? int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v : throw new UsageException($"--seed must be a whole number >= 0, not '{s}'") : 1;
        int observe = cl.GetInt("observe-ms", 1000);
        int recoverySeconds = cl.GetInt("recovery-s", (int)Campaign.DefaultRecoveryTimeout.TotalSeconds);
        TimeSpan? limit = cl.Get("minutes") is { } m
            ? double.TryParse(m, CultureInfo.InvariantCulture, out double minutes) && minutes > 0 ? TimeSpan.FromMinutes(minutes) : throw new UsageException($"--minutes must be a positive number, not '{m}'")
            : null;
        var recipes = cl.Positionals.Select(PortRecipe.Load).ToList();
        if (cl.Get("device") is not null && recipes.Count > 1)
            throw new UsageException("--device names the model of one port: give one port with it (each port's device line is its default)");
        var plans = recipes.Select(r => (Recipe: r, Trojan: r.Parameters.Any(p => p.StartsWith("trojan=", StringComparison.Ordinal)),
            Device: DeviceChoice.Of(cl, r))).ToList();
        var kinds = plans.ToDictionary(p => p.Recipe.Name, p => FaultPlan.Select(cl.Get("kinds"), p.Trojan));
        if (cl.Get("json") is { } jsonPath && Path.GetDirectoryName(Path.GetFullPath(jsonPath)) is { } dir && !Directory.Exists(dir))
            throw new UsageException($"--json: no directory {dir}");
        int parallel = cl.GetInt("parallel", 1);
        if (parallel < 1 || parallel > 16)
            throw new UsageException($"--parallel must be between 1 and 16, not {parallel}");
        if (parallel > faults)
            throw new UsageException($"--parallel {parallel} needs at least as many faults per port (--faults {faults})");
        var log = cl.Has("verbose") ? stderr : TextWriter.Null;
        var started = Stopwatch.StartNew();
        // Every port is built first, one after another; then all the campaigns run side by side.
        var members = new List<CampaignSet.Member>();
        foreach (var (recipe, trojan, device) in plans)
        {
            string library = RunCommand.EnsureBuilt(cl, recipe, stderr);
            // One runtime directory per campaign: a second campaign on the same port must not take over
            // (and at its end delete) the first one's device socket.
            string runtime = Path.Combine(NetifCommand.RuntimeRoot(), $"{recipe.Name}-inject-{Environment.ProcessId}");
            var port = new Campaign.Options(recipe.Name, library, device, recipe.Parameters, runtime, kinds[recipe.Name], faults, seed, observe,
                cl.Get("audit") is { } a ? (plans.Count == 1 ? a : $"{a}.{recipe.Name}") : Path.Combine(runtime, "audit.jsonl"), trojan)
            {
                Limit = limit,
                RecoveryTimeout = TimeSpan.FromSeconds(recoverySeconds),
            };
            members.AddRange(CampaignSet.Shards(port, parallel));
            stderr.WriteLine($"inject: {recipe.Module} ({recipe.Name}): {faults} faults of {port.Kinds.Count} kinds, seed {seed}{(parallel == 1 ? "" : $", {parallel} campaigns side by side")} ...");
        }
        int total = faults * plans.Count, done = 0, detected = 0, recovered = 0;
        var progress = new Progress(stderr, "inject: ", logWhenRedirected: true, unit: "faults");
        // SIGINT or SIGTERM ends the run as its last fault would: no new fault, the events drained, every host,
        // device server and critical client stopped, and the report of what ran printed and written. A second one
        // ends the process at once.
        var interrupted = new StrongBox<bool>();
        string? signal = null;
        void Interrupt(PosixSignalContext context)
        {
            if (signal is not null)
                return; // the second: the runtime's default, the process ends
            signal = context.Signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM";
            context.Cancel = true;
            Volatile.Write(ref interrupted.Value, true);
            lock (stderr)
                stderr.WriteLine($"inject: {signal}: no new fault; ending each campaign and writing the report of what ran (again to stop at once)");
        }
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        var outcome = CampaignSet.Run(members, log, stderr, (options, o, events) =>
        {
            done++;
            if (InjectReport.Detected(o))
                detected++;
            if (o.Outcome == FaultOutcome.Recovered)
                recovered++;
            progress.Report(done, total, $"{options.Port} {o.Kind} {o.Outcome} ({detected} detected, {recovered} recovered)");
            if (log != TextWriter.Null)
                log.WriteLine($"inject: {options.Port}#{o.Index} {o.Kind}: {o.Detail} -> {o.Outcome}{(o.Failure is null ? "" : $" ({o.Failure}, detected {o.DetectMs:F0} ms, traffic again {o.RecoveryMs:F0} ms)")}; {events}");
        }, interrupted);
        progress.Finish();
        if (outcome.Error is { } error)
        {
            stderr.WriteLine($"inject: FAILED: {error}");
            return Cli.ExitFailure;
        }
        var reports = outcome.Results;
        var report = new InjectReport(seed, reports, started.Elapsed.TotalSeconds);
        report.Print(stdout);
        if (cl.Get("json") is { } json)
            report.WriteJson(json);
        if (signal is not null)
        {
            stderr.WriteLine($"inject: interrupted by {signal} after {report.Faults} of {total} faults; the report covers those");
            return Cli.ExitInterrupted;
        }
        return report.Passed ? Cli.ExitOk : Cli.ExitFailure;
    }
}
