// SPDX-License-Identifier: MIT
// Managed side. High-resolution timers (kernel/time/hrtimer.c): the fields of struct hrtimer the inline helpers
// of <linux/hrtimer.h> read and write in a driver (node.expires and _softexpires, hrtimer_is_queued()'s state,
// hrtimer_callback_running()'s base->running, hrtimer_forward_now()'s base->get_time), and the clock base
// a timer points to. ktime_t (s64) fields are declared as their 8 bytes and read signed (Hrtimer).
namespace LinuxShim.Shim.Layout;

public static class HrtimerLayout
{
    private const string H = "linux/hrtimer.h";
    public static readonly StructField<ulong> Expires = KernelLayout.Field<ulong>(H, "hrtimer", "node.expires");
    public static readonly StructField<nint> NodeParentColor = KernelLayout.Field<nint>(H, "hrtimer", "node.node.__rb_parent_color");
    public static readonly StructField<ulong> SoftExpires = KernelLayout.Field<ulong>(H, "hrtimer", "_softexpires");
    public static readonly StructField<nint> Function = KernelLayout.Field<nint>(H, "hrtimer", "function");
    public static readonly StructField<nint> Base = KernelLayout.Field<nint>(H, "hrtimer", "base");
    public static readonly StructField<byte> State = KernelLayout.Field<byte>(H, "hrtimer", "state");
    public static readonly StructField<byte> IsRel = KernelLayout.Field<byte>(H, "hrtimer", "is_rel");
    public static readonly StructField<byte> IsSoft = KernelLayout.Field<byte>(H, "hrtimer", "is_soft");
    public static readonly StructField<byte> IsHard = KernelLayout.Field<byte>(H, "hrtimer", "is_hard");
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "hrtimer");

    public static readonly StructSize ClockBaseSize = KernelLayout.SizeOf(H, "hrtimer_clock_base");
    public static readonly StructField<nint> ClockBaseCpuBase = KernelLayout.Field<nint>(H, "hrtimer_clock_base", "cpu_base");
    public static readonly StructField<uint> ClockBaseIndex = KernelLayout.Field<uint>(H, "hrtimer_clock_base", "index");
    public static readonly StructField<int> ClockBaseClockId = KernelLayout.Field<int>(H, "hrtimer_clock_base", "clockid");
    public static readonly StructField<nint> ClockBaseRunning = KernelLayout.Field<nint>(H, "hrtimer_clock_base", "running");
    public static readonly StructField<nint> ClockBaseGetTime = KernelLayout.Field<nint>(H, "hrtimer_clock_base", "get_time");
    public static readonly StructSize CpuBaseSize = KernelLayout.SizeOf(H, "hrtimer_cpu_base");

    public static readonly uint ModeRel = (uint)KernelLayout.Constant(H, "HRTIMER_MODE_REL", 1);
    public static readonly uint ModeSoft = (uint)KernelLayout.Constant(H, "HRTIMER_MODE_SOFT", 4);
    public static readonly uint ModeHard = (uint)KernelLayout.Constant(H, "HRTIMER_MODE_HARD", 8);
    public static readonly byte StateEnqueued = (byte)KernelLayout.Constant(H, "HRTIMER_STATE_ENQUEUED", 1);
    public static readonly int Restart = (int)KernelLayout.Constant(H, "HRTIMER_RESTART", 1);

    // enum hrtimer_base_type: the soft bases follow the four hard ones.
    public static readonly uint BaseMonotonic = (uint)KernelLayout.Constant(H, "HRTIMER_BASE_MONOTONIC", 0);
    public static readonly uint BaseRealtime = (uint)KernelLayout.Constant(H, "HRTIMER_BASE_REALTIME", 1);
    public static readonly uint BaseBoottime = (uint)KernelLayout.Constant(H, "HRTIMER_BASE_BOOTTIME", 2);
    public static readonly uint BaseTai = (uint)KernelLayout.Constant(H, "HRTIMER_BASE_TAI", 3);
    public static readonly uint BaseMonotonicSoft = (uint)KernelLayout.Constant(H, "HRTIMER_BASE_MONOTONIC_SOFT", 4);

    // The POSIX clocks a timer may be on (include/uapi/linux/time.h).
    public static readonly int ClockRealtime = (int)KernelLayout.Constant(H, "CLOCK_REALTIME", 0);
    public static readonly int ClockMonotonic = (int)KernelLayout.Constant(H, "CLOCK_MONOTONIC", 1);
    public static readonly int ClockBoottime = (int)KernelLayout.Constant(H, "CLOCK_BOOTTIME", 7);
    public static readonly int ClockTai = (int)KernelLayout.Constant(H, "CLOCK_TAI", 11);
}
