// SPDX-License-Identifier: MIT
// Managed side. Device power management (drivers/base/power/runtime.c, wakeup.c; kernel/power/qos.c;
// kernel/power/suspend.c). A PCI function here is as Linux leaves one after pci_pm_init(): runtime PM
// enabled, the device active, and forbidden (user space never wrote "auto" to power/control), so the
// forbid reference keeps usage_count above zero: resume answers 1 (already active), idle and suspend
// requests answer -EAGAIN and nothing changes state. Wake-up needs PME, which no function here signals.
// The CPU latency requests are kept as Linux keeps them; the one CPU has no idle states for them to limit.
// A platform device starts as its zeroed struct device leaves it, enabled (disable_depth 0) and active; its
// driver's pm_runtime_enable()/_disable()/_set_status() keep disable_depth and runtime_status as runtime.c does,
// which the inline pm_runtime_enabled() and pm_runtime_suspended() read. The system never sleeps, so the
// force_suspend/resume pair (system sleep callbacks) and wake-up events only keep their bookkeeping.
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

    private static uint DisableDepth(nint dev) => dev.Bits(RuntimePmLayout.DisableDepth);

    // pm_runtime_enable(): one disable undone; more enables than disables is a driver bug (warned, no change).
    [KernelSymbol("pm_runtime_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PmRuntimeEnable(nint dev) => Enable(dev);

    public static void Enable(nint dev)
    {
        uint depth = DisableDepth(dev);
        if (depth == 0)
        {
            Machine.Log(4, "WARNING: Unbalanced pm_runtime_enable!");
            return;
        }
        dev.Bits(RuntimePmLayout.DisableDepth, depth - 1);
    }

    // __pm_runtime_disable(): one more disable. No runtime request is ever pending here (nothing suspends), so the
    // resume check_resume asks for has nothing to carry out. disable_depth is 3 bits, as in struct dev_pm_info.
    [KernelSymbol("__pm_runtime_disable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PmRuntimeDisable(nint dev, byte checkResume) => Disable(dev);

    public static void Disable(nint dev)
    {
        uint depth = DisableDepth(dev);
        if (depth < 7)
            dev.Bits(RuntimePmLayout.DisableDepth, depth + 1);
    }

    // devm_pm_runtime_enable() (6.12): enabled now, disabled when the driver goes.
    [KernelSymbol("devm_pm_runtime_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevmPmRuntimeEnable(nint dev)
    {
        Enable(dev);
        Devres.Add(dev, () => Disable(dev));
        return 0;
    }

    /// <summary>
    /// __pm_runtime_set_status(): RPM_ACTIVE or RPM_SUSPENDED (else -EINVAL), only while runtime PM is disabled
    /// (-EAGAIN while it is enabled and no runtime error is recorded); clears the runtime error. The parent's state is
    /// not checked: no device here is ever runtime-suspended, so an active child never has a suspended parent.
    /// </summary>
    [KernelSymbol("__pm_runtime_set_status"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PmRuntimeSetStatus(nint dev, uint status) => SetStatus(dev, (int)status);

    public static int SetStatus(nint dev, int status)
    {
        if (status != RuntimePmLayout.Active && status != RuntimePmLayout.Suspended)
            return EInval;
        if (dev.I32(RuntimePmLayout.RuntimeError) == 0 && DisableDepth(dev) == 0)
            return EAgain;
        dev.I32(RuntimePmLayout.RuntimeStatus, status);
        dev.I32(RuntimePmLayout.RuntimeError, 0);
        return 0;
    }

    private static nint RuntimeCallback(nint dev, StructField<nint> which)
    {
        nint driver = dev.Ptr(DeviceLayout.Driver);
        nint pm = driver == 0 ? 0 : driver.Ptr(RuntimePmLayout.DriverPm);
        return pm == 0 ? 0 : pm.Ptr(which);
    }

    /// <summary>
    /// pm_runtime_force_suspend(): runtime PM disabled, and unless the device is suspended already, its driver's
    /// runtime_suspend (what the platform bus's runtime callback calls); on success the device is suspended and
    /// marked for pm_runtime_force_resume(), on failure enabled again.
    /// </summary>
    [KernelSymbol("pm_runtime_force_suspend"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PmRuntimeForceSuspend(nint dev)
    {
        Disable(dev);
        if (dev.I32(RuntimePmLayout.RuntimeStatus) == RuntimePmLayout.Suspended)
            return 0;
        var suspend = (delegate* unmanaged<nint, int>)RuntimeCallback(dev, RuntimePmLayout.RuntimeSuspend);
        int r = suspend != null ? suspend(dev) : 0;
        if (r != 0)
        {
            Enable(dev);
            return r;
        }
        dev.I32(RuntimePmLayout.RuntimeStatus, RuntimePmLayout.Suspended);
        dev.Bits(RuntimePmLayout.NeedsForceResume, 1);
        return 0;
    }

    /// <summary>pm_runtime_force_resume(): a device pm_runtime_force_suspend() suspended resumes (its driver's runtime_resume); runtime PM is enabled again either way.</summary>
    [KernelSymbol("pm_runtime_force_resume"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PmRuntimeForceResume(nint dev)
    {
        int r = 0;
        if (dev.I32(RuntimePmLayout.RuntimeStatus) == RuntimePmLayout.Suspended && dev.Bits(RuntimePmLayout.NeedsForceResume) != 0)
        {
            dev.I32(RuntimePmLayout.RuntimeStatus, RuntimePmLayout.Active);
            var resume = (delegate* unmanaged<nint, int>)RuntimeCallback(dev, RuntimePmLayout.RuntimeResume);
            r = resume != null ? resume(dev) : 0;
            if (r != 0)
                dev.I32(RuntimePmLayout.RuntimeStatus, RuntimePmLayout.Suspended);
        }
        dev.Bits(RuntimePmLayout.NeedsForceResume, 0);
        Enable(dev);
        return r;
    }

    // pm_wakeup_dev_event(): reported to the device's wake-up source, which none has (device_wakeup_enable() fails).
    [KernelSymbol("pm_wakeup_dev_event"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PmWakeupDevEvent(nint dev, uint msec, byte hard)
    {
    }

    // pm_system_wakeup(): aborts a system suspend in progress; the system never suspends.
    [KernelSymbol("pm_system_wakeup"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PmSystemWakeup()
    {
    }

    // pinctrl_pm_select_default_state()/_sleep_state() (drivers/pinctrl/core.c): a device without pins (no pin
    // controller here gives any) has no state to select: 0.
    [KernelSymbol("pinctrl_pm_select_default_state"), KernelSymbol("pinctrl_pm_select_sleep_state"), KernelSymbol("pinctrl_pm_select_idle_state"),
     UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PinctrlPmSelectState(nint dev) => 0;

    private static readonly Dictionary<uint, int> WakeDepth = [];

    /// <summary>
    /// irq_set_irq_wake() (kernel/irq/manage.c): counts enables and disables of an interrupt's wake-up (unbalanced
    /// disables are warned and ignored). The lines here have no wake-up logic to program, as an interrupt chip
    /// marked IRQCHIP_SKIP_SET_WAKE, so the count is all there is.
    /// </summary>
    [KernelSymbol("irq_set_irq_wake"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int IrqSetIrqWake(uint irq, uint on) => SetIrqWake(irq, on != 0);

    public static int SetIrqWake(uint irq, bool on)
    {
        lock (WakeDepth)
        {
            int depth = WakeDepth.GetValueOrDefault(irq);
            if (on)
                WakeDepth[irq] = depth + 1;
            else if (depth == 0)
                Machine.Log(4, $"WARNING: Unbalanced IRQ {irq} wake disable");
            else
                WakeDepth[irq] = depth - 1;
        }
        return 0;
    }

    /// <summary>How many irq_set_irq_wake(on) of <paramref name="irq"/> are not undone.</summary>
    public static int IrqWakeDepth(uint irq)
    {
        lock (WakeDepth)
            return WakeDepth.GetValueOrDefault(irq);
    }
}
