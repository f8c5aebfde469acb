// SPDX-License-Identifier: MIT
// Tests of the CPU's progress counters (shim/Kernel/Progress.cs), which the driver host reports to its
// supervisor without taking the CPU: while one context holds the CPU and gets nothing done, the
// counters stand still and the time it has held the CPU grows; handing the CPU over moves them.
// Every counter is written only by the CPU's holder, so while this test holds it no other test's
// driver code can move them.
using System.Diagnostics;
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Host;

public sealed class ProgressTests
{
    [Fact]
    public void ACpuHeldWithNothingDoneStandsStillAndAHandOffMovesTheCounters()
    {
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var stuck = new Thread(() => Cpu.Run(() =>
        {
            holding.Set();
            release.Wait(); // a context that keeps the CPU and completes nothing, as a spinning driver
        })) { IsBackground = true };
        stuck.Start();
        holding.Wait();
        Progress.Snapshot first;
        try
        {
            first = Progress.Read();
            Assert.True(first.CpuHeld);
            Assert.Equal(Progress.Names.Length, first.Counters.Length);
            var clock = Stopwatch.StartNew();
            var later = first;
            while (later.CpuHeldMs < first.CpuHeldMs + 100 && clock.Elapsed < TimeSpan.FromSeconds(10))
                later = Progress.Read();
            Assert.True(later.CpuHeldMs >= first.CpuHeldMs + 100, $"held {later.CpuHeldMs} ms after {clock.ElapsedMilliseconds} ms");
            Assert.False(later.AdvancedSince(first), "a counter moved while the CPU was held by a context that did nothing");
            Assert.Equal(first.ToMap(), later.ToMap());
        }
        finally
        {
            release.Set();
            stuck.Join();
        }
        // The holder gave the CPU back: the hand-off is progress, whoever holds the CPU now.
        int handoffs = Array.IndexOf(Progress.Names, "cpu_handoffs");
        Assert.True(Progress.Read().Counters[handoffs] > first.Counters[handoffs]);
    }

    [Fact]
    public void EveryHandOffIsCountedAndAFreeCpuReportsNoHoldingTime()
    {
        long before = 0, inside = 0;
        long heldInside = 0;
        Cpu.Run(() =>
        {
            var s = Progress.Read();
            before = s.Counters[0];
            heldInside = s.CpuHeldMs;
            Cpu.Run(() => inside = Progress.Read().Counters[0]); // nested: no hand-off
        });
        Assert.True(heldInside > 0);
        Assert.Equal(before, inside);
        long after = Cpu.Run(() => Progress.Read().Counters[0]);
        Assert.True(after > before, $"{after} after {before}: the first Run's release was not counted");
    }
}
