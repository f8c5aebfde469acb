// SPDX-License-Identifier: MIT
// Managed side. Linux time (kernel/time): jiffies, timers, delays, ktime. A ticker thread advances
// the driver's jiffies; timers fire on their own thread in softirq context.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Time
{
    private static ulong* _jiffies;
    private static ulong _initialJiffies;
    private static readonly Stopwatch Clock = Stopwatch.StartNew();
    private static TimerQueue Queue = new(0);
    private static readonly Dictionary<nint, ulong> Pending = [];
    private static Thread? _thread;
    private static readonly AutoResetEvent Changed = new(false);

    internal static void Start(nint jiffies)
    {
        _jiffies = (ulong*)jiffies;
        _initialJiffies = *_jiffies;
        Queue = new TimerQueue(_initialJiffies);
        _thread = new Thread(Run) { IsBackground = true, Name = "linuxshim-timers" };
        _thread.Start();
    }

    public static ulong Jiffies => _jiffies != null ? *_jiffies : 0;

    /// <summary>
    /// Brings jiffies up to the clock, never back: the ticker each tick, and every sleep as it returns (Cpu.Sleep), so that after
    /// msleep(n) jiffies have advanced by n ms as in Linux (where the sleep itself counts jiffies) even when a loaded
    /// machine has not run the ticker thread for a while (a CI run caught the shim's test module's check of that).
    /// </summary>
    public static void CatchUp()
    {
        if (_jiffies == null)
            return;
        ulong now = Now;
        ulong seen = Volatile.Read(ref *_jiffies);
        while ((long)(now - seen) > 0) // after, as time_after() compares: jiffies may wrap
        {
            ulong was = Interlocked.CompareExchange(ref *_jiffies, now, seen);
            if (was == seen)
                return;
            seen = was;
        }
    }

    private static ulong Now => _initialJiffies + (ulong)(Clock.ElapsedTicks * Machine.Hz / Stopwatch.Frequency);

    public static ulong MillisecondsToJiffies(long ms) => (ulong)((ms * Machine.Hz + 999) / 1000);
    public static long JiffiesToMilliseconds(long j) => j * 1000 / Machine.Hz;

    private static void Run()
    {
        int tick = Math.Max(1, 1000 / Machine.Hz);
        while (true)
        {
            Changed.WaitOne(tick);
            CatchUp();
            var due = new List<nint>();
            Cpu.Run(() =>
            {
                while (Queue.TakeDue(*_jiffies) is var (timer, expires) && timer != 0)
                {
                    if (Pending.TryGetValue(timer, out ulong current) && current == expires)
                    {
                        Pending.Remove(timer);
                        timer.Ptr(TimerLayout.EntryPprev, 0);
                        due.Add(timer);
                    }
                }
                if (due.Count > 0)
                {
                    Cpu.AddPreempt(Cpu.SoftirqOffset);
                    try
                    {
                        foreach (var timer in due)
                        {
                            // A timer function may re-arm or delete other due timers; honour that.
                            var fn = (delegate* unmanaged<nint, void>)timer.Ptr(TimerLayout.Function);
                            if (fn != null)
                                fn(timer);
                            Progress.TimerReturned();
                        }
                    }
                    finally
                    {
                        Cpu.AddPreempt(-Cpu.SoftirqOffset);
                    }
                    Softirq.RunPending();
                }
            });
        }
    }

    /// <summary>Arms <paramref name="timer"/> for <paramref name="expires"/> (jiffies); true if it was pending.</summary>
    public static bool Arm(nint timer, ulong expires)
    {
        bool was = Pending.ContainsKey(timer);
        timer.U64(TimerLayout.Expires, expires);
        timer.Ptr(TimerLayout.EntryPprev, timer); // timer_pending(): any non-NULL pprev
        Pending[timer] = expires;
        Queue.Add(timer, expires);
        Changed.Set();
        return was;
    }

    public static bool Disarm(nint timer)
    {
        if (timer == 0)
            return false;
        timer.Ptr(TimerLayout.EntryPprev, 0);
        return Pending.Remove(timer);
    }

    [KernelSymbol("init_timer_key"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void InitTimerKey(nint timer, nint function, uint flags, nint name, nint key)
    {
        timer.Ptr(TimerLayout.EntryPprev, 0);
        timer.Ptr(TimerLayout.Function, function);
        timer.U32(TimerLayout.Flags, flags);
    }

    [KernelSymbol("mod_timer"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ModTimer(nint timer, ulong expires) => Arm(timer, expires) ? 1 : 0;

    [KernelSymbol("mod_timer_pending"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ModTimerPending(nint timer, ulong expires) => Pending.ContainsKey(timer) && Arm(timer, expires) ? 1 : 0;

    [KernelSymbol("timer_reduce"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int TimerReduce(nint timer, ulong expires)
    {
        if (Pending.TryGetValue(timer, out ulong current) && (long)(current - expires) <= 0)
            return 1;
        return Arm(timer, expires) ? 1 : 0;
    }

    [KernelSymbol("add_timer"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void AddTimer(nint timer) => Arm(timer, timer.U64(TimerLayout.Expires));

    // The _sync forms too: on one CPU under one lock, a timer function cannot be running while its deleter holds the CPU.
    [KernelSymbol("del_timer"), KernelSymbol("del_timer_sync"), KernelSymbol("timer_delete"), KernelSymbol("timer_delete_sync"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DelTimer(nint timer) => Disarm(timer) ? 1 : 0;

    [KernelSymbol("__const_udelay"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ConstUdelay(ulong xloops) => SpinNanoseconds((long)((xloops * 1000 + 0x10C6) / 0x10C7));

    [KernelSymbol("__udelay"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Udelay(ulong usecs) => SpinNanoseconds((long)usecs * 1000);

    [KernelSymbol("__ndelay"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Ndelay(ulong nsecs) => SpinNanoseconds((long)nsecs);

    /// <summary>udelay: busy-waits (atomic context may not sleep), keeping the CPU.</summary>
    public static void SpinNanoseconds(long ns)
    {
        long end = Stopwatch.GetTimestamp() + ns * Stopwatch.Frequency / 1_000_000_000;
        while (Stopwatch.GetTimestamp() < end)
            Thread.SpinWait(20);
    }

    [KernelSymbol("msleep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Msleep(uint ms) => Cpu.Sleep(TimeSpan.FromMilliseconds(ms));

    [KernelSymbol("msleep_interruptible"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong MsleepInterruptible(uint ms)
    {
        Cpu.Sleep(TimeSpan.FromMilliseconds(ms));
        return 0;
    }

    [KernelSymbol("usleep_range_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void UsleepRangeState(ulong min, ulong max, uint state) => Cpu.Sleep(TimeSpan.FromMicroseconds(min));

    [KernelSymbol("ktime_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long KtimeGet() => (long)(Clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));

    // kernel/sched/clock.c: nanoseconds of a monotonic clock since boot (the host's, like ktime_get()).
    [KernelSymbol("sched_clock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong SchedClock() => (ulong)(Clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));

    [KernelSymbol("ktime_get_real_ts64"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void KtimeGetRealTs64(long* ts)
    {
        long ns = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
        ts[0] = ns / 1_000_000_000;
        ts[1] = ns % 1_000_000_000;
    }

    // CLOCK_MONOTONIC and CLOCK_MONOTONIC_RAW: one clock here, never slewed.
    [KernelSymbol("ktime_get_ts64"), KernelSymbol("ktime_get_raw_ts64"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void KtimeGetTs64(long* ts)
    {
        long ns = (long)(Clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));
        ts[0] = ns / 1_000_000_000;
        ts[1] = ns % 1_000_000_000;
    }

    private static readonly long BootRealNs = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100 - (long)(Clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>ktime_get_with_offset(): monotonic time plus TK_OFFS_REAL (0), TK_OFFS_BOOT (1, no suspend: 0) or TK_OFFS_TAI (2: real, TAI taken as UTC).</summary>
    [KernelSymbol("ktime_get_with_offset"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long KtimeGetWithOffset(uint offset)
    {
        long ns = (long)(Clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));
        return offset == 1 ? ns : ns + BootRealNs;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec64
    {
        public long Sec;
        public long Nsec;
    }

    /// <summary>ns_to_timespec64(): the nanoseconds part is never negative.</summary>
    [KernelSymbol("ns_to_timespec64"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static Timespec64 NsToTimespec64(long nsec)
    {
        long sec = Math.DivRem(nsec, 1_000_000_000, out long rem);
        if (rem < 0)
        {
            sec--;
            rem += 1_000_000_000;
        }
        return new Timespec64 { Sec = sec, Nsec = rem };
    }

    // No device shares a system counter with this machine's clock (no ART): as timekeeping.c when the
    // device's counter is not the clocksource's, -ENODEV.
    [KernelSymbol("get_device_system_crosststamp"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetDeviceSystemCrosststamp(nint getTimeFn, nint ctx, nint history, nint xtstamp) => -19;

    [StructLayout(LayoutKind.Sequential)]
    public struct SystemCounterval
    {
        public ulong Cycles;
        public nint Clocksource;
    }

    // arch/x86/kernel/tsc.c (6.1): ART cycles to TSC by the ratio CPUID 15H gives. This CPU has no ART
    // (boot_cpu_data announces none), so the ratio's denominator is 0 and Linux would fault dividing by it;
    // callers check X86_FEATURE_ART first (e1000e's PTP cross-timestamp, with no PTP clock registered here).
    [KernelSymbol("convert_art_to_tsc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static SystemCounterval ConvertArtToTsc(ulong art)
    {
        Machine.Fatal("convert_art_to_tsc: this CPU has no ART (X86_FEATURE_ART is clear), so there is no ratio to convert by");
        return default;
    }

    [KernelSymbol("jiffies_to_msecs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint JiffiesToMsecs(ulong j) => (uint)JiffiesToMilliseconds((long)j);

    [KernelSymbol("jiffies_to_usecs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint JiffiesToUsecs(ulong j) => (uint)((long)j * 1_000_000 / Machine.Hz);

    [KernelSymbol("__msecs_to_jiffies"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong MsecsToJiffies(uint ms) => MillisecondsToJiffies(ms);

    [KernelSymbol("__usecs_to_jiffies"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong UsecsToJiffies(uint us) => (ulong)(((long)us * Machine.Hz + 999_999) / 1_000_000);

    [KernelSymbol("round_jiffies"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong RoundJiffies(ulong j) => RoundUpToSecond(j);

    [KernelSymbol("round_jiffies_relative"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong RoundJiffiesRelative(ulong j) => RoundUpToSecond(j + Jiffies) - Jiffies;

    private static ulong RoundUpToSecond(ulong j) => (j + (ulong)Machine.Hz - 1) / (ulong)Machine.Hz * (ulong)Machine.Hz;

    [KernelSymbol("ktime_get_real_seconds"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long KtimeGetRealSeconds() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    // timer_shutdown_sync() (kernel/time/timer.c): disarmed as del_timer_sync(), and its function cleared so
    // that it never runs again, even if re-armed (a timer without a function is not run).
    [KernelSymbol("timer_shutdown_sync"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int TimerShutdownSync(nint timer)
    {
        int pending = Disarm(timer) ? 1 : 0;
        timer.Ptr(TimerLayout.Function, 0);
        return pending;
    }
}

/// <summary>
/// Armed timers in expiry order. Jiffies wrap (Linux starts them 5 minutes before the wrap, INITIAL_JIFFIES):
/// ordered by the raw counter, a timer due after the wrap would sort before every one due before it and hold
/// them back, so expiries are ordered as ticks since <paramref name="origin"/> (boot), signed, so one already
/// past at boot comes first. An entry whose timer was re-armed or deleted since is the caller's to skip.
/// </summary>
internal sealed class TimerQueue(ulong origin)
{
    private readonly PriorityQueue<(nint Timer, ulong Expires), long> queue = new();

    public void Add(nint timer, ulong expires) => queue.Enqueue((timer, expires), (long)(expires - origin));

    /// <summary>The earliest entry if it is due at <paramref name="now"/> (taken out), else (0, 0).</summary>
    public (nint Timer, ulong Expires) TakeDue(ulong now)
    {
        if (!queue.TryPeek(out var next, out _) || (long)(now - next.Expires) < 0)
            return (0, 0);
        return queue.Dequeue();
    }
}
