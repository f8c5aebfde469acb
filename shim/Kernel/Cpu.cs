// SPDX-License-Identifier: MIT
// Managed side. The shim's one CPU (DESIGN D5): every thread that runs driver code holds one big
// lock, so the driver sees a uniprocessor, non-preemptive kernel; spinlocks cost nothing and a
// blocking call (msleep, mutex_lock, wait_for_completion) gives the CPU up while it waits. Also the
// contexts Linux code asks about: preempt_count (hardirq, softirq) and `current`.
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Cpu
{
    private static readonly object BigLock = new();

    // From include/linux/preempt.h.
    public const int SoftirqOffset = 0x100;
    public const int HardirqOffset = 0x10000;
    public const int SoftirqDisableOffset = 2 * SoftirqOffset;

    private static int* _preemptCount;
    private static nint* _currentTask;
    private static int _taskSize = 1024;

    [ThreadStatic] private static nint _task;

    /// <summary>Connects the CPU to the driver image's per-CPU variables.</summary>
    internal static void Attach(nint preemptCount, nint currentTask, int taskSize)
    {
        _preemptCount = (int*)preemptCount;
        _currentTask = (nint*)currentTask;
        _taskSize = Math.Max(taskSize, 64);
    }

    public static bool HeldByMe => Monitor.IsEntered(BigLock);

    /// <summary>Runs driver code (or code that touches driver state) on the CPU.</summary>
    public static void Run(Action action)
    {
        if (HeldByMe)
        {
            action();
            return;
        }
        Monitor.Enter(BigLock);
        try
        {
            Progress.Acquired();
            BecomeCurrent();
            if (_preemptCount != null)
                *_preemptCount = PreemptEnabled;
            action();
        }
        finally
        {
            Progress.Releasing();
            Monitor.Exit(BigLock);
        }
    }

    // x86 keeps PREEMPT_NEED_RESCHED inverted in bit 31: set means "no reschedule needed".
    private const int PreemptEnabled = unchecked((int)0x80000000);

    public static T Run<T>(Func<T> action)
    {
        T result = default!;
        Run(() => { result = action(); });
        return result;
    }

    /// <summary>Runs <paramref name="action"/> in hard interrupt context (preempt_count has HARDIRQ_OFFSET).</summary>
    public static void RunHardirq(Action action) => RunWithCount(HardirqOffset, action);

    /// <summary>Runs <paramref name="action"/> in softirq context (timers, NAPI, tasklets).</summary>
    public static void RunSoftirq(Action action) => RunWithCount(SoftirqOffset, action);

    private static void RunWithCount(int offset, Action action)
    {
        Run(() =>
        {
            AddPreempt(offset);
            try
            {
                action();
            }
            finally
            {
                AddPreempt(-offset);
            }
        });
    }

    public static void AddPreempt(int delta)
    {
        if (_preemptCount != null)
            *_preemptCount += delta;
    }

    public static int PreemptCount => _preemptCount != null ? *_preemptCount & 0x7fffffff : 0;

    public static bool InInterrupt => (PreemptCount & 0xffff00) != 0;

    /// <summary>Gives up the CPU for up to <paramref name="milliseconds"/> (returns early on <see cref="WakeAll"/>).</summary>
    public static void WaitOnce(int milliseconds)
    {
        int saved = _preemptCount != null ? *_preemptCount : 0;
        Progress.Releasing();
        Monitor.Wait(BigLock, milliseconds);
        Progress.Acquired();
        BecomeCurrent();
        if (_preemptCount != null)
            *_preemptCount = saved;
    }

    /// <summary>Gives up the CPU until <paramref name="done"/> holds or the timeout passes; true if it holds.</summary>
    public static bool WaitUntil(Func<bool> done, int timeoutMs = Timeout.Infinite)
    {
        long deadline = timeoutMs == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        while (!done())
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
                return false;
            WaitOnce((int)Math.Min(left, 50));
        }
        return true;
    }

    /// <summary>Sleeps, giving the CPU to other contexts meanwhile; jiffies have counted the sleep when it returns (<see cref="Time.CatchUp"/>).</summary>
    public static void Sleep(TimeSpan time)
    {
        long deadline = Environment.TickCount64 + (long)Math.Ceiling(time.TotalMilliseconds);
        if (!HeldByMe)
            Thread.Sleep(time);
        else
            for (long left; (left = deadline - Environment.TickCount64) > 0;)
                WaitOnce((int)left);
        Time.CatchUp();
    }

    /// <summary>Lets other contexts run (cond_resched, yield).</summary>
    public static void Yield()
    {
        if (HeldByMe)
            WaitOnce(0);
    }

    /// <summary>Wakes every context waiting on the CPU (they recheck their conditions).</summary>
    public static void WakeAll()
    {
        if (HeldByMe)
            Monitor.PulseAll(BigLock);
        else
            Run(() => Monitor.PulseAll(BigLock));
    }

    private static void BecomeCurrent()
    {
        if (_currentTask == null)
            return;
        if (_task == 0)
            _task = (nint)NativeMemory.AllocZeroed((nuint)_taskSize);
        *_currentTask = _task;
    }
}
