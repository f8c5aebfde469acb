// SPDX-License-Identifier: MIT
// Managed side. LED triggers (include/linux/leds.h): phylib registers one per PHY and speed, by name.
namespace LinuxShim.Shim.Layout;

public static class LedLayout
{
    public static readonly StructField<nint> TriggerName = KernelLayout.Field<nint>("linux/leds.h", "led_trigger", "name");
}
