// SPDX-License-Identifier: MIT
// Managed side. High-resolution timers (kernel/time/hrtimer.c). A timer is armed for an expiry on its clock
// (monotonic, boot time: the same clock here, as nothing suspends; real time and TAI: that plus the boot's wall
// clock time) and fires on its own thread, on the CPU, once the monotonic clock reaches its soft expiry: a
// timer set up for HRTIMER_MODE_SOFT in softirq context, any other in hard interrupt context, after which
// pending softirqs run as when an interrupt returns (irq_exit()). A callback that answers HRTIMER_RESTART
// is queued again at the expiry it left in the timer (hrtimer_forward()), unless it re-armed it itself.
// A real-time clock step after arming does not move an absolute timer (no clock_was_set()).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Hrtimer
{
    private static readonly object Gate = new();
    private static readonly Dictionary<nint, (long Deadline, long Generation)> Pending = [];
    private static readonly PriorityQueue<(nint Timer, long Generation), long> Queue = new();
    private static readonly AutoResetEvent Changed = new(false);
    private static long _generation;
    private static Thread? _thread;
    private static nint _running;
    private static nint[]? _bases;

    private static long MonotonicNow => ((delegate* unmanaged[Cdecl]<long>)&Time.KtimeGet)();

    // The clocks' get_time() (hrtimer_clock_base.get_time, which hrtimer_forward_now() calls).
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long RealNow() => ((delegate* unmanaged[Cdecl]<uint, long>)&Time.KtimeGetWithOffset)(0);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static long TaiNow() => ((delegate* unmanaged[Cdecl]<uint, long>)&Time.KtimeGetWithOffset)(2);

    /// <summary>The eight clock bases of the one CPU (monotonic, real time, boot time, TAI; then their soft twins), made on first use.</summary>
    private static nint ClockBase(uint index)
    {
        lock (Gate)
        {
            if (_bases is null)
            {
                nint cpuBase = (nint)NativeMemory.AllocZeroed((nuint)HrtimerLayout.CpuBaseSize.Size);
                var bases = new nint[8];
                for (uint i = 0; i < 8; i++)
                {
                    nint b = (nint)NativeMemory.AllocZeroed((nuint)HrtimerLayout.ClockBaseSize.Size);
                    uint hard = i % HrtimerLayout.BaseMonotonicSoft;
                    b.Ptr(HrtimerLayout.ClockBaseCpuBase, cpuBase);
                    b.U32(HrtimerLayout.ClockBaseIndex, i);
                    b.I32(HrtimerLayout.ClockBaseClockId, hard == HrtimerLayout.BaseRealtime ? HrtimerLayout.ClockRealtime
                        : hard == HrtimerLayout.BaseBoottime ? HrtimerLayout.ClockBoottime
                        : hard == HrtimerLayout.BaseTai ? HrtimerLayout.ClockTai : HrtimerLayout.ClockMonotonic);
                    b.Ptr(HrtimerLayout.ClockBaseGetTime, hard == HrtimerLayout.BaseRealtime ? (nint)(delegate* unmanaged[Cdecl]<long>)&RealNow
                        : hard == HrtimerLayout.BaseTai ? (nint)(delegate* unmanaged[Cdecl]<long>)&TaiNow
                        : (nint)(delegate* unmanaged[Cdecl]<long>)&Time.KtimeGet);
                    bases[i] = b;
                }
                _bases = bases;
            }
            return _bases[index];
        }
    }

    /// <summary>The time of <paramref name="clockBase"/>'s clock now, by its get_time().</summary>
    private static long ClockNow(nint clockBase) => ((delegate* unmanaged[Cdecl]<long>)clockBase.Ptr(HrtimerLayout.ClockBaseGetTime))();

    [KernelSymbol("hrtimer_init"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void HrtimerInit(nint timer, int clockId, uint mode) => Init(timer, clockId, mode);

    /// <summary>__hrtimer_init(): a zeroed, inactive timer on the base of <paramref name="clockId"/> (a relative real-time timer is a monotonic one).</summary>
    public static void Init(nint timer, int clockId, uint mode)
    {
        lock (Gate)
            if (Pending.Remove(timer))
                Machine.Log(4, $"WARNING: hrtimer_init(0x{timer:x}) of a queued timer");
        NativeMemory.Clear((void*)timer, (nuint)HrtimerLayout.Size.Size);
        bool soft = (mode & HrtimerLayout.ModeSoft) != 0;
        if (clockId == HrtimerLayout.ClockRealtime && (mode & HrtimerLayout.ModeRel) != 0)
            clockId = HrtimerLayout.ClockMonotonic;
        uint index = clockId == HrtimerLayout.ClockRealtime ? HrtimerLayout.BaseRealtime
            : clockId == HrtimerLayout.ClockBoottime ? HrtimerLayout.BaseBoottime
            : clockId == HrtimerLayout.ClockTai ? HrtimerLayout.BaseTai
            : clockId == HrtimerLayout.ClockMonotonic ? HrtimerLayout.BaseMonotonic
            : uint.MaxValue;
        if (index == uint.MaxValue)
        {
            Machine.Fatal($"hrtimer_init(0x{timer:x}): invalid clock id {clockId}");
            return;
        }
        timer.Ptr(HrtimerLayout.Base, ClockBase(index + (soft ? HrtimerLayout.BaseMonotonicSoft : 0)));
        timer.U8(HrtimerLayout.IsSoft, (byte)(soft ? 1 : 0));
        timer.U8(HrtimerLayout.IsHard, (byte)((mode & HrtimerLayout.ModeHard) != 0 ? 1 : 0));
        timer.Ptr(HrtimerLayout.NodeParentColor, timer + HrtimerLayout.NodeParentColor.Offset); // RB_CLEAR_NODE()
    }

    [KernelSymbol("hrtimer_start_range_ns"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void HrtimerStartRangeNs(nint timer, long tim, ulong rangeNs, uint mode) => Start(timer, tim, rangeNs, mode);

    /// <summary>(Re)arms <paramref name="timer"/> to expire at <paramref name="tim"/> (after it, with HRTIMER_MODE_REL), up to <paramref name="rangeNs"/> late.</summary>
    public static void Start(nint timer, long tim, ulong rangeNs, uint mode)
    {
        nint clockBase = timer.Ptr(HrtimerLayout.Base);
        long now = ClockNow(clockBase);
        if ((mode & HrtimerLayout.ModeRel) != 0)
            tim = AddSafe(tim, now);
        timer.U8(HrtimerLayout.IsRel, (byte)((mode & HrtimerLayout.ModeRel) != 0 ? 1 : 0));
        timer.U64(HrtimerLayout.SoftExpires, (ulong)tim);
        timer.U64(HrtimerLayout.Expires, (ulong)AddSafe(tim, (long)Math.Min(rangeNs, long.MaxValue)));
        Enqueue(timer, now);
    }

    // ktime_add_safe(): a sum that overflows is KTIME_MAX (never).
    private static long AddSafe(long a, long b)
    {
        long sum = unchecked(a + b);
        return sum < 0 || (sum < a || sum < b) ? long.MaxValue : sum;
    }

    /// <summary>Queues <paramref name="timer"/> at its soft expiry, as seen on the monotonic clock (its clock's <paramref name="clockNow"/> given).</summary>
    private static void Enqueue(nint timer, long clockNow)
    {
        long soft = (long)timer.U64(HrtimerLayout.SoftExpires);
        long monoNow = MonotonicNow;
        long deadline = soft == long.MaxValue ? long.MaxValue : AddSafe(monoNow, Math.Max(0, soft - clockNow));
        lock (Gate)
        {
            long generation = ++_generation;
            Pending[timer] = (deadline, generation);
            Queue.Enqueue((timer, generation), deadline);
            timer.U8(HrtimerLayout.State, (byte)(timer.U8(HrtimerLayout.State) | HrtimerLayout.StateEnqueued));
            EnsureThread();
        }
        Changed.Set();
    }

    private static void EnsureThread()
    {
        if (_thread is not null)
            return;
        _thread = new Thread(Run) { IsBackground = true, Name = "linuxshim-hrtimers" };
        _thread.Start();
    }

    private static void Run()
    {
        while (true)
        {
            int wait;
            lock (Gate)
            {
                wait = Timeout.Infinite;
                while (Queue.TryPeek(out var next, out long deadline))
                {
                    if (!Pending.TryGetValue(next.Timer, out var p) || p.Generation != next.Generation)
                    {
                        Queue.Dequeue(); // cancelled or re-armed since
                        continue;
                    }
                    long ms = (deadline - MonotonicNow + 999_999) / 1_000_000;
                    wait = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Clamp(ms, 0, int.MaxValue);
                    break;
                }
            }
            if (wait != 0)
                Changed.WaitOne(wait);
            Cpu.Run(FireDue);
        }
    }

    /// <summary>__hrtimer_run_queues(): runs each timer due now, each in its context; softirqs after the lot.</summary>
    private static void FireDue()
    {
        long now = MonotonicNow;
        bool fired = false;
        while (true)
        {
            nint timer;
            lock (Gate)
            {
                if (!Queue.TryPeek(out var next, out long deadline) || deadline > now)
                    break;
                Queue.Dequeue();
                if (!Pending.TryGetValue(next.Timer, out var p) || p.Generation != next.Generation)
                    continue;
                Pending.Remove(next.Timer);
                timer = next.Timer;
            }
            fired = true;
            Fire(timer);
        }
        if (fired)
            Softirq.RunPending();
    }

    private static void Fire(nint timer)
    {
        // __run_hrtimer(): inactive while its function runs, which base->running shows.
        timer.U8(HrtimerLayout.State, (byte)(timer.U8(HrtimerLayout.State) & ~HrtimerLayout.StateEnqueued));
        nint clockBase = timer.Ptr(HrtimerLayout.Base);
        var fn = (delegate* unmanaged<nint, int>)timer.Ptr(HrtimerLayout.Function);
        if (fn == null)
            return;
        int offset = timer.U8(HrtimerLayout.IsSoft) != 0 ? Cpu.SoftirqOffset : Cpu.HardirqOffset;
        int restart;
        clockBase.Ptr(HrtimerLayout.ClockBaseRunning, timer);
        _running = timer;
        Cpu.AddPreempt(offset);
        try
        {
            restart = fn(timer);
        }
        finally
        {
            Cpu.AddPreempt(-offset);
            _running = 0;
            clockBase.Ptr(HrtimerLayout.ClockBaseRunning, 0);
        }
        Progress.TimerReturned();
        // Queued again at the expiry the function left, unless it re-armed the timer itself.
        if (restart == HrtimerLayout.Restart && (timer.U8(HrtimerLayout.State) & HrtimerLayout.StateEnqueued) == 0)
            Enqueue(timer, ClockNow(clockBase));
        Cpu.WakeAll(); // a hrtimer_cancel() waiting for this callback
    }

    /// <summary>Whether <paramref name="timer"/> is queued.</summary>
    public static bool IsQueued(nint timer)
    {
        lock (Gate)
            return Pending.ContainsKey(timer);
    }

    [KernelSymbol("hrtimer_try_to_cancel"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int HrtimerTryToCancel(nint timer) => TryToCancel(timer);

    /// <summary>hrtimer_try_to_cancel(): 1 if it was queued (now it is not), 0 if it was not, -1 while its function runs.</summary>
    public static int TryToCancel(nint timer)
    {
        lock (Gate)
        {
            if (Pending.Remove(timer))
            {
                timer.U8(HrtimerLayout.State, (byte)(timer.U8(HrtimerLayout.State) & ~HrtimerLayout.StateEnqueued));
                return 1;
            }
        }
        return _running == timer ? -1 : 0;
    }

    [KernelSymbol("hrtimer_cancel"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int HrtimerCancel(nint timer) => Cancel(timer);

    /// <summary>hrtimer_cancel(): cancels, waiting for a running function to return; 1 if the timer was queued.</summary>
    public static int Cancel(nint timer)
    {
        int r;
        while ((r = TryToCancel(timer)) < 0)
        {
            if (Thread.CurrentThread == _thread)
            {
                Machine.Fatal($"hrtimer_cancel(0x{timer:x}) from its own callback (a deadlock in Linux)");
                return 0;
            }
            Cpu.WaitUntil(() => _running != timer); // gives the CPU to the callback, which holds it while it runs
        }
        return r;
    }

    // hrtimer_active(): queued, or its function running.
    [KernelSymbol("hrtimer_active"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte HrtimerActive(nint timer) => (byte)(IsQueued(timer) || _running == timer ? 1 : 0);

    /// <summary>
    /// hrtimer_forward(): moves a timer's expiry past <paramref name="now"/> by whole <paramref name="interval"/>s,
    /// returning how many (0 if it was not behind <paramref name="now"/>). Resolution is 1 ns (high-resolution mode).
    /// </summary>
    [KernelSymbol("hrtimer_forward"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong HrtimerForward(nint timer, long now, long interval) => Forward(timer, now, interval);

    public static ulong Forward(nint timer, long now, long interval)
    {
        long delta = now - (long)timer.U64(HrtimerLayout.Expires);
        if (delta < 0)
            return 0;
        if (IsQueued(timer))
        {
            Machine.Log(4, $"WARNING: hrtimer_forward(0x{timer:x}) of a queued timer");
            return 0;
        }
        interval = Math.Max(interval, 1);
        ulong overruns = 1;
        if (delta >= interval)
        {
            overruns = (ulong)(delta / interval);
            AddExpires(timer, interval * (long)overruns);
            if ((long)timer.U64(HrtimerLayout.Expires) > now)
                return overruns;
            overruns++;
        }
        AddExpires(timer, interval);
        return overruns;
    }

    private static void AddExpires(nint timer, long ns)
    {
        timer.U64(HrtimerLayout.Expires, (ulong)AddSafe((long)timer.U64(HrtimerLayout.Expires), ns));
        timer.U64(HrtimerLayout.SoftExpires, (ulong)AddSafe((long)timer.U64(HrtimerLayout.SoftExpires), ns));
    }
}
