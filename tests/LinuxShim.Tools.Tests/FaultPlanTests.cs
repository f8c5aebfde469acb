// SPDX-License-Identifier: MIT
// Tests of the fault injection campaign's plan and the shim's kernel API fault specs: a seed replays
// the same faults, kinds and groups are chosen as asked, bad input is refused with what was wrong.
using LinuxShim.Shim.Kernel;
using LinuxShim.Tools;
using LinuxShim.Tools.Inject;

namespace LinuxShim.Tools.Tests;

public sealed class FaultPlanTests
{
    private static List<PlannedFault> Plan(int seed, IReadOnlyList<string> kinds)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 200).Select(i => FaultPlan.Draw(i, kinds, random))];
    }

    [Fact]
    public void ASeedReplaysTheSameFaultsAndAnotherDoesNot()
    {
        var kinds = FaultPlan.Select(null, trojan: true);
        Assert.Equal(Plan(5, kinds), Plan(5, kinds));
        Assert.NotEqual(Plan(5, kinds), Plan(6, kinds));
        // Every kind comes up in a few hundred draws.
        Assert.Equal(kinds.Order(), Plan(5, kinds).Select(f => f.Kind).Distinct().Order());
    }

    [Fact]
    public void GroupsAndKindsSelectAndTheTrojanNeedsItsPort()
    {
        Assert.Equal(["device.irq_storm", "api.slab", "api.page_alloc", "api.dma_map", "api.request_irq", "api.ioremap"],
            FaultPlan.Select("device.irq_storm, api", trojan: false));
        Assert.DoesNotContain(FaultPlan.Select(null, trojan: false), k => k.StartsWith("trojan.", StringComparison.Ordinal));
        Assert.Contains("trojan.escape", FaultPlan.Select(null, trojan: true));
        Assert.Contains("no trojan", Assert.Throws<UsageException>(() => FaultPlan.Select("trojan.crash", trojan: false)).Message);
        Assert.Contains("unknown fault kind 'cosmic'", Assert.Throws<UsageException>(() => FaultPlan.Select("cosmic", trojan: true)).Message);
    }

    [Theory]
    [InlineData("slab")]
    [InlineData("slab:1")]
    [InlineData("slab:x:50")]
    [InlineData("slab:1:0")]
    [InlineData("slab:1:101")]
    [InlineData("firmware:1:100")]
    [InlineData("slab:1:100:seed")]
    public void BadKernelApiFaultSpecsAreRefusedAndArmNothing(string spec)
    {
        string? problem = FaultInjection.Arm([spec]);
        Assert.NotNull(problem);
        Assert.Contains(spec, problem);
    }
}
