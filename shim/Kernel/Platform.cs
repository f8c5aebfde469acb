// SPDX-License-Identifier: MIT
// Managed side. Platform drivers (drivers/base/platform.c). A driver host's machine is described by the
// PCI functions it was given and nothing else: no device tree, no ACPI namespace, no board file, so its
// platform bus holds no device. A platform driver registers (and a second registration of the same
// driver is refused, as the driver core refuses it) but is never bound, exactly as on a board without
// its device; via-rhine registers one for the SoC variant beside its PCI driver.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Platform
{
    private static readonly HashSet<nint> Drivers = [];

    public static bool Register(nint driver)
    {
        lock (Drivers)
            return Drivers.Add(driver);
    }

    public static bool Unregister(nint driver)
    {
        lock (Drivers)
            return Drivers.Remove(driver);
    }

    public static bool IsRegistered(nint driver)
    {
        lock (Drivers)
            return Drivers.Contains(driver);
    }

    [KernelSymbol("__platform_driver_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformDriverRegister(nint driver, nint owner)
    {
        if (Register(driver))
            return 0;
        Machine.Log(3, "Error: Driver is already registered, aborting...");
        return -16; // -EBUSY, driver_register()'s answer
    }

    [KernelSymbol("platform_driver_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PlatformDriverUnregister(nint driver)
    {
        if (!Unregister(driver))
            Machine.Fatal($"platform_driver_unregister(0x{driver:x}): the driver is not registered");
    }
}
