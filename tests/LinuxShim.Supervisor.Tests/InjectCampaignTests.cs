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

    // The sample per port (CI's budget: about a minute each on two cores); the seed fixes the mix.
    public const int SampleFaults = 40;

    [Theory]
    [InlineData("8139too-trojan", "rtl8139", 7)]
    [InlineData("e1000", "82540em", 7)]
    public void ASampleCampaignLosesNothingAndRecoversEveryFailure(string port, string device, int seed)
    {
        string library = BuiltPorts.Library(kernel, port);
        var recipe = PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", port));
        bool trojan = recipe.Parameters.Any(p => p.StartsWith("trojan=", StringComparison.Ordinal));
        var options = new Campaign.Options(port, library, device, recipe.Parameters, work.Combine("run"),
            FaultPlan.Select(null, trojan), SampleFaults, seed, 600, work.Combine("audit.jsonl"), trojan);
        var log = new StringWriter();
        var campaign = new Campaign(options, TextWriter.Synchronized(log));
        try
        {
            campaign.Run((_, o) => output.WriteLine($"#{o.Index} {o.Kind}: {o.Detail} -> {o.Outcome} {o.Failure} {o.RecoveryMs:F0}"));
        }
        finally
        {
            campaign.Dispose();
        }
        var report = new InjectReport(seed, [new InjectReport.PortResult(port, 0, campaign)], 0);
        var text = new StringWriter();
        report.Print(text);
        output.WriteLine(text.ToString());

        Assert.Null(campaign.Stopped);
        Assert.Equal(SampleFaults, report.Faults);
        Assert.Equal(0, report.EventsLost);
        Assert.True(campaign.EventsProduced > 100 * 10, $"only {campaign.EventsProduced} critical events flowed");
        Assert.Equal(0, report.SupervisorFailures);
        Assert.Equal(0, report.DeviceFailures);
        Assert.Equal(0, report.Escapes);
        // Every failure the supervisor detected was recovered. Stalls nobody detected (the open issue the
        // README names: a device fault or a kernel API failure leaves the driver not transmitting, a
        // few in a hundred faults) are counted apart and bounded.
        var outcomes = campaign.Outcomes;
        var detected = outcomes.Where(o => o.Failure is not null && o.Failure != "reprobe").ToList();
        Assert.True(detected.Count > 0, "no host failure was detected: the campaign injected nothing that mattered");
        Assert.All(detected, o => Assert.True(o.Outcome is FaultOutcome.Recovered or FaultOutcome.Stalled, $"#{o.Index} {o.Kind}: {o.Outcome}"));
        Assert.InRange(outcomes.Count(o => o.Outcome == FaultOutcome.Stalled), 0, 2);
        // Every group was drawn, and its faults were seen to act.
        foreach (var group in trojan ? new[] { "code", "api", "device", "trojan" } : ["code", "api", "device"])
            Assert.Contains(outcomes, o => o.Kind.StartsWith(group + ".", StringComparison.Ordinal));
        Assert.Contains(outcomes, o => o.Kind.StartsWith("api.", StringComparison.Ordinal) && o.Outcome == FaultOutcome.Handled);
        Assert.Contains(outcomes, o => o.Outcome == FaultOutcome.Recovered && o.RecoveryMs is > 0);
        if (trojan)
            Assert.Contains(outcomes, o => o.Kind == "trojan.escape" && o.Outcome == FaultOutcome.ViolationDenied && o.Violations >= 5);
    }
}
