// SPDX-License-Identifier: MIT
// Managed side. Device power management (drivers/base/power/runtime.c, wakeup.c; kernel/power/qos.c;
// kernel/power/suspend.c). A PCI function here is as Linux leaves one after pci_pm_init(): runtime PM
// enabled, the device active, and forbidden (user space never wrote "auto" to power/control), so the
// forbid reference keeps usage_count above zero: resume answers 1 (already active), idle and suspend
// requests answer -EAGAIN and nothing changes state. Wake-up needs PME, which no function here signals.
// The CPU latency requests are kept as Linux keeps them; the one CPU has no idle states for them to limit.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class PowerManagement
{
    private const int RpmGetPut = 0x04, EAgain = -11, EInval = -22;

    /// <summary>pm_runtime_forbid() at enumeration (pci_pm_init()): the reference user space holds.</summary>
    internal static void Forbid(nint dev) => Interlocked.Increment(ref *(int*)dev.At(DeviceLayout.PowerUsageCount));

    [KernelSymbol("__pm_runtime_resume"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PmRuntimeResume(nint dev, int rpmflags)
    {
        if ((rpmflags & RpmGetPut) != 0)
            Interlocked.Increment(ref *(int*)dev.At(DeviceLayout.PowerUsageCount));
        return 1; // rpm_resume(): already RPM_ACTIVE
    }

    [KernelSymbol("__pm_runtime_idle"), KernelSymbol("__pm_runtime_suspend"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PmRuntimeIdle(nint dev, int rpmflags)
    {
        if ((rpmflags & RpmGetPut) != 0 && Interlocked.Decrement(ref *(int*)dev.At(DeviceLayout.PowerUsageCount)) != 0)
            return 0;
        return EAgain; // rpm_check_suspend_allowed(): usage_count is not zero while runtime PM is forbidden
    }

    [KernelSymbol("pm_schedule_suspend"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PmScheduleSuspend(nint dev, uint delay) => EAgain;

    // power.can_wakeup is never set (no PME): device_wakeup_enable() refuses as wakeup.c does then.
    [KernelSymbol("device_wakeup_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceWakeupEnable(nint dev) => EInval;

    // pci_dev_run_wake(): false without pme_support.
    [KernelSymbol("pci_dev_run_wake"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte PciDevRunWake(nint pdev) => 0;

    private static nint _latencyConstraints;

    private static nint LatencyConstraints =>
        _latencyConstraints != 0 ? _latencyConstraints : _latencyConstraints = (nint)NativeMemory.AllocZeroed((nuint)PmQosLayout.Constraints.Size);

    [KernelSymbol("cpu_latency_qos_add_request"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void CpuLatencyQosAddRequest(nint req, int value)
    {
        if (req == 0 || req.Ptr(PmQosLayout.RequestQos) != 0)
        {
            Machine.Log(4, "cpu_latency_qos_add_request called for already added request");
            return;
        }
        req.Ptr(PmQosLayout.RequestQos, LatencyConstraints);
        req.I32(PmQosLayout.RequestPrio, value);
    }

    [KernelSymbol("cpu_latency_qos_update_request"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void CpuLatencyQosUpdateRequest(nint req, int value)
    {
        if (req == 0 || req.Ptr(PmQosLayout.RequestQos) == 0)
        {
            Machine.Log(4, "cpu_latency_qos_update_request called for unknown object");
            return;
        }
        req.I32(PmQosLayout.RequestPrio, value);
    }

    [KernelSymbol("cpu_latency_qos_remove_request"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void CpuLatencyQosRemoveRequest(nint req)
    {
        if (req == 0 || req.Ptr(PmQosLayout.RequestQos) == 0)
        {
            Machine.Log(4, "cpu_latency_qos_remove_request called for unknown object");
            return;
        }
        req.Ptr(PmQosLayout.RequestQos, 0);
    }

    // drivers/base/power/wakeup.c. Whether the device can wake the system is the driver's to say
    // (power.can_wakeup, which device_can_wakeup() reads); enabling wake-up then still fails here, as
    // no wake-up source exists without PME (device_wakeup_enable).
    [KernelSymbol("device_set_wakeup_capable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceSetWakeupCapable(nint dev, byte capable) => dev.Bits(DevicePmLayout.CanWakeup, capable != 0 ? 1u : 0u);

    // -EINVAL for a device that cannot wake; otherwise its wake-up source is detached, and none was ever attached.
    [KernelSymbol("device_wakeup_disable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceWakeupDisable(nint dev) => dev == 0 || dev.Bits(DevicePmLayout.CanWakeup) == 0 ? EInval : 0;
}
