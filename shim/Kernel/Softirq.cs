// SPDX-License-Identifier: MIT
// Managed side. Linux softirqs (kernel/softirq.c) as the shim needs them: NAPI polling and tasklets,
// run when an interrupt handler returns, when bottom halves are re-enabled, or by ksoftirqd.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Softirq
{
    private static readonly Queue<Action> Work = new();
    private static readonly LinkedList<nint> Tasklets = new();
    private static readonly AutoResetEvent Raised = new(false);
    private static Thread? _ksoftirqd;
    private static bool _running;

    internal static void Start()
    {
        _ksoftirqd = new Thread(() =>
        {
            while (true)
            {
                Raised.WaitOne();
                Cpu.Run(RunPending);
            }
        }) { IsBackground = true, Name = "ksoftirqd/0" };
        _ksoftirqd.Start();
    }

    /// <summary>Queues bottom-half work (called on the CPU); it runs at the next softirq point.</summary>
    public static void Raise(Action action)
    {
        Work.Enqueue(action);
        if (!Cpu.InInterrupt)
            Raised.Set();
    }

    /// <summary>Runs pending softirq work unless bottom halves are disabled or softirqs are already running.</summary>
    public static void RunPending()
    {
        if (_running || (Cpu.PreemptCount & 0xffff00) != 0)
        {
            if (Work.Count > 0 || Tasklets.Count > 0)
                Raised.Set();
            return;
        }
        _running = true;
        Cpu.AddPreempt(Cpu.SoftirqOffset);
        try
        {
            int rounds = 0;
            while ((Work.Count > 0 || Tasklets.Count > 0) && rounds++ < 64)
            {
                int n = Work.Count;
                for (int i = 0; i < n; i++)
                {
                    Work.Dequeue()();
                    Progress.SoftirqDone();
                }
                RunTasklets();
            }
            if (Work.Count > 0 || Tasklets.Count > 0)
                Raised.Set(); // the rest goes to ksoftirqd, so process context gets the CPU back
        }
        finally
        {
            Cpu.AddPreempt(-Cpu.SoftirqOffset);
            _running = false;
        }
    }

    // TASKLET_STATE_SCHED = 0, TASKLET_STATE_RUN = 1.
    private static void RunTasklets()
    {
        int n = Tasklets.Count;
        for (int i = 0; i < n && Tasklets.First is { } node; i++)
        {
            nint t = node.Value;
            Tasklets.RemoveFirst();
            if (t.I32(TaskletLayout.Count) != 0)
            {
                Tasklets.AddLast(t); // disabled: stays scheduled
                continue;
            }
            t.SetBit(TaskletLayout.State, 1);
            t.ClearBit(TaskletLayout.State, 0);
            nint fn = t.Ptr(TaskletLayout.Func);
            if (t.U8(TaskletLayout.UseCallback) != 0)
                ((delegate* unmanaged<nint, void>)fn)(t);
            else
                ((delegate* unmanaged<ulong, void>)fn)(t.U64(TaskletLayout.Data));
            t.ClearBit(TaskletLayout.State, 1);
            Progress.SoftirqDone();
        }
    }

    [KernelSymbol("__tasklet_schedule"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TaskletSchedule(nint t)
    {
        Tasklets.AddLast(t);
        if (!Cpu.InInterrupt)
            Raised.Set();
    }

    [KernelSymbol("__tasklet_hi_schedule"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TaskletHiSchedule(nint t)
    {
        Tasklets.AddFirst(t);
        if (!Cpu.InInterrupt)
            Raised.Set();
    }

    [KernelSymbol("tasklet_setup"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TaskletSetup(nint t, nint callback)
    {
        t.U64(TaskletLayout.State, 0);
        t.I32(TaskletLayout.Count, 0);
        t.U8(TaskletLayout.UseCallback, 1);
        t.Ptr(TaskletLayout.Func, callback);
        t.U64(TaskletLayout.Data, 0);
    }

    [KernelSymbol("tasklet_init"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TaskletInit(nint t, nint func, ulong data)
    {
        t.U64(TaskletLayout.State, 0);
        t.I32(TaskletLayout.Count, 0);
        t.U8(TaskletLayout.UseCallback, 0);
        t.Ptr(TaskletLayout.Func, func);
        t.U64(TaskletLayout.Data, data);
    }

    // As kernel/softirq.c: a tasklet still scheduled runs once more before tasklet_kill returns (the kill waits
    // for TASKLET_STATE_SCHED to clear, which running it does), then for a running one to finish; it is left
    // neither scheduled nor running. Called from process context (Linux warns in interrupt context, where
    // the wait could never end).
    [KernelSymbol("tasklet_kill"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TaskletKill(nint t)
    {
        if (t.TestBit(TaskletLayout.State, 0) && Tasklets.Contains(t))
        {
            Raised.Set();
            Cpu.WaitUntil(() => !t.TestBit(TaskletLayout.State, 0));
        }
        Cpu.WaitUntil(() => !t.TestBit(TaskletLayout.State, 1));
        Tasklets.Remove(t);
        t.ClearBit(TaskletLayout.State, 0);
    }

    [KernelSymbol("__local_bh_enable_ip"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void LocalBhEnableIp(nuint ip, uint count)
    {
        Cpu.AddPreempt(-(int)count);
        if (!Cpu.InInterrupt)
            RunPending();
    }

    [KernelSymbol("raise_softirq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void RaiseSoftirq(uint nr) => Raised.Set();

    // TASKLET_STATE_RUN (bit 1) is set while the tasklet's function runs. On the one CPU that is only while
    // the softirq context gave the CPU up inside it; waiting gives the CPU back until it is done.
    [KernelSymbol("tasklet_unlock_wait"), KernelSymbol("tasklet_unlock_spin_wait"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TaskletUnlockWait(nint t) => Cpu.WaitUntil(() => !t.TestBit(TaskletLayout.State, 1));
}
