// SPDX-License-Identifier: MIT
// Managed side. Linux workqueues (kernel/workqueue.c): each workqueue has a worker thread that runs
// its work items in process context; delayed work arms the item's own timer_list, which fires
// delayed_work_timer_fn as in Linux.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Workqueue
{
    private sealed class Queue(string name)
    {
        public readonly string Name = name;
        public readonly LinkedList<nint> Items = new();
        public nint Running;
        public bool Stopping;
        public Thread? Worker;
    }

    private static readonly Dictionary<nint, Queue> Queues = [];

    /// <summary>Creates a workqueue and its worker; returns the opaque struct workqueue_struct pointer.</summary>
    public static nint Create(string name)
    {
        nint handle = (nint)NativeMemory.AllocZeroed(64);
        var q = new Queue(name);
        Queues[handle] = q;
        q.Worker = new Thread(() => Worker(q)) { IsBackground = true, Name = "kworker/" + name };
        q.Worker.Start();
        return handle;
    }

    private static void Worker(Queue q)
    {
        Cpu.Run(() =>
        {
            while (!q.Stopping)
            {
                if (q.Items.First is not { } node)
                {
                    Cpu.WaitOnce(1000);
                    continue;
                }
                nint work = node.Value;
                q.Items.RemoveFirst();
                work.ClearBit(WorkLayout.Data, WorkLayout.PendingBit);
                q.Running = work;
                var fn = (delegate* unmanaged<nint, void>)work.Ptr(WorkLayout.Func);
                fn(work);
                Progress.WorkDone();
                q.Running = 0;
                Cpu.WakeAll();
            }
        });
    }

    private static Queue Find(nint wq) =>
        Queues.TryGetValue(wq, out var q) ? q : throw new InvalidOperationException($"0x{wq:x} is not a workqueue");

    private static bool Enqueue(nint wq, nint work)
    {
        var q = Find(wq);
        q.Items.AddLast(work);
        Cpu.WakeAll();
        return true;
    }

    [KernelSymbol("queue_work_on"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte QueueWorkOn(int cpu, nint wq, nint work)
    {
        if (work.SetBit(WorkLayout.Data, WorkLayout.PendingBit))
            return 0;
        return (byte)(Enqueue(wq, work) ? 1 : 0);
    }

    [KernelSymbol("queue_delayed_work_on"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte QueueDelayedWorkOn(int cpu, nint wq, nint dwork, ulong delay)
    {
        nint work = dwork.At(WorkLayout.DelayedWork);
        if (work.SetBit(WorkLayout.Data, WorkLayout.PendingBit))
            return 0;
        QueueDelayed(wq, dwork, cpu, delay);
        return 1;
    }

    private static void QueueDelayed(nint wq, nint dwork, int cpu, ulong delay)
    {
        if (delay == 0)
        {
            Enqueue(wq, dwork.At(WorkLayout.DelayedWork));
            return;
        }
        dwork.Ptr(WorkLayout.DelayedWq, wq);
        dwork.I32(WorkLayout.DelayedCpu, cpu);
        Time.Arm(dwork.At(WorkLayout.DelayedTimer), Time.Jiffies + delay);
    }

    [KernelSymbol("mod_delayed_work_on"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte ModDelayedWorkOn(int cpu, nint wq, nint dwork, ulong delay)
    {
        bool was = Cancel(dwork.At(WorkLayout.DelayedWork), dwork.At(WorkLayout.DelayedTimer));
        dwork.At(WorkLayout.DelayedWork).SetBit(WorkLayout.Data, WorkLayout.PendingBit);
        QueueDelayed(wq, dwork, cpu, delay);
        return (byte)(was ? 1 : 0);
    }

    // The timer of a delayed work item expired: queue the work (softirq context, as in Linux).
    [KernelSymbol("delayed_work_timer_fn"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DelayedWorkTimerFn(nint timer)
    {
        nint dwork = timer - WorkLayout.DelayedTimer.Offset;
        Enqueue(dwork.Ptr(WorkLayout.DelayedWq), dwork.At(WorkLayout.DelayedWork));
    }

    /// <summary>Removes a queued or timed work item; true if it was pending.</summary>
    private static bool Cancel(nint work, nint timer)
    {
        bool pending = Time.Disarm(timer);
        foreach (var q in Queues.Values)
            pending |= q.Items.Remove(work);
        work.ClearBit(WorkLayout.Data, WorkLayout.PendingBit);
        return pending;
    }

    // Running counts only on another worker: a work item flushing or cancelling itself must not wait for itself.
    private static bool Running(nint work) => Queues.Values.Any(q => q.Running == work && q.Worker != Thread.CurrentThread);

    private static bool Queued(nint work) => Queues.Values.Any(q => q.Items.Contains(work));

    private static void WaitIdle(nint work) => Cpu.WaitUntil(() => !Running(work));

    private static void WaitFlushed(nint work) => Cpu.WaitUntil(() => !Queued(work) && !Running(work));

    [KernelSymbol("cancel_work_sync"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte CancelWorkSync(nint work)
    {
        bool was = Cancel(work, 0);
        WaitIdle(work);
        return (byte)(was ? 1 : 0);
    }

    [KernelSymbol("cancel_delayed_work"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte CancelDelayedWork(nint dwork) =>
        (byte)(Cancel(dwork.At(WorkLayout.DelayedWork), dwork.At(WorkLayout.DelayedTimer)) ? 1 : 0);

    [KernelSymbol("cancel_delayed_work_sync"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte CancelDelayedWorkSync(nint dwork)
    {
        bool was = Cancel(dwork.At(WorkLayout.DelayedWork), dwork.At(WorkLayout.DelayedTimer));
        WaitIdle(dwork.At(WorkLayout.DelayedWork));
        return (byte)(was ? 1 : 0);
    }

    [KernelSymbol("flush_work"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte FlushWork(nint work)
    {
        bool busy = Queues.Values.Any(q => q.Items.Contains(work) || q.Running == work);
        WaitFlushed(work);
        return (byte)(busy ? 1 : 0);
    }

    [KernelSymbol("flush_delayed_work"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte FlushDelayedWork(nint dwork)
    {
        nint work = dwork.At(WorkLayout.DelayedWork);
        if (Time.Disarm(dwork.At(WorkLayout.DelayedTimer)))
            Enqueue(dwork.Ptr(WorkLayout.DelayedWq), work);
        WaitFlushed(work);
        return 1;
    }

    [KernelSymbol("__flush_workqueue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FlushWorkqueue(nint wq)
    {
        var q = Find(wq);
        if (q.Worker != Thread.CurrentThread)
            Cpu.WaitUntil(() => q.Items.Count == 0 && q.Running == 0);
    }

    [KernelSymbol("destroy_workqueue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DestroyWorkqueue(nint wq)
    {
        var q = Find(wq);
        Cpu.WaitUntil(() => q.Items.Count == 0 && q.Running == 0);
        q.Stopping = true;
        Cpu.WakeAll();
        Queues.Remove(wq);
    }

    /// <summary>Host op behind the native alloc_workqueue() (which formats the name).</summary>
    [HostOp("linuxshim_host_alloc_workqueue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocWorkqueue(nint name, uint flags, int maxActive) => Create(Access.CString(name) ?? "wq");
}
