// SPDX-License-Identifier: MIT
// Managed side. Runtime power management of a device (struct dev_pm_info in include/linux/pm.h): the fields the
// inline helpers of <linux/pm_runtime.h> read (pm_runtime_enabled(): disable_depth; pm_runtime_suspended() and
// pm_runtime_status_suspended(): runtime_status), and the driver's runtime callbacks (struct dev_pm_ops).
namespace LinuxShim.Shim.Layout;

public static class RuntimePmLayout
{
    private const string H = "linux/device.h";
    public static readonly BitField DisableDepth = KernelLayout.BitField(H, "device", "power.disable_depth");
    public static readonly StructField<int> RuntimeStatus = KernelLayout.Field<int>(H, "device", "power.runtime_status");
    public static readonly StructField<int> RuntimeError = KernelLayout.Field<int>(H, "device", "power.runtime_error");
    public static readonly BitField NeedsForceResume = KernelLayout.BitField(H, "device", "power.needs_force_resume");
    public static readonly StructField<nint> DriverPm = KernelLayout.Field<nint>(H, "device_driver", "pm");
    public static readonly StructField<nint> RuntimeSuspend = KernelLayout.Field<nint>("linux/pm.h", "dev_pm_ops", "runtime_suspend");
    public static readonly StructField<nint> RuntimeResume = KernelLayout.Field<nint>("linux/pm.h", "dev_pm_ops", "runtime_resume");

    // enum rpm_status.
    public static readonly int Active = (int)KernelLayout.Constant("linux/pm.h", "RPM_ACTIVE", 0);
    public static readonly int Suspended = (int)KernelLayout.Constant("linux/pm.h", "RPM_SUSPENDED", 2);
}
