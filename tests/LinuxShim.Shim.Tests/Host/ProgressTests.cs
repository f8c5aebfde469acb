// SPDX-License-Identifier: MIT
// Tests of the CPU's progress counters (shim/Kernel/Progress.cs), which the driver host reports to its
// supervisor without taking the CPU: while one context holds the CPU and gets nothing done, the
// counters stand still and the time it has held the CPU grows; handing the CPU over moves them.
// Every counter is written only by the CPU's holder, so while this test holds it no other test's
// driver code can move them.
using System.Diagnostics;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

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

    [Fact]
    public void AHoldersWaitForTheDevicesReplyIsCountedAndAWaitWithoutTheCpuIsNot()
    {
        // A device server that answers BAR 1 reads 300 ms late: the supervisor must not blame the driver holding
        // the CPU for that time (a starved QEMU did this on a loaded CI machine, and a host was replaced mid-ping).
        const int Late = 300;
        using var fake = new FakeVfioUserServer((_, r) =>
        {
            if (r.Command == VfioUserCommand.RegionRead && r.Region == 1)
                Thread.Sleep(Late);
            return false; // then the honest answer
        });
        using var client = new VfioUserClient(fake.ClientEnd, TimeSpan.FromSeconds(30)) { Waiting = Progress.DeviceWaiting };
        long outside = Progress.Read().DeviceWaitMs;
        client.ReadBar(1, 0, 4); // no CPU held: not a holder's wait
        Assert.Equal(outside, Progress.Read().DeviceWaitMs);

        long midWait = -1, before = 0, after = 0;
        Cpu.Run(() =>
        {
            before = Progress.Read().DeviceWaitMs;
            using var sampled = new ManualResetEventSlim();
            var sampler = new Thread(() =>
            {
                // Read as the host's heartbeat reads it, without the CPU, while the reply is awaited.
                Thread.Sleep(Late / 2);
                midWait = Progress.Read().DeviceWaitMs;
                sampled.Set();
            }) { IsBackground = true };
            sampler.Start();
            client.ReadBar(1, 0, 4);
            sampled.Wait();
            after = Progress.Read().DeviceWaitMs;
        });
        Assert.InRange(midWait - before, Late / 4, after - before); // the wait under way counts already
        Assert.True(after - before >= Late - 5, $"{after - before} ms counted for a {Late} ms wait");
        Assert.Equal(after, Progress.Read().DeviceWaitMs); // over: it stops growing
    }
}
