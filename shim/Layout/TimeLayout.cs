// SPDX-License-Identifier: MIT
// Managed side. Fields of timers, work items and wait primitives the shim touches.
namespace LinuxShim.Shim.Layout;

public static class TimerLayout
{
    private const string H = "linux/timer.h";
    public static readonly StructField<nint> EntryPprev = KernelLayout.Field<nint>(H, "timer_list", "entry.pprev");
    public static readonly StructField<ulong> Expires = KernelLayout.Field<ulong>(H, "timer_list", "expires");
    public static readonly StructField<nint> Function = KernelLayout.Field<nint>(H, "timer_list", "function");
    public static readonly StructField<uint> Flags = KernelLayout.Field<uint>(H, "timer_list", "flags");
}

public static class WorkLayout
{
    private const string H = "linux/workqueue.h";
    public static readonly StructField<ulong> Data = KernelLayout.Field<ulong>(H, "work_struct", "data");
    public static readonly StructField<nint> Func = KernelLayout.Field<nint>(H, "work_struct", "func");
    public static readonly StructField DelayedWork = KernelLayout.Field(H, "delayed_work", "work");
    public static readonly StructField DelayedTimer = KernelLayout.Field(H, "delayed_work", "timer");
    public static readonly StructField<nint> DelayedWq = KernelLayout.Field<nint>(H, "delayed_work", "wq");
    public static readonly StructField<int> DelayedCpu = KernelLayout.Field<int>(H, "delayed_work", "cpu");
    public static readonly int PendingBit = (int)KernelLayout.Constant(H, "WORK_STRUCT_PENDING_BIT", 0);
}

public static class CompletionLayout
{
    private const string H = "linux/completion.h";
    public static readonly StructField<uint> Done = KernelLayout.Field<uint>(H, "completion", "done");
}

public static class TaskletLayout
{
    private const string H = "linux/interrupt.h";
    public static readonly StructField<ulong> State = KernelLayout.Field<ulong>(H, "tasklet_struct", "state");
    public static readonly StructField<int> Count = KernelLayout.Field<int>(H, "tasklet_struct", "count");
    public static readonly StructField<byte> UseCallback = KernelLayout.Field<byte>(H, "tasklet_struct", "use_callback");
    public static readonly StructField<nint> Func = KernelLayout.Field<nint>(H, "tasklet_struct", "func");
    public static readonly StructField<ulong> Data = KernelLayout.Field<ulong>(H, "tasklet_struct", "data");
}

public static class WaitLayout
{
    public static readonly StructField WaitHead = KernelLayout.Field("linux/wait.h", "wait_queue_head", "head");
    public static readonly StructField SwaitHead = KernelLayout.Field("linux/swait.h", "swait_queue_head", "task_list");
}

public static class TimecounterLayout
{
    private const string H = "linux/timecounter.h";
    public static readonly StructField<nint> CcRead = KernelLayout.Field<nint>(H, "cyclecounter", "read");
    public static readonly StructField<ulong> CcMask = KernelLayout.Field<ulong>(H, "cyclecounter", "mask");
    public static readonly StructField<uint> CcMult = KernelLayout.Field<uint>(H, "cyclecounter", "mult");
    public static readonly StructField<uint> CcShift = KernelLayout.Field<uint>(H, "cyclecounter", "shift");
    public static readonly StructField<nint> Cc = KernelLayout.Field<nint>(H, "timecounter", "cc");
    public static readonly StructField<ulong> CycleLast = KernelLayout.Field<ulong>(H, "timecounter", "cycle_last");
    public static readonly StructField<ulong> Nsec = KernelLayout.Field<ulong>(H, "timecounter", "nsec");
    public static readonly StructField<ulong> Mask = KernelLayout.Field<ulong>(H, "timecounter", "mask");
    public static readonly StructField<ulong> Frac = KernelLayout.Field<ulong>(H, "timecounter", "frac");
}
