// SPDX-License-Identifier: MIT
// Managed side. What the shim's CPU gets done, for the supervisor's watchdog: counters the execution
// model advances on the CPU each time a context finishes a piece of work (the CPU handed over, an
// interrupt handler returned, a NAPI poll or softirq item completed, a timer function or work item
// returned, a frame transmitted or passed up), since when the CPU has been held, and how much
// processor time its holder has used. They are read without the CPU, so a busy driver (the CPU never
// free, the counters moving) can be told from a stuck one (the CPU held, nothing moving, the holder
// spinning), as Linux's hard-lockup detector compares its hrtimer_interrupts count with the copy it
// saved a period earlier (kernel/watchdog.c).
using System.Diagnostics;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Kernel;

public static class Progress
{
    // Written only by the thread that holds the CPU (so plain increments), read by any thread.
    private static long _handoffs, _hardirq, _softirq, _napi, _timers, _work, _xmit, _rx;
    private static long _heldSince;
    private static int _holder;
    [ThreadStatic] private static int _tid;
    // The time threads holding the CPU have waited for the device to answer (stopwatch ticks in all, and since
    // when the holder waits now: 0 when it does not). Written by the waiting holder only.
    private static long _deviceWaitTicks, _deviceWaitSince;
    [ThreadStatic] private static bool _waitingOnDevice;

    /// <summary>The counters' names, in the order of <see cref="Snapshot.Counters"/>.</summary>
    public static readonly string[] Names = ["cpu_handoffs", "hardirq", "softirq", "napi_polls", "timers", "work", "xmit", "rx_frames"];

    /// <summary>
    /// The counters at one moment; how long the CPU had been held then (0: free); the processor time the
    /// holding thread had used in all (ms; -1 when the CPU is free or the time is unknown); the holder's
    /// thread id (0: free); and how long holders of the CPU have waited for the device to answer, in all
    /// (ms, the wait under way included).
    /// </summary>
    public readonly record struct Snapshot(long[] Counters, long CpuHeldMs, long HolderCpuMs, int HolderTid = 0, long DeviceWaitMs = 0)
    {
        public bool CpuHeld => CpuHeldMs > 0;

        /// <summary>Whether any counter moved since <paramref name="earlier"/>.</summary>
        public bool AdvancedSince(Snapshot earlier) => !Counters.AsSpan().SequenceEqual(earlier.Counters);

        public Dictionary<string, long> ToMap()
        {
            var map = new Dictionary<string, long>(Names.Length);
            for (int i = 0; i < Math.Min(Names.Length, Counters.Length); i++)
                map[Names[i]] = Counters[i];
            return map;
        }
    }

    /// <summary>Reads every counter (no CPU needed; each value is one aligned 64-bit read).</summary>
    public static Snapshot Read()
    {
        long held = Volatile.Read(ref _heldSince);
        int holder = Volatile.Read(ref _holder);
        long[] c =
        [
            Volatile.Read(ref _handoffs), Volatile.Read(ref _hardirq), Volatile.Read(ref _softirq), Volatile.Read(ref _napi),
            Volatile.Read(ref _timers), Volatile.Read(ref _work), Volatile.Read(ref _xmit), Volatile.Read(ref _rx),
        ];
        // The total first, then the wait under way: a wait that ends between the two reads is then missed, never
        // counted twice (the error only ever makes a holder look less excused).
        long waitedBefore = Volatile.Read(ref _deviceWaitTicks);
        long waitSince = Volatile.Read(ref _deviceWaitSince);
        long waited = waitedBefore + (waitSince != 0 ? Math.Max(0, Stopwatch.GetTimestamp() - waitSince) : 0);
        long waitedMs = waited * 1000 / Stopwatch.Frequency;
        if (held == 0)
            return new Snapshot(c, 0, -1, 0, waitedMs);
        // At least 1 ms when held, so that "held" and "free" never look alike.
        long heldMs = Math.Max(1, (long)Stopwatch.GetElapsedTime(held).TotalMilliseconds);
        long cpuMs = holder > 0 && Libc.ClockGetTime(Libc.ThreadCpuClock(holder), out var t) == 0 ? t.Seconds * 1000 + t.Nanoseconds / 1_000_000 : -1;
        return new Snapshot(c, heldMs, cpuMs, holder, waitedMs);
    }

    /// <summary>
    /// The device interface's hook (<c>VfioUserClient.Waiting</c>): a request starts (true) or stops (false)
    /// waiting for the device's reply. A holder of the CPU that waits for a slow device (a device server the
    /// loaded machine gives no processor) is not a stuck driver; the device's own reply timeout judges it.
    /// Waits of threads that do not hold the CPU are not counted.
    /// </summary>
    public static void DeviceWaiting(bool waiting)
    {
        if (waiting)
        {
            if (_tid == 0 || _tid != Volatile.Read(ref _holder) || Volatile.Read(ref _heldSince) == 0)
                return;
            _waitingOnDevice = true;
            Volatile.Write(ref _deviceWaitSince, Stopwatch.GetTimestamp());
        }
        else if (_waitingOnDevice)
        {
            _waitingOnDevice = false;
            long since = Volatile.Read(ref _deviceWaitSince);
            Volatile.Write(ref _deviceWaitTicks, _deviceWaitTicks + Math.Max(0, Stopwatch.GetTimestamp() - since));
            Volatile.Write(ref _deviceWaitSince, 0);
        }
    }

    // The execution model's hooks; each is called on the CPU.
    internal static void Acquired()
    {
        if (_tid == 0)
            _tid = Libc.GetTid();
        Volatile.Write(ref _holder, _tid);
        Volatile.Write(ref _heldSince, Stopwatch.GetTimestamp());
    }

    internal static void Releasing()
    {
        _handoffs++;
        Volatile.Write(ref _heldSince, 0);
    }

    internal static void HardirqReturned() => _hardirq++;
    internal static void SoftirqDone() => _softirq++;
    internal static void NapiPolled() => _napi++;
    internal static void TimerReturned() => _timers++;
    internal static void WorkDone() => _work++;
    internal static void Transmitted() => _xmit++;
    internal static void FramePassedUp() => _rx++;
}
