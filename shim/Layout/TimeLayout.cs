// SPDX-License-Identifier: MIT
// Managed side. Fields of timers, work items and wait primitives the shim touches.
namespace LinuxShim.Shim.Layout;

public static class TimerLayout
{
    private const string H = "linux/timer.h";
    public static readonly StructField EntryPprev = KernelLayout.Field(H, "timer_list", "entry.pprev");
    public static readonly StructField Expires = KernelLayout.Field(H, "timer_list", "expires");
    public static readonly StructField Function = KernelLayout.Field(H, "timer_list", "function");
    public static readonly StructField Flags = KernelLayout.Field(H, "timer_list", "flags");
}

public static class WorkLayout
{
    private const string H = "linux/workqueue.h";
    public static readonly StructField Data = KernelLayout.Field(H, "work_struct", "data");
    public static readonly StructField Func = KernelLayout.Field(H, "work_struct", "func");
    public static readonly StructField DelayedWork = KernelLayout.Field(H, "delayed_work", "work");
    public static readonly StructField DelayedTimer = KernelLayout.Field(H, "delayed_work", "timer");
    public static readonly StructField DelayedWq = KernelLayout.Field(H, "delayed_work", "wq");
    public static readonly StructField DelayedCpu = KernelLayout.Field(H, "delayed_work", "cpu");
    public static readonly int PendingBit = (int)KernelLayout.Constant(H, "WORK_STRUCT_PENDING_BIT", 0);
}

public static class CompletionLayout
{
    private const string H = "linux/completion.h";
    public static readonly StructField Done = KernelLayout.Field(H, "completion", "done");
}

public static class TaskletLayout
{
    private const string H = "linux/interrupt.h";
    public static readonly StructField State = KernelLayout.Field(H, "tasklet_struct", "state");
    public static readonly StructField Count = KernelLayout.Field(H, "tasklet_struct", "count");
    public static readonly StructField UseCallback = KernelLayout.Field(H, "tasklet_struct", "use_callback");
    public static readonly StructField Func = KernelLayout.Field(H, "tasklet_struct", "func");
    public static readonly StructField Data = KernelLayout.Field(H, "tasklet_struct", "data");
}

public static class WaitLayout
{
    public static readonly StructField WaitHead = KernelLayout.Field("linux/wait.h", "wait_queue_head", "head");
    public static readonly StructField SwaitHead = KernelLayout.Field("linux/swait.h", "swait_queue_head", "task_list");
}

public static class TimecounterLayout
{
    private const string H = "linux/timecounter.h";
    public static readonly StructField CcRead = KernelLayout.Field(H, "cyclecounter", "read");
    public static readonly StructField CcMask = KernelLayout.Field(H, "cyclecounter", "mask");
    public static readonly StructField CcMult = KernelLayout.Field(H, "cyclecounter", "mult");
    public static readonly StructField CcShift = KernelLayout.Field(H, "cyclecounter", "shift");
    public static readonly StructField Cc = KernelLayout.Field(H, "timecounter", "cc");
    public static readonly StructField CycleLast = KernelLayout.Field(H, "timecounter", "cycle_last");
    public static readonly StructField Nsec = KernelLayout.Field(H, "timecounter", "nsec");
    public static readonly StructField Mask = KernelLayout.Field(H, "timecounter", "mask");
    public static readonly StructField Frac = KernelLayout.Field(H, "timecounter", "frac");
}
