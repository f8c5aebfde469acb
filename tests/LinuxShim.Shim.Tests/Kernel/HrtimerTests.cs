// SPDX-License-Identifier: MIT
// Tests of high-resolution timers (kernel/time/hrtimer.c) in process, on struct hrtimer laid out as Debian 6.1's
// headers lay it out: when and in which context a callback runs, HRTIMER_RESTART after hrtimer_forward(), and
// cancelling. As the execution-model tests, "never fires" is decided by a later sentinel timer having fired.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Kernel;

[Collection(KernelCollection.Name)]
public sealed unsafe class HrtimerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    // Expires: the expiry the callback ran for (before it forwarded it).
    private readonly record struct Seen(long Now, int PreemptCount, bool Queued, nint Running, long Expires);

    private static readonly ConcurrentDictionary<nint, ConcurrentQueue<Seen>> Calls = new();
    private static readonly ConcurrentDictionary<nint, int> Restarts = new(); // timers that restart this many more times, 2 ms apart

    public HrtimerTests(KernelFixture kernel) => InProcessMachine.Boot(kernel);

    private static long Now => ((delegate* unmanaged[Cdecl]<long>)&Time.KtimeGet)();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Callback(nint timer)
    {
        Calls.GetOrAdd(timer, _ => new()).Enqueue(new Seen(Now, Cpu.PreemptCount, (timer.U8(HrtimerLayout.State) & HrtimerLayout.StateEnqueued) != 0,
            timer.Ptr(HrtimerLayout.Base).Ptr(HrtimerLayout.ClockBaseRunning), (long)timer.U64(HrtimerLayout.Expires)));
        if (Restarts.TryGetValue(timer, out int left) && left > 0)
        {
            Restarts[timer] = left - 1;
            Hrtimer.Forward(timer, Now, 2_000_000); // hrtimer_forward_now()
            return HrtimerLayout.Restart;
        }
        return 0;
    }

    private static IReadOnlyList<Seen> SeenBy(nint t) => Calls.TryGetValue(t, out var q) ? [.. q] : [];

    private static void WaitFor(nint t, int count = 1)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (SeenBy(t).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"0x{t:x} fired {SeenBy(t).Count} times, not {count}");
            Thread.Sleep(2);
        }
    }

    private static nint Timer(uint mode)
    {
        nint t = (nint)NativeMemory.AllocZeroed((nuint)HrtimerLayout.Size.Size);
        Cpu.Run(() =>
        {
            ((delegate* unmanaged[Cdecl]<nint, int, uint, void>)&Hrtimer.HrtimerInit)(t, HrtimerLayout.ClockMonotonic, mode);
            t.Ptr(HrtimerLayout.Function, (nint)(delegate* unmanaged[Cdecl]<nint, int>)&Callback);
        });
        return t;
    }

    private static void Start(nint t, long ns, uint mode) =>
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, long, ulong, uint, void>)&Hrtimer.HrtimerStartRangeNs)(t, ns, 0, mode));

    private static int TryToCancel(nint t) => Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, int>)&Hrtimer.HrtimerTryToCancel)(t));

    [Fact]
    public void ARelativeTimerFiresOnceNotBeforeItsTimeInHardInterruptContext()
    {
        nint t = Timer(HrtimerLayout.ModeRel);
        long armed = Now;
        // Armed and looked at under one hold of the CPU: a loaded machine may let 5 ms pass between two holds.
        var (queued, state) = Cpu.Run(() =>
        {
            Start(t, 5_000_000, HrtimerLayout.ModeRel);
            return (Hrtimer.IsQueued(t), t.U8(HrtimerLayout.State));
        });
        Assert.True(queued);
        Assert.NotEqual(0, state & HrtimerLayout.StateEnqueued); // hrtimer_is_queued()
        Assert.True((long)t.U64(HrtimerLayout.Expires) >= armed + 5_000_000);
        WaitFor(t);
        var seen = SeenBy(t).Single();
        Assert.True(seen.Now - armed >= 5_000_000, $"fired {seen.Now - armed} ns after arming, before 5 ms");
        Assert.True((seen.PreemptCount & Cpu.HardirqOffset) != 0, $"preempt count 0x{seen.PreemptCount:x}: not in hard interrupt context");
        Assert.False(seen.Queued); // inactive while its function runs
        Assert.Equal(t, seen.Running); // hrtimer_callback_running()
        Assert.False(Hrtimer.IsQueued(t));
        Assert.Equal(0, TryToCancel(t));
    }

    [Fact]
    public void ASoftTimerRunsInSoftirqContextAndAnAbsoluteOneAtItsTime()
    {
        uint mode = HrtimerLayout.ModeSoft; // HRTIMER_MODE_ABS_SOFT
        nint t = Timer(mode);
        long at = Now + 3_000_000;
        Start(t, at, mode);
        WaitFor(t);
        var seen = SeenBy(t).Single();
        Assert.True(seen.Now >= at);
        Assert.True((seen.PreemptCount & Cpu.SoftirqOffset) != 0 && (seen.PreemptCount & Cpu.HardirqOffset) == 0,
            $"preempt count 0x{seen.PreemptCount:x}: not in softirq context");
    }

    [Fact]
    public void ACallbackThatRestartsIsQueuedAgainAtTheExpiryItForwardedTo()
    {
        nint t = Timer(HrtimerLayout.ModeRel);
        Restarts[t] = 2;
        Start(t, 1_000_000, HrtimerLayout.ModeRel);
        WaitFor(t, 3);
        var seen = SeenBy(t);
        // hrtimer_forward() moves the expiry on from the old one by whole intervals until it is past now (not 2 ms
        // from when the callback ran: one that ran late runs again sooner); each run comes at or after its expiry.
        for (int i = 0; i < 3; i++)
            Assert.True(seen[i].Now >= seen[i].Expires, $"run {i} at {seen[i].Now}, before its expiry {seen[i].Expires}");
        for (int i = 1; i < 3; i++)
        {
            long step = seen[i].Expires - seen[i - 1].Expires;
            Assert.True(step > 0 && step % 2_000_000 == 0, $"forwarded by {step} ns, not whole 2 ms intervals");
            Assert.True(seen[i].Expires > seen[i - 1].Now, $"forwarded to {seen[i].Expires}, not past the run at {seen[i - 1].Now}");
        }
        nint sentinel = Timer(HrtimerLayout.ModeRel);
        Start(sentinel, 10_000_000, HrtimerLayout.ModeRel);
        WaitFor(sentinel);
        Assert.Equal(3, SeenBy(t).Count); // NORESTART the third time: no fourth
        Assert.False(Hrtimer.IsQueued(t));
    }

    [Fact]
    public void ACancelledOrReArmedTimerDoesNotFireAtItsOldTime()
    {
        nint cancelled = Timer(HrtimerLayout.ModeRel), rearmed = Timer(HrtimerLayout.ModeRel), sentinel = Timer(HrtimerLayout.ModeRel);
        // Armed and cancelled under one hold of the CPU: its expiry cannot be handled in between, however late
        // this thread is scheduled (on a loaded machine 2 ms can pass between two separate holds).
        Assert.Equal(1, Cpu.Run(() =>
        {
            Start(cancelled, 2_000_000, HrtimerLayout.ModeRel);
            return TryToCancel(cancelled);
        }));
        Assert.Equal(0, StateOf(cancelled));
        Assert.Equal(0, Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, int>)&Hrtimer.HrtimerCancel)(cancelled)));
        Cpu.Run(() =>
        {
            Start(rearmed, 2_000_000, HrtimerLayout.ModeRel);
            Start(rearmed, 60_000_000_000, HrtimerLayout.ModeRel); // pushed a minute out
        });
        Start(sentinel, 30_000_000, HrtimerLayout.ModeRel);
        WaitFor(sentinel);
        Assert.Empty(SeenBy(cancelled));
        Assert.Empty(SeenBy(rearmed));
        Assert.Equal(1, Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, int>)&Hrtimer.HrtimerCancel)(rearmed)));
        Assert.Equal(0, Cpu.Run(() => (int)((delegate* unmanaged[Cdecl]<nint, byte>)&Hrtimer.HrtimerActive)(rearmed)));
    }

    private static int StateOf(nint t) => t.U8(HrtimerLayout.State);

    [Fact]
    public void ForwardMovesTheExpiryPastNowByWholeIntervalsAndCountsThem()
    {
        nint t = Timer(HrtimerLayout.ModeRel);
        t.U64(HrtimerLayout.Expires, 1000);
        t.U64(HrtimerLayout.SoftExpires, 1000);
        Assert.Equal(0UL, Hrtimer.Forward(t, 999, 100)); // not behind
        Assert.Equal(4UL, Hrtimer.Forward(t, 1350, 100)); // 1000 -> 1400
        Assert.Equal(1400L, (long)t.U64(HrtimerLayout.Expires));
        Assert.Equal(1400L, (long)t.U64(HrtimerLayout.SoftExpires));
        Assert.Equal(1UL, Hrtimer.Forward(t, 1400, 100)); // due now: one interval on
        Assert.Equal(1500L, (long)t.U64(HrtimerLayout.Expires));
    }
}
