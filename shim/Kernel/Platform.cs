// SPDX-License-Identifier: MIT
// Managed side. Platform drivers and devices (drivers/base/platform.c). A driver host's machine is described by
// the PCI functions it was given and nothing else: no device tree, no ACPI namespace, no board file, so its
// platform bus holds only the devices drivers register themselves (niu registers a "niu-board" device to hang
// its per-board state and sysfs links on). A platform driver registers (and a second registration of the same
// driver is refused, as the driver core refuses it) and stays unbound, exactly as on a board without its device;
// via-rhine registers one for the SoC variant beside its PCI driver. Binding a platform driver to a platform
// device is not modelled: a registration that would bind one (platform_match() by name or id table) ends the
// host with that reason rather than leave the device unbound where Linux would probe it.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Platform
{
    private static readonly HashSet<nint> Drivers = [];
    private static readonly HashSet<nint> Devices = [];
    private static readonly SortedSet<int> AutoIds = [];

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

    /// <summary>"NAME", "NAME.ID" or, for PLATFORM_DEVID_AUTO's id, "NAME.ID.auto": platform_device_add()'s names.</summary>
    public static string DeviceName(string name, int id, bool auto) =>
        id == PlatformLayout.DevidNone ? name : auto ? $"{name}.{id}.auto" : $"{name}.{id}";

    /// <summary>The smallest automatic id not in use (ida_alloc()); taken until <see cref="FreeAutoId"/>.</summary>
    public static int AllocateAutoId()
    {
        lock (AutoIds)
        {
            int id = 0;
            while (AutoIds.Contains(id))
                id++;
            AutoIds.Add(id);
            return id;
        }
    }

    public static void FreeAutoId(int id)
    {
        lock (AutoIds)
            AutoIds.Remove(id);
    }

    /// <summary>platform_match() without firmware nodes (none here) and without a driver_override (which only
    /// driver_set_override() and sysfs set, neither offered here): the id table's names, else the driver's name.</summary>
    private static bool Matches(nint pdev, nint pdrv)
    {
        string? device = Access.CString(pdev.Ptr(PlatformLayout.Name));
        if (pdrv.Ptr(PlatformLayout.DriverIdTable) is var id and not 0)
        {
            for (; *(byte*)id.At(PlatformLayout.IdName) != 0; id += PlatformLayout.IdSize.Size)
                if (Access.CString(id.At(PlatformLayout.IdName)) == device)
                    return true;
            return false;
        }
        return Access.CString(pdrv.Ptr(PlatformLayout.DriverName)) == device;
    }

    private static void RefuseBinding(nint pdev, nint pdrv) =>
        Machine.Fatal($"platform driver {Access.CString(pdrv.Ptr(PlatformLayout.DriverName))} matches platform device "
            + $"{Access.CString(pdev.Ptr(PlatformLayout.Name))}: binding platform drivers is not modelled");

    [KernelSymbol("__platform_driver_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformDriverRegister(nint driver, nint owner)
    {
        lock (Devices)
            foreach (nint pdev in Devices)
                if (Matches(pdev, driver))
                {
                    RefuseBinding(pdev, driver);
                    return -19;
                }
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

    /// <summary>
    /// platform_device_register_full(): a platform device named after <paramref name="info"/> (platform_device_alloc(),
    /// platform_device_add_data(), platform_device_add()): DMA masks of 32 bits unless the info gives one, a copy of
    /// the platform data, the parent given, no bus driver. Resources, software-node properties and firmware nodes
    /// are not modelled and end the host (no caller here passes them). An error comes back as ERR_PTR().
    /// </summary>
    [KernelSymbol("platform_device_register_full"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PlatformDeviceRegisterFull(nint info)
    {
        if (info.U32(PlatformLayout.InfoNumRes) != 0 || info.Ptr(PlatformLayout.InfoProperties) != 0 || info.Ptr(PlatformLayout.InfoFwnode) != 0)
        {
            Machine.Fatal($"platform_device_register_full({Access.CString(info.Ptr(PlatformLayout.InfoName))}): resources, properties and firmware nodes are not modelled");
            return -22;
        }
        string name = Access.CString(info.Ptr(PlatformLayout.InfoName)) ?? "";
        int nameBytes = System.Text.Encoding.UTF8.GetByteCount(name) + 1;
        // As platform_object: the device and its name in one allocation.
        nint pdev = Memory.Allocate(PlatformLayout.DeviceSize.Size + nameBytes, GfpFlags.Zero);
        if (pdev == 0)
            return -12;
        nint dev = pdev.At(PlatformLayout.Dev);
        Access.WriteCString(pdev + PlatformLayout.DeviceSize.Size, nameBytes, name);
        pdev.Ptr(PlatformLayout.Name, pdev + PlatformLayout.DeviceSize.Size);
        int id = info.I32(PlatformLayout.InfoId);
        DriverCore.Initialize(dev);
        dev.Ptr(DeviceModelLayout.Release, (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Release);
        dev.Ptr(DeviceLayout.Parent, info.Ptr(PlatformLayout.InfoParent));
        ulong mask = info.U64(PlatformLayout.InfoDmaMask);
        pdev.U64(PlatformLayout.PlatformDmaMask, mask != 0 ? mask : uint.MaxValue);
        dev.U64(DeviceLayout.CoherentDmaMask, mask != 0 ? mask : uint.MaxValue);
        dev.Ptr(DeviceLayout.DmaMask, pdev.At(PlatformLayout.PlatformDmaMask));
        nint data = info.Ptr(PlatformLayout.InfoData);
        long size = (long)info.U64(PlatformLayout.InfoSizeData);
        if (data != 0 && size > 0)
        {
            nint copy = Memory.Allocate(size, 0);
            if (copy == 0)
            {
                Put(dev);
                return -12;
            }
            Buffer.MemoryCopy((void*)data, (void*)copy, size, size);
            dev.Ptr(PlatformLayout.PlatformData, copy);
        }
        bool auto = id == PlatformLayout.DevidAuto;
        if (auto)
        {
            id = AllocateAutoId();
            pdev.U8(PlatformLayout.IdAuto, 1);
        }
        pdev.I32(PlatformLayout.Id, id);
        string devName = DeviceName(name, id, auto);
        int devNameBytes = System.Text.Encoding.UTF8.GetByteCount(devName) + 1;
        nint kobjName = Memory.Allocate(devNameBytes, 0);
        if (kobjName != 0)
            Access.WriteCString(kobjName, devNameBytes, devName);
        dev.Ptr(DeviceLayout.KobjName, kobjName);
        int err = kobjName == 0 ? -12 : DriverCore.Add(dev);
        if (err != 0)
        {
            if (auto)
                FreeAutoId(id);
            Put(dev);
            return err;
        }
        lock (Devices)
        {
            Devices.Add(pdev);
            foreach (nint driver in Drivers)
                if (Matches(pdev, driver))
                    RefuseBinding(pdev, driver);
        }
        return pdev;
    }

    /// <summary>platform_device_unregister(): platform_device_del() (the device leaves the bus, an automatic id is
    /// freed) and platform_device_put(); the last reference releases it.</summary>
    [KernelSymbol("platform_device_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PlatformDeviceUnregister(nint pdev)
    {
        if (pdev == 0 || (ulong)pdev >= unchecked((ulong)-4095L)) // IS_ERR_OR_NULL()
            return;
        lock (Devices)
            if (!Devices.Remove(pdev))
            {
                Machine.Fatal($"platform_device_unregister(0x{pdev:x}): not a registered platform device");
                return;
            }
        nint dev = pdev.At(PlatformLayout.Dev);
        if (pdev.U8(PlatformLayout.IdAuto) != 0)
        {
            FreeAutoId(pdev.I32(PlatformLayout.Id));
            pdev.I32(PlatformLayout.Id, PlatformLayout.DevidAuto);
        }
        if (DriverCore.Find(dev) is { } device)
            DriverCore.Model.DeleteDevice(device);
        Put(dev);
    }

    private static void Put(nint dev)
    {
        if (DriverCore.Find(dev) is { } device)
            DriverCore.Model.Put(device);
    }

    public static bool IsDevice(nint pdev)
    {
        lock (Devices)
            return Devices.Contains(pdev);
    }

    // platform_device_release(): the platform data, the name the device was given and the object.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Release(nint dev)
    {
        nint pdev = dev - PlatformLayout.Dev.Offset;
        Memory.Free(dev.Ptr(PlatformLayout.PlatformData));
        Memory.Free(dev.Ptr(DeviceLayout.KobjName));
        Memory.Free(pdev);
    }
}
