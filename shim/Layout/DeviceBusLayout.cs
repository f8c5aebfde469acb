// SPDX-License-Identifier: MIT
// Managed side. The bus a device sits on (struct device.bus, include/linux/device.h).
namespace LinuxShim.Shim.Layout;

public static class DeviceBusLayout
{
    private const string H = "linux/device.h";
    public static readonly StructField<nint> Bus = KernelLayout.Field<nint>(H, "device", "bus");
}
