// SPDX-License-Identifier: MIT
// Tests of the fault injection campaign (issue 18), CI's sample of bench/inject: faults of every group
// (code faults in the driver's text, kernel API failures, device faults, the trojan's attacks) into the
// trojaned 8139too and into e1000, each isolated and supervised with a critical client's events
// flowing. Nothing that must not fail may fail, no event may be lost, every detected host failure
// must be recovered; and the sample must show each group doing something (a fault handled or
// recovered, a violation denied), so that a campaign that injects nothing cannot pass.
using LinuxShim.Import.Port;
using LinuxShim.Tools.Inject;
using Xunit.Abstractions;

namespace LinuxShim.Supervisor.Tests;

[Collection(KernelCollection.Name)]
public sealed class InjectCampaignTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory work = new();

    public void Dispose() => work.Dispose();

    // The sample: 50 faults into each port, one campaign per port, both at once, as
    // `linuxshim inject ports/8139too-trojan ports/e1000 --faults 50 --seed 7`. CI runs it beside the other test
    // assemblies on two cores; six campaigns (three per port) there starved their own critical clients: with four
    // busy loops beside them here, two 8139too-trojan campaigns could not catch up after a recovery (3,001 events
    // still unacknowledged 120 s on) and stopped. Two stacks leave each its share of the machine.
    public const int SampleFaults = 50, Parallel = 1, Seed = 7;

    // The bound on a recovery: CI runs this sample beside the other test assemblies on two cores (load 20-30),
    // where probing a new host alone took 5-25 s, and the 30 s a campaign on its own machine allows ran out
    // there in some runs (a new host's first round trip at 22-28 s; once no host serving 30 s after an ioremap
    // fault's failed probe) though nothing was lost or left broken. The sample asks for what it checks:
    // every failure recovered, nothing lost; the benchmark (bench/inject) keeps the 30 s.
    public static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(120);

    // Half the benchmark's critical events per second: six clients at 100 a second, each event through a driver
    // host and a device server, are a good part of two cores that the other test assemblies need too.
    public const int EventRate = 50;

    [Fact]
    public void ASampleCampaignOf100FaultsLosesNothingAndRecoversEveryFailure()
    {
        var ports = new[] { ("8139too-trojan", "rtl8139"), ("e1000", "82540em") };
        var members = new List<CampaignSet.Member>();
        foreach (var (port, device) in ports)
        {
            var recipe = PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", port));
            bool trojan = recipe.Parameters.Any(p => p.StartsWith("trojan=", StringComparison.Ordinal));
            var options = new Campaign.Options(port, BuiltPorts.Library(kernel, port), device, recipe.Parameters, work.Combine(port),
                FaultPlan.Select(null, trojan), SampleFaults, Seed, 600, work.Combine($"{port}.audit.jsonl"), trojan)
            {
                RecoveryTimeout = RecoveryTimeout,
                EventRate = EventRate,
            };
            members.AddRange(CampaignSet.Shards(options, Parallel));
        }
        Assert.Equal(2 * Parallel, members.Count);
        Assert.Equal(SampleFaults, members.Where(m => m.Options.Port == "e1000").Sum(m => m.Options.Faults));
        var log = TextWriter.Synchronized(new StringWriter());
        var run = CampaignSet.Run(members, log, log, (options, o, _) =>
            output.WriteLine($"{options.Port} #{o.Index} {o.Kind}: {o.Detail} -> {o.Outcome} {o.Failure} {o.RecoveryMs:F0}"));
        Assert.Null(run.Error);
        var report = new InjectReport(Seed, run.Results, 0);
        var text = new StringWriter();
        report.Print(text);
        output.WriteLine(text.ToString());

        // Why a campaign stopped, whole (an assertion on each would cut it short), with what its supervisor
        // recorded of failed restarts and give-ups: the first lines a reader of a failed run sees.
        var stops = run.Results.Where(r => r.Campaign.Stopped is not null).Select(r => $"{r.Port}/{r.Shard}: {r.Campaign.Stopped}").ToList();
        Assert.True(stops.Count == 0, $"stopped: {string.Join("; ", stops)}\n{string.Join("\n", members.SelectMany(m => Records(m.Options.AuditLog!, "restart_failed", "give_up")))}");
        // The stacks started one after another: each campaign's first host was granted its device after the
        // campaign before it had a host serving (their audit logs' first "capability" and "ready" records).
        for (int n = 1; n < members.Count; n++)
        {
            var (before, after) = (members[n - 1].Options.AuditLog!, members[n].Options.AuditLog!);
            var served = FirstRecord(before, "ready");
            var granted = FirstRecord(after, "capability");
            Assert.True(granted >= served, $"{after}: its first host was granted at {granted:O}, before {before}'s served ({served:O})");
        }
        Assert.Equal(2 * SampleFaults, report.Faults);
        Assert.Equal(0, report.EventsLost);
        Assert.Equal(0, report.SupervisorFailures);
        Assert.Equal(0, report.DeviceFailures);
        Assert.Equal(0, report.Escapes);
        foreach (var (port, _) in ports)
        {
            var campaigns = run.Results.Where(r => r.Port == port).ToList();
            Assert.True(campaigns.Count == Parallel, $"{port}: {campaigns.Count} campaigns");
            Assert.All(campaigns, c => Assert.True(c.Campaign.EventsProduced > EventRate * 10, $"{port}: only {c.Campaign.EventsProduced} critical events flowed"));
            var outcomes = campaigns.SelectMany(c => c.Campaign.Outcomes).ToList();
            // The faults (the shards' numbered apart, were there several) are 0..49, each once.
            Assert.Equal(Enumerable.Range(0, SampleFaults), outcomes.Select(o => o.Index).Order());
            // Every failure the supervisor detected was recovered without the campaign's help, but for at most one
            // per port that left the critical client behind for longer than the campaign waits (a stall, which the
            // campaign ends itself: the benchmark counts those against its 99.9 %; a CI machine busy with other
            // test assemblies makes recoveries slow).
            var detected = outcomes.Where(o => o.Failure is not null && o.Failure != "reprobe").ToList();
            Assert.True(detected.Count > 0, $"{port}: no host failure was detected: the campaign injected nothing that mattered");
            Assert.All(detected, o => Assert.True(o.Outcome is FaultOutcome.Recovered or FaultOutcome.Stalled, $"{port} #{o.Index} {o.Kind}: {o.Outcome}"));
            Assert.InRange(outcomes.Count(o => o.Outcome == FaultOutcome.Stalled), 0, 1);
            // Every group was drawn, and its faults were seen to act.
            bool trojan = port.EndsWith("-trojan", StringComparison.Ordinal);
            foreach (var group in trojan ? new[] { "code", "api", "device", "trojan" } : ["code", "api", "device"])
                Assert.Contains(outcomes, o => o.Kind.StartsWith(group + ".", StringComparison.Ordinal));
            Assert.Contains(outcomes, o => o.Kind.StartsWith("api.", StringComparison.Ordinal) && o.Outcome == FaultOutcome.Handled);
            Assert.Contains(outcomes, o => o.Outcome == FaultOutcome.Recovered && o.RecoveryMs is > 0);
            if (trojan)
                Assert.Contains(outcomes, o => o.Kind == "trojan.escape" && o.Outcome == FaultOutcome.ViolationDenied && o.Violations >= 5);
        }
    }

    // An audit log's records of these events, as they stand.
    private static IEnumerable<string> Records(string auditLog, params string[] events) =>
        File.Exists(auditLog) ? File.ReadLines(auditLog).Where(line => events.Any(e => line.Contains($"\"event\":\"{e}\"", StringComparison.Ordinal))) : [];

    // The time of an audit log's first record of this event.
    private static DateTimeOffset FirstRecord(string auditLog, string @event)
    {
        foreach (string line in File.ReadLines(auditLog))
        {
            using var record = System.Text.Json.JsonDocument.Parse(line);
            if (record.RootElement.GetProperty("event").GetString() == @event)
                return DateTimeOffset.Parse(record.RootElement.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new Xunit.Sdk.XunitException($"{auditLog}: no {@event} record");
    }
}
