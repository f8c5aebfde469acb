// SPDX-License-Identifier: MIT
// Tests of the shim's execution model in process, without a driver: the one CPU and its contexts, timers
// (kernel/time/timer.c), workqueues (kernel/workqueue.c), mutexes, tasklets and softirqs, on structures laid
// out as Debian 6.1's headers lay them out (the layout file of a port build). Nothing here sleeps and then
// asserts that something did not happen: a later sentinel (a timer or work item that must run after the
// one under test) says when "not yet" has become "never".
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Kernel;

/// <summary>
/// The one machine of this test process, booted once: memory, the CPU's preempt count and `current`,
/// jiffies started just below their wrap (as Linux's INITIAL_JIFFIES makes them wrap soon after boot),
/// the timer thread and ksoftirqd.
/// </summary>
public static unsafe class InProcessMachine
{
    private static readonly Lock Gate = new();
    private static bool _booted;
    private static nint _preempt;

    /// <summary>Jiffies at boot: 100 ticks before they wrap, so every test crosses or follows the wrap.</summary>
    public const ulong InitialJiffies = ulong.MaxValue - 100;

    public static void Boot(KernelFixture kernel)
    {
        lock (Gate)
        {
            if (_booted)
                return;
            KernelLayout.Load(Path.ChangeExtension(BuiltPorts.Library(kernel, "8139too"), null) + ".layout.json");
            Machine.Boot(64 << 20);
            _preempt = (nint)NativeMemory.AllocZeroed(8);
            Cpu.Attach(_preempt, (nint)NativeMemory.AllocZeroed(8), 1024);
            var jiffies = (ulong*)NativeMemory.AllocZeroed(8);
            *jiffies = InitialJiffies;
            Time.Start((nint)jiffies);
            Softirq.Start();
            _booted = true;
        }
    }
}

[Collection(KernelCollection.Name)]
public sealed unsafe class ExecutionModelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // What the callbacks below saw, keyed by the structure they were called with.
    private static readonly ConcurrentDictionary<nint, ConcurrentQueue<Seen>> Calls = new();

    private readonly record struct Seen(ulong Jiffies, int PreemptCount, string Thread, long Order);
    private static long _order;

    public ExecutionModelTests(KernelFixture kernel) => InProcessMachine.Boot(kernel);

    // Never freed: a structure's address keys what was seen, so none may be reused within the run, and a
    // timer or work item a failed test left behind must not run on freed memory.
    private static nint Zeroed(int size) => (nint)NativeMemory.AllocZeroed((nuint)size);

    private static void Record(nint p) =>
        Calls.GetOrAdd(p, _ => new()).Enqueue(new Seen(Time.Jiffies, Cpu.PreemptCount, Thread.CurrentThread.Name ?? "", Interlocked.Increment(ref _order)));

    private static IReadOnlyList<Seen> SeenBy(nint p) => Calls.TryGetValue(p, out var q) ? [.. q] : [];

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Callback(nint p) => Record(p);

    private static void WaitFor(nint p, int count = 1)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (SeenBy(p).Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"0x{p:x} was called {SeenBy(p).Count} times, not {count}, within {Patience.TotalSeconds} s");
            Thread.Sleep(5);
        }
    }

    private static int Call(delegate* unmanaged[Cdecl]<nint, ulong, int> fn, nint p, ulong v) => Cpu.Run(() => fn(p, v));

    // --- timers ---

    private nint Timer()
    {
        nint t = Zeroed(128);
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, nint, uint, nint, nint, void>)&Time.InitTimerKey)(
            t, (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Callback, 0, 0, 0));
        return t;
    }

    private static int ModTimer(nint t, ulong expires) => Call(&Time.ModTimer, t, expires);

    private static int DelTimer(nint t) => Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, int>)&Time.DelTimer)(t));

    [Fact]
    public void TimersFireInExpiryOrderInSoftirqContextNeverBeforeTheirTime()
    {
        nint late = Timer(), early = Timer(), middle = Timer();
        var expiries = new Dictionary<nint, ulong>();
        Cpu.Run(() =>
        {
            ulong now = Time.Jiffies;
            expiries[late] = now + 30;
            expiries[early] = now + 10;
            expiries[middle] = now + 20;
            foreach (var (t, e) in expiries)
                Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, ulong, int>)&Time.ModTimer)(t, e)); // none was pending
            Assert.NotEqual(0, (long)early.Ptr(TimerLayout.EntryPprev)); // timer_pending()
        });
        WaitFor(late);
        var order = new[] { early, middle, late }.Select(t => SeenBy(t).Single()).ToList();
        Assert.True(order[0].Order < order[1].Order && order[1].Order < order[2].Order, "not in expiry order");
        foreach (var t in new[] { early, middle, late })
        {
            var seen = SeenBy(t).Single();
            Assert.True((long)(seen.Jiffies - expiries[t]) >= 0, $"fired at {seen.Jiffies}, before {expiries[t]}");
            Assert.True((seen.PreemptCount & Cpu.SoftirqOffset) != 0, $"preempt count 0x{seen.PreemptCount:x}: not in softirq");
            Assert.Equal(0L, (long)t.Ptr(TimerLayout.EntryPprev)); // no longer pending
        }
    }

    [Fact]
    public void ADeletedTimerNeverFiresAndModTimerTellsWhetherItWasPending()
    {
        nint deleted = Timer(), rearmed = Timer(), sentinel = Timer();
        ulong now = Cpu.Run(() => Time.Jiffies);
        Assert.Equal(0, ModTimer(deleted, now + 5));
        Assert.Equal(1, DelTimer(deleted));
        Assert.Equal(0, DelTimer(deleted)); // already inactive
        Assert.Equal(0, ModTimer(rearmed, now + 1000));
        Assert.Equal(1, ModTimer(rearmed, now + 15)); // pending: moved earlier
        Assert.Equal(0, Call(&Time.ModTimerPending, deleted, now + 1)); // mod_timer_pending arms nothing inactive
        Assert.Equal(0, ModTimer(sentinel, now + 40));
        WaitFor(sentinel);
        Assert.Empty(SeenBy(deleted));
        Assert.True(SeenBy(rearmed).Single().Order < SeenBy(sentinel).Single().Order);
    }

    [Fact]
    public void JiffiesWrapAndTimersArmedAcrossTheWrapStillFireInOrder()
    {
        // Booted 100 ticks before the wrap; a timer 150 ticks after boot lies past it whenever this runs.
        nint before = Timer(), after = Timer();
        ulong now = Cpu.Run(() => Time.Jiffies);
        ulong a = now + 1, b = unchecked(InProcessMachine.InitialJiffies + 150);
        if ((long)(b - now) <= 0)
            b = now + 2; // the wrap is behind us: the order still holds on the wrapped counter
        Assert.Equal(0, ModTimer(after, b));
        Assert.Equal(0, ModTimer(before, a));
        WaitFor(after);
        Assert.True(SeenBy(before).Single().Order < SeenBy(after).Single().Order);
        Assert.True((long)(SeenBy(after).Single().Jiffies - b) >= 0);
    }

    [Fact]
    public void TimersDueBeforeTheJiffiesWrapAreNotHeldBackByOnesDueAfterIt()
    {
        // Whether the running machine crosses its wrap during a test is up to the clock; the order is not.
        const ulong origin = ulong.MaxValue - 100; // boot: 100 ticks before the wrap
        var queue = new TimerQueue(origin);
        queue.Add(1, unchecked(origin + 150)); // after the wrap: 49
        queue.Add(2, origin + 50);
        queue.Add(3, origin - 5); // already past at boot
        Assert.Equal((3, origin - 5), queue.TakeDue(origin));
        Assert.Equal((0, 0UL), queue.TakeDue(origin + 10));
        Assert.Equal((2, origin + 50), queue.TakeDue(origin + 60));
        Assert.Equal((0, 0UL), queue.TakeDue(origin + 99));
        Assert.Equal((0, 0UL), queue.TakeDue(unchecked(origin + 149)));
        Assert.Equal((1, unchecked(origin + 150)), queue.TakeDue(unchecked(origin + 160)));
    }

    // --- workqueues ---

    private static nint _events;

    private static nint Events => _events != 0 ? _events : _events = Workqueue.Create("test");

    private nint Work()
    {
        nint w = Zeroed(256);
        w.Ptr(WorkLayout.Func, (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Callback);
        return w;
    }

    private nint DelayedWork()
    {
        nint dw = Zeroed(512);
        nint work = dw.At(WorkLayout.DelayedWork);
        work.Ptr(WorkLayout.Func, (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Callback);
        // INIT_DELAYED_WORK: the timer calls delayed_work_timer_fn.
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, nint, uint, nint, nint, void>)&Time.InitTimerKey)(
            dw.At(WorkLayout.DelayedTimer), (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Workqueue.DelayedWorkTimerFn, 0, 0, 0));
        return dw;
    }

    private static byte Queue(nint work) => ((delegate* unmanaged[Cdecl]<int, nint, nint, byte>)&Workqueue.QueueWorkOn)(0, Events, work);

    [Fact]
    public void QueuedWorkRunsOnceInProcessContextOnItsWorkerAndFlushWaitsForIt()
    {
        nint work = Work();
        Cpu.Run(() =>
        {
            Assert.Equal(1, Queue(work));
            Assert.Equal(0, Queue(work)); // still pending: queued once
            Assert.True(work.TestBit(WorkLayout.Data, WorkLayout.PendingBit));
            // The worker cannot have run it: this context has held the CPU since. flush_work says it waited.
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, byte>)&Workqueue.FlushWork)(work));
        });
        var seen = Assert.Single(SeenBy(work)); // flush_work returned after it ran
        Assert.Equal("kworker/test", seen.Thread);
        Assert.Equal(0, seen.PreemptCount & 0xffff00); // neither hardirq nor softirq
        Assert.False(work.TestBit(WorkLayout.Data, WorkLayout.PendingBit));
        Assert.Equal(1, Cpu.Run(() => Queue(work))); // can be queued again
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, byte>)&Workqueue.FlushWork)(work));
        Assert.Equal(2, SeenBy(work).Count);
    }

    [Fact]
    public void CancelledWorkNeverRuns()
    {
        nint cancelled = Work(), sentinel = Work();
        Cpu.Run(() =>
        {
            Assert.Equal(1, Queue(cancelled));
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, byte>)&Workqueue.CancelWorkSync)(cancelled)); // was pending
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, byte>)&Workqueue.CancelWorkSync)(cancelled));
            Assert.Equal(1, Queue(sentinel));
        });
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, byte>)&Workqueue.FlushWork)(sentinel));
        Assert.Single(SeenBy(sentinel));
        Assert.Empty(SeenBy(cancelled));
    }

    [Fact]
    public void DelayedWorkRunsAfterItsDelayAndACancelledOneNever()
    {
        nint soon = DelayedWork(), cancelled = DelayedWork(), later = DelayedWork();
        ulong queuedAt = 0;
        Cpu.Run(() =>
        {
            var queue = (delegate* unmanaged[Cdecl]<int, nint, nint, ulong, byte>)&Workqueue.QueueDelayedWorkOn;
            queuedAt = Time.Jiffies;
            Assert.Equal(1, queue(0, Events, soon, 5));
            Assert.Equal(0, queue(0, Events, soon, 5)); // pending
            Assert.Equal(1, queue(0, Events, cancelled, 10));
            Assert.Equal(1, queue(0, Events, later, 25));
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, byte>)&Workqueue.CancelDelayedWorkSync)(cancelled));
        });
        WaitFor(later.At(WorkLayout.DelayedWork));
        var first = Assert.Single(SeenBy(soon.At(WorkLayout.DelayedWork)));
        Assert.True((long)(first.Jiffies - (queuedAt + 5)) >= 0, "ran before its delay");
        Assert.Equal("kworker/test", first.Thread);
        Assert.Empty(SeenBy(cancelled.At(WorkLayout.DelayedWork)));
    }

    // --- locking and the CPU ---

    [Fact]
    public void AMutexWaiterGivesTheCpuUpUntilTheOwnerUnlocks()
    {
        nint mutex = Zeroed(64);
        using var locked = new ManualResetEventSlim();
        using var waiting = new ManualResetEventSlim();
        var events = new ConcurrentQueue<string>();
        var owner = new Thread(() =>
        {
            Cpu.Run(() =>
            {
                ((delegate* unmanaged[Cdecl]<nint, void>)&Locking.MutexLock)(mutex);
                events.Enqueue("owner locked");
            });
            locked.Set();
            waiting.Wait(Patience);
            // The waiter is in mutex_lock; had it kept the CPU, this Cpu.Run would never get it.
            Cpu.Run(() =>
            {
                events.Enqueue("owner unlocks");
                ((delegate* unmanaged[Cdecl]<nint, void>)&Locking.MutexUnlock)(mutex);
            });
        }) { Name = "owner" };
        owner.Start();
        Assert.True(locked.Wait(Patience));
        Cpu.Run(() =>
        {
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, byte>)&Locking.MutexIsLocked)(mutex));
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Locking.MutexTrylock)(mutex)); // held by the owner
            waiting.Set();
            ((delegate* unmanaged[Cdecl]<nint, void>)&Locking.MutexLock)(mutex);
            events.Enqueue("waiter locked");
            ((delegate* unmanaged[Cdecl]<nint, void>)&Locking.MutexUnlock)(mutex);
        });
        Assert.True(owner.Join(Patience));
        Assert.Equal(["owner locked", "owner unlocks", "waiter locked"], events);
    }

    [Fact]
    public void InterruptContextsNestAndUnwindOnTheCpu()
    {
        var counts = new List<int>();
        Cpu.Run(() =>
        {
            counts.Add(Cpu.PreemptCount);
            Cpu.RunSoftirq(() =>
            {
                counts.Add(Cpu.PreemptCount);
                Cpu.RunHardirq(() => counts.Add(Cpu.PreemptCount));
                Assert.True(Cpu.InInterrupt);
            });
            Assert.False(Cpu.InInterrupt);
            counts.Add(Cpu.PreemptCount);
        });
        Assert.Equal([0, Cpu.SoftirqOffset, Cpu.SoftirqOffset + Cpu.HardirqOffset, 0], counts);
    }

    // --- tasklets ---

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void TaskletCallback(nint tasklet) => Record(tasklet);

    // tasklet_schedule() is inline: it calls __tasklet_schedule only when it set TASKLET_STATE_SCHED itself.
    private static void ScheduleTasklet(nint t)
    {
        if (!t.SetBit(TaskletLayout.State, 0))
            ((delegate* unmanaged[Cdecl]<nint, void>)&Softirq.TaskletSchedule)(t);
    }

    [Fact]
    public void AScheduledTaskletRunsOnceInSoftirqContextAndKillLetsAPendingRunFinishFirst()
    {
        nint once = Zeroed(128), killed = Zeroed(128);
        var setup = (delegate* unmanaged[Cdecl]<nint, nint, void>)&Softirq.TaskletSetup;
        nint fn = (nint)(delegate* unmanaged[Cdecl]<nint, void>)&TaskletCallback;
        Cpu.Run(() =>
        {
            setup(once, fn);
            setup(killed, fn);
            // Scheduled in interrupt context: they run when the CPU leaves it, not inside.
            Cpu.RunHardirq(() =>
            {
                ScheduleTasklet(once);
                ScheduleTasklet(once); // already scheduled: runs once
                ScheduleTasklet(killed);
                Assert.Empty(SeenBy(once));
            });
            // kernel/softirq.c: tasklet_kill waits for a scheduled tasklet to have run.
            ((delegate* unmanaged[Cdecl]<nint, void>)&Softirq.TaskletKill)(killed);
            Assert.Single(SeenBy(killed));
            Assert.Equal(0UL, killed.U64(TaskletLayout.State) & 3); // neither scheduled nor running
        });
        WaitFor(once);
        var seen = Assert.Single(SeenBy(once));
        Assert.True((seen.PreemptCount & Cpu.SoftirqOffset) != 0, $"preempt count 0x{seen.PreemptCount:x}: not in softirq");
        var ran = Assert.Single(SeenBy(killed));
        Assert.True((ran.PreemptCount & Cpu.SoftirqOffset) != 0);
    }

    // --- NAPI ---

    /// <summary>An interrupt as the host delivers one (Irq.Handle): the handler in hard interrupt context, then the
    /// softirqs it raised, as irq_exit() runs them.</summary>
    private static void Interrupt(Action handler) => Cpu.Run(() =>
    {
        Cpu.RunHardirq(handler);
        Softirq.RunPending();
    });

    // How many packets each poll of an instance "finds", in order; a poll below its budget completes.
    private static readonly ConcurrentDictionary<nint, ConcurrentQueue<int>> PollWork = new();
    private static readonly ConcurrentDictionary<nint, ConcurrentQueue<(int Budget, int Completed)>> Polls = new();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Poll(nint napi, int budget)
    {
        int work = PollWork[napi].TryDequeue(out int w) ? w : 0;
        int completed = -1;
        if (work < budget)
            completed = ((delegate* unmanaged[Cdecl]<nint, int, byte>)&NetCore.NapiCompleteDone)(napi, work);
        Polls.GetOrAdd(napi, _ => new()).Enqueue((budget, completed));
        Record(napi); // last: WaitFor sees the poll once its result is in
        return work;
    }

    private nint Napi(params int[] work)
    {
        nint napi = Zeroed(512), dev = Zeroed(4096);
        PollWork[napi] = new ConcurrentQueue<int>(work);
        Cpu.Run(() =>
        {
            ((delegate* unmanaged[Cdecl]<nint, nint, nint, int, void>)&NetCore.NetifNapiAddWeight)(dev, napi, (nint)(delegate* unmanaged[Cdecl]<nint, int, int>)&Poll, 16);
            Assert.True(napi.TestBit(NapiLayout.State, NapiLayout.Sched)); // held scheduled until napi_enable
            ((delegate* unmanaged[Cdecl]<nint, void>)&NetCore.NapiEnable)(napi);
        });
        return napi;
    }

    // napi_schedule(): the inline pair a driver's interrupt handler calls.
    private static bool NapiSchedule(nint napi)
    {
        if (((delegate* unmanaged[Cdecl]<nint, byte>)&NetCore.NapiSchedulePrep)(napi) == 0)
            return false;
        ((delegate* unmanaged[Cdecl]<nint, void>)&NetCore.NapiSchedule)(napi);
        return true;
    }

    [Fact]
    public void NapiPollsInSoftirqWithItsWeightAsBudgetUntilAPollCompletes()
    {
        nint napi = Napi(16, 16, 5); // two full budgets, then 5 packets: done
        Interrupt(() => Assert.True(NapiSchedule(napi)));
        WaitFor(napi, 3);
        Assert.All(SeenBy(napi), seen => Assert.True((seen.PreemptCount & Cpu.SoftirqOffset) != 0, $"preempt count 0x{seen.PreemptCount:x}: not in softirq"));
        Assert.Equal([(16, -1), (16, -1), (16, 1)], Polls[napi]); // napi_complete_done said done on the third
        Assert.False(napi.TestBit(NapiLayout.State, NapiLayout.Sched));
        // Idle now: a new interrupt schedules it again.
        PollWork[napi].Enqueue(1);
        Interrupt(() => Assert.True(NapiSchedule(napi)));
        WaitFor(napi, 4);
    }

    [Fact]
    public void AnInterruptDuringAPollIsNotLostTheCompletionPollsAgain()
    {
        nint napi = Napi(16, 2, 0);
        Interrupt(() =>
        {
            Assert.True(NapiSchedule(napi));
            // A second interrupt while it is scheduled: napi_schedule_prep says no and marks it missed.
            Assert.False(NapiSchedule(napi));
        });
        WaitFor(napi, 3);
        // The poll below budget found the missed mark: napi_complete_done returned false and polled again.
        Assert.Equal([(16, -1), (16, 0), (16, 1)], Polls[napi]);
        Assert.False(napi.TestBit(NapiLayout.State, NapiLayout.Sched));
        Assert.False(napi.TestBit(NapiLayout.State, NapiLayout.Missed));
    }

    // --- sk_buff geometry ---

    [Fact]
    public void AnSkbsHeadroomDataAndTailMoveAsLinuxMovesThem()
    {
        nint skb = Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, uint, uint, nint>)&SkBuff.NetdevAllocSkb)(0, 100, 0));
        Assert.NotEqual(0, skb);
        nint head = skb.Ptr(SkbLayout.Head);
        int Headroom() => (int)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head));
        uint Len() => skb.U32(SkbLayout.Len);
        Assert.Equal(SkbLayout.Pad, Headroom()); // NET_SKB_PAD reserved
        Assert.Equal(0u, Len());
        Assert.True(skb.U32(SkbLayout.End) - skb.U32(SkbLayout.Tail) >= 100); // the asked-for room

        nint put = ((delegate* unmanaged[Cdecl]<nint, uint, nint>)&SkBuff.SkbPut)(skb, 60);
        Assert.Equal(skb.Ptr(SkbLayout.Data), put); // the old tail: the start of the new bytes
        for (int i = 0; i < 60; i++)
            ((byte*)put)[i] = (byte)i;
        Assert.Equal(60u, Len());
        Assert.Equal((uint)(SkbLayout.Pad + 60), skb.U32(SkbLayout.Tail));

        nint pushed = ((delegate* unmanaged[Cdecl]<nint, uint, nint>)&SkBuff.SkbPush)(skb, 14);
        Assert.Equal(SkbLayout.Pad - 14, Headroom());
        Assert.Equal(pushed, skb.Ptr(SkbLayout.Data));
        Assert.Equal(74u, Len());

        var pull = (delegate* unmanaged[Cdecl]<nint, uint, nint>)&SkBuff.SkbPull;
        Assert.Equal(0, pull(skb, 75)); // more than the packet: refused, nothing moves
        Assert.Equal(74u, Len());
        Assert.Equal(pushed + 14, pull(skb, 14));
        Assert.Equal(60u, Len());
        Assert.Equal(0, ((byte*)skb.Ptr(SkbLayout.Data))[0]);

        ((delegate* unmanaged[Cdecl]<nint, uint, void>)&SkBuff.SkbTrim)(skb, 40);
        Assert.Equal(40u, Len());
        Assert.Equal((uint)(SkbLayout.Pad + 40), skb.U32(SkbLayout.Tail));

        // More headroom: a new head, the bytes and offsets carried over.
        Assert.Equal(0, Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, int, int, uint, int>)&SkBuff.PskbExpandHead)(skb, 64, 0, 0)));
        Assert.NotEqual(head, skb.Ptr(SkbLayout.Head));
        Assert.Equal(SkbLayout.Pad + 64, Headroom());
        Assert.Equal(40u, Len());
        Assert.Equal((uint)(SkbLayout.Pad + 64 + 40), skb.U32(SkbLayout.Tail));
        for (int i = 0; i < 40; i++)
            Assert.Equal((byte)i, ((byte*)skb.Ptr(SkbLayout.Data))[i]);
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, void>)&SkBuff.ConsumeSkb)(skb));
    }
}
