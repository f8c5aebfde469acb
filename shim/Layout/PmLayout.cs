// SPDX-License-Identifier: MIT
// Managed side. The wake-up state of a device (struct dev_pm_info in include/linux/pm.h).
namespace LinuxShim.Shim.Layout;

public static class DevicePmLayout
{
    private const string H = "linux/device.h";
    public static readonly BitField CanWakeup = KernelLayout.BitField(H, "device", "power.can_wakeup");
}
