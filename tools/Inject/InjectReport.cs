// SPDX-License-Identifier: MIT
// Managed side, the fault injector. What a campaign found, as a table per fault kind and as JSON
// (the issue's fields at the top level: faults, detected, recovered, events_lost,
// supervisor_failures, device_failures, escapes, by_kind), and whether it passed.
using System.Globalization;
using System.Text.Json;

namespace LinuxShim.Tools.Inject;

public sealed class InjectReport(int seed, IReadOnlyList<InjectReport.PortResult> campaigns, double seconds)
{
    /// <summary>One campaign: a port's, or one shard of a port's faults (the same port may appear several times).</summary>
    public sealed record PortResult(string Port, double Seconds, Campaign Campaign, int Shard = 0);

    // A port's campaigns (its shards), in the order the ports were given.
    private sealed record Port(string Name, IReadOnlyList<PortResult> Shards)
    {
        public double Seconds => Shards.Max(s => s.Seconds);
        public IEnumerable<FaultOutcome> Outcomes => Shards.SelectMany(s => s.Campaign.Outcomes).OrderBy(o => o.Index);
        public int Faults => Shards.Sum(s => s.Campaign.Outcomes.Count);
        public int EventsProduced => Shards.Sum(s => s.Campaign.EventsProduced);
        public int EventsDelivered => Shards.Sum(s => s.Campaign.EventsDelivered);
        public string? Stopped => Shards.Select(s => s.Campaign.Stopped is { } why ? Shards.Count > 1 ? $"shard {s.Shard}: {why}" : why : null)
            .FirstOrDefault(w => w is not null);
        public IReadOnlyDictionary<string, int> ViolationCalls => Shards.SelectMany(s => s.Campaign.ViolationCalls)
            .GroupBy(v => v.Key).ToDictionary(g => g.Key, g => g.Sum(v => v.Value));
    }

    private readonly IReadOnlyList<Port> ports = [.. campaigns.GroupBy(c => c.Port).Select(g => new Port(g.Key, [.. g.OrderBy(c => c.Shard)]))];

    /// <summary>The share of detected failures that must recover automatically.</summary>
    public const double RecoveryGoal = 0.999;

    private IEnumerable<FaultOutcome> All => ports.SelectMany(p => p.Outcomes);

    // Host failures: those the supervisor detected (a reprobe the campaign asked for is not one), and
    // those nobody detected that stopped the events (stalled: not recovered automatically).
    public static bool Detected(FaultOutcome o) => (o.Failure is not null && o.Failure != "reprobe") || o.Outcome == FaultOutcome.Stalled;

    public int Faults => All.Count();
    public int DetectedCount => All.Count(Detected);
    public int RecoveredCount => All.Count(o => Detected(o) && o.Outcome == FaultOutcome.Recovered);
    public int EventsLost => campaigns.Sum(p => p.Campaign.EventsProduced - p.Campaign.EventsDelivered);
    public int SupervisorFailures => campaigns.Sum(p => p.Campaign.SupervisorFailures);
    public int DeviceFailures => campaigns.Sum(p => p.Campaign.DeviceFailures);
    public int CriticalFailures => campaigns.Sum(p => p.Campaign.CriticalFailures);
    public int Escapes => campaigns.Sum(p => p.Campaign.Escapes);
    public double RecoveredShare => DetectedCount == 0 ? 1 : (double)RecoveredCount / DetectedCount;

    public bool Passed => campaigns.All(p => p.Campaign.Stopped is null) && EventsLost == 0 && SupervisorFailures == 0 && DeviceFailures == 0
                          && CriticalFailures == 0 && Escapes == 0 && RecoveredShare >= RecoveryGoal;

    private sealed record KindRow(string Kind, int Injected, int NoEffect, int Handled, int Detected, int Recovered, int Unrecovered, int Stalled,
        int ViolationsDenied, double? MedianMs, double? P99Ms);

    private static List<KindRow> Rows(IEnumerable<FaultOutcome> outcomes) =>
        [.. outcomes.GroupBy(o => o.Kind).OrderBy(g => FaultPlan.AllKinds.ToList().IndexOf(g.Key)).Select(g =>
        {
            var times = g.Where(o => o.Outcome == FaultOutcome.Recovered && o.RecoveryMs is not null).Select(o => o.RecoveryMs!.Value).Order().ToList();
            return new KindRow(g.Key, g.Count(), g.Count(o => o.Outcome == FaultOutcome.NoEffect), g.Count(o => o.Outcome == FaultOutcome.Handled),
                g.Count(Detected), g.Count(o => Detected(o) && o.Outcome == FaultOutcome.Recovered), g.Count(o => o.Outcome == FaultOutcome.Unrecovered),
                g.Count(o => o.Outcome == FaultOutcome.Stalled), g.Count(o => o.Outcome == FaultOutcome.ViolationDenied),
                Percentile(times, 0.5), Percentile(times, 0.99));
        })];

    private static double? Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? null : Math.Round(sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)], 1);

    public void Print(TextWriter o)
    {
        foreach (var p in ports)
        {
            string shards = p.Shards.Count > 1 ? $" ({p.Shards.Count} campaigns side by side)" : "";
            o.WriteLine($"{p.Name}: {p.Faults} faults in {p.Seconds / 60:F1} min{shards}, {p.EventsProduced} critical events, {p.EventsProduced - p.EventsDelivered} lost{(p.Stopped is null ? "" : $"; STOPPED: {p.Stopped}")}");
            PrintTable(o, Rows(p.Outcomes));
            if (p.ViolationCalls.Count > 0)
                o.WriteLine("  violations denied and audited: " + string.Join(", ", p.ViolationCalls.OrderByDescending(v => v.Value).Select(v => $"{v.Key} x{v.Value}")));
            o.WriteLine();
        }
        if (ports.Count > 1)
        {
            o.WriteLine("all ports:");
            PrintTable(o, Rows(All));
            o.WriteLine();
        }
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"faults {Faults} (seed {seed}, {seconds / 60:F1} min): detected {DetectedCount}, recovered {RecoveredCount} ({RecoveredShare * 100:F2} %), " +
            $"events lost {EventsLost}, supervisor failures {SupervisorFailures}, device server failures {DeviceFailures}, critical client failures {CriticalFailures}, escapes {Escapes}"));
        o.WriteLine(Passed
            ? "inject: passed"
            : $"inject: FAILED ({string.Join("; ", Reasons())})");
    }

    private IEnumerable<string> Reasons()
    {
        foreach (var p in ports.Where(p => p.Stopped is not null))
            yield return $"{p.Name} stopped: {p.Stopped}";
        if (EventsLost > 0)
            yield return $"{EventsLost} events lost";
        if (RecoveredShare < RecoveryGoal)
            yield return $"{DetectedCount - RecoveredCount} of {DetectedCount} detected failures not recovered";
    }

    private static void PrintTable(TextWriter o, List<KindRow> rows)
    {
        o.WriteLine($"  {"kind",-24} {"injected",8} {"no effect",9} {"handled",8} {"detected",8} {"recovered",9} {"unrecov.",8} {"stalled",7} {"denied",6} {"median ms",9} {"p99 ms",7}");
        foreach (var r in rows)
            o.WriteLine($"  {r.Kind,-24} {r.Injected,8} {r.NoEffect,9} {r.Handled,8} {r.Detected,8} {r.Recovered,9} {r.Unrecovered,8} {r.Stalled,7} {r.ViolationsDenied,6} {Ms(r.MedianMs),9} {Ms(r.P99Ms),7}");
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("F0", CultureInfo.InvariantCulture) : "-";

    private static object ByKind(IEnumerable<FaultOutcome> outcomes) => Rows(outcomes).ToDictionary(r => r.Kind, r => new
    {
        injected = r.Injected, no_effect = r.NoEffect, handled = r.Handled, detected = r.Detected, recovered = r.Recovered,
        unrecovered = r.Unrecovered, stalled = r.Stalled, violations_denied = r.ViolationsDenied,
        median_recovery_ms = r.MedianMs, p99_recovery_ms = r.P99Ms,
    });

    public void WriteJson(string path)
    {
        var doc = new
        {
            seed,
            seconds = Math.Round(seconds, 1),
            faults = Faults,
            detected = DetectedCount,
            recovered = RecoveredCount,
            recovered_share = Math.Round(RecoveredShare, 5),
            events_lost = EventsLost,
            supervisor_failures = SupervisorFailures,
            device_failures = DeviceFailures,
            critical_client_failures = CriticalFailures,
            escapes = Escapes,
            passed = Passed,
            by_kind = ByKind(All),
            by_port = ports.ToDictionary(p => p.Name, p => new
            {
                faults = p.Faults,
                seconds = Math.Round(p.Seconds, 1),
                campaigns = p.Shards.Count,
                seeds = p.Shards.Select(s => FaultPlan.ShardSeed(seed, s.Shard)),
                events_produced = p.EventsProduced,
                events_delivered = p.EventsDelivered,
                stopped = p.Stopped,
                violations = p.ViolationCalls,
                by_kind = ByKind(p.Outcomes),
            }),
            outcomes = ports.SelectMany(p => p.Outcomes.Select(o => new
            {
                port = p.Name, index = o.Index, kind = o.Kind, detail = o.Detail, outcome = o.Outcome, failure = o.Failure,
                detect_ms = o.DetectMs is { } d ? Math.Round(d, 1) : (double?)null,
                recovery_ms = o.RecoveryMs is { } r ? Math.Round(r, 1) : (double?)null, violations = o.Violations,
            })),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
