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

    /// <summary>The counters' names, in the order of <see cref="Snapshot.Counters"/>.</summary>
    public static readonly string[] Names = ["cpu_handoffs", "hardirq", "softirq", "napi_polls", "timers", "work", "xmit", "rx_frames"];

    /// <summary>
    /// The counters at one moment; how long the CPU had been held then (0: free); and the processor
    /// time the holding thread had used in all (ms; -1 when the CPU is free or the time is unknown).
    /// </summary>
    public readonly record struct Snapshot(long[] Counters, long CpuHeldMs, long HolderCpuMs)
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
        if (held == 0)
            return new Snapshot(c, 0, -1);
        // At least 1 ms when held, so that "held" and "free" never look alike.
        long heldMs = Math.Max(1, (long)Stopwatch.GetElapsedTime(held).TotalMilliseconds);
        long cpuMs = holder > 0 && Libc.ClockGetTime(Libc.ThreadCpuClock(holder), out var t) == 0 ? t.Seconds * 1000 + t.Nanoseconds / 1_000_000 : -1;
        return new Snapshot(c, heldMs, cpuMs);
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
