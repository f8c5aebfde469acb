// SPDX-License-Identifier: MIT
// Managed side. Linux sleeping and waking (kernel/sched/wait.c, completion.c, kthread.c): wait
// queues, completions and kernel threads, all built on giving the shim's CPU up until woken.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Waiting
{
    private const uint CompleteAll = uint.MaxValue;

    [KernelSymbol("__init_waitqueue_head"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void InitWaitqueueHead(nint wq, nint name, nint key) => InitListHead(wq.At(WaitLayout.WaitHead));

    [KernelSymbol("__init_swait_queue_head"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void InitSwaitQueueHead(nint q, nint name, nint key) => InitListHead(q.At(WaitLayout.SwaitHead));

    // An empty list_head points at itself.
    internal static void InitListHead(nint list)
    {
        *(nint*)list = list;
        *(nint*)(list + 8) = list;
    }

    [KernelSymbol("__wake_up"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WakeUp(nint wq, uint mode, int nr, nint key)
    {
        Cpu.WakeAll();
        return 0;
    }

    [KernelSymbol("init_wait_entry"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void InitWaitEntry(nint entry, int flags) { }

    [KernelSymbol("prepare_to_wait_event"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long PrepareToWaitEvent(nint wq, nint entry, int state) => 0;

    [KernelSymbol("finish_wait"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FinishWait(nint wq, nint entry) { }

    /// <summary>schedule(): give the CPU up until something wakes waiters.</summary>
    [KernelSymbol("schedule"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Schedule() => Cpu.WaitOnce(100);

    [KernelSymbol("schedule_timeout"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long ScheduleTimeout(long timeout)
    {
        ulong start = Time.Jiffies;
        int ms = timeout >= long.MaxValue / 2 ? 100 : (int)Math.Min(Time.JiffiesToMilliseconds(timeout), int.MaxValue);
        Cpu.WaitOnce(Math.Max(ms, 1));
        long left = timeout - (long)(Time.Jiffies - start);
        return left > 0 ? left : 0;
    }

    /// <summary>
    /// schedule_timeout_uninterruptible(): TASK_UNINTERRUPTIBLE, so nothing but the timeout ends the sleep
    /// here (no wake_up_process target exists in the shim): sleeps it all, the big lock dropped; returns 0.
    /// </summary>
    [KernelSymbol("schedule_timeout_uninterruptible"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long ScheduleTimeoutUninterruptible(long timeout)
    {
        if (timeout > 0)
            Cpu.Sleep(TimeSpan.FromMilliseconds(Math.Min(Time.JiffiesToMilliseconds(timeout), int.MaxValue)));
        return 0;
    }

    [KernelSymbol("complete"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Complete(nint x)
    {
        uint done = x.U32(CompletionLayout.Done);
        if (done != CompleteAll)
            x.U32(CompletionLayout.Done, done + 1);
        Cpu.WakeAll();
    }

    [KernelSymbol("complete_all"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void CompleteAllEntry(nint x)
    {
        x.U32(CompletionLayout.Done, CompleteAll);
        Cpu.WakeAll();
    }

    private static bool Consume(nint x)
    {
        uint done = x.U32(CompletionLayout.Done);
        if (done == 0)
            return false;
        if (done != CompleteAll)
            x.U32(CompletionLayout.Done, done - 1);
        return true;
    }

    [KernelSymbol("wait_for_completion"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void WaitForCompletion(nint x) => Cpu.WaitUntil(() => Consume(x));

    [KernelSymbol("wait_for_completion_timeout"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong WaitForCompletionTimeout(nint x, ulong timeout)
    {
        ulong start = Time.Jiffies;
        if (!Cpu.WaitUntil(() => x.U32(CompletionLayout.Done) != 0, (int)Math.Min(Time.JiffiesToMilliseconds((long)timeout), int.MaxValue)))
            return 0;
        Consume(x);
        ulong used = Time.Jiffies - start;
        return used < timeout ? timeout - used : 1;
    }

    [KernelSymbol("wait_for_completion_interruptible"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WaitForCompletionInterruptible(nint x)
    {
        Cpu.WaitUntil(() => Consume(x));
        return 0;
    }

    [KernelSymbol("try_wait_for_completion"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte TryWaitForCompletion(nint x) => (byte)(Consume(x) ? 1 : 0);

    [KernelSymbol("completion_done"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte CompletionDone(nint x) => (byte)(x.U32(CompletionLayout.Done) != 0 ? 1 : 0);

    // Kernel threads: the native kthread_create_on_node() formats the name and calls the host.
    private sealed class KThread
    {
        public nint Function, Data;
        public string Name = "";
        public Thread? Thread;
        public bool ShouldStop, Started, Exited;
        public int Result;
    }

    private static readonly Dictionary<nint, KThread> Threads = [];
    [ThreadStatic] private static KThread? _self;

    [HostOp("linuxshim_host_kthread_create"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint KthreadCreate(nint function, nint data, nint name)
    {
        nint task = (nint)NativeMemory.AllocZeroed(4096);
        Threads[task] = new KThread { Function = function, Data = data, Name = Access.CString(name) ?? "kthread" };
        return task;
    }

    [KernelSymbol("wake_up_process"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WakeUpProcess(nint task)
    {
        if (!Threads.TryGetValue(task, out var k) || k.Started)
        {
            Cpu.WakeAll();
            return 0;
        }
        k.Started = true;
        k.Thread = new Thread(() => Cpu.Run(() =>
        {
            _self = k;
            k.Result = ((delegate* unmanaged<nint, int>)k.Function)(k.Data);
            k.Exited = true;
            Cpu.WakeAll();
        })) { IsBackground = true, Name = k.Name };
        k.Thread.Start();
        return 1;
    }

    [KernelSymbol("kthread_should_stop"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte KthreadShouldStop() => (byte)(_self is { ShouldStop: true } ? 1 : 0);

    [KernelSymbol("kthread_stop"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int KthreadStop(nint task)
    {
        if (!Threads.Remove(task, out var k))
            return -4; // -EINTR: not a thread of ours
        k.ShouldStop = true;
        if (!k.Started)
            return -4;
        Cpu.WakeAll();
        Cpu.WaitUntil(() => k.Exited);
        return k.Result;
    }

    // yield() (kernel/sched/core.c): lets the other contexts run before carrying on.
    [KernelSymbol("yield"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Yield() => Cpu.Yield();
}
