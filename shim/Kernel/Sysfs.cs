// SPDX-License-Identifier: MIT
// Managed side. Device attribute files (fs/sysfs, drivers/base/core.c device_create_file()). A driver
// host has no sysfs: nothing outside it could open the files, and the sandbox gives it no file system.
// Drivers create attributes for user space to read, so the host behaves as a kernel built without
// sysfs, whose sysfs_create_file() and sysfs_create_link() succeed and create nothing
// (include/linux/sysfs.h, !CONFIG_SYSFS); what was "created" is remembered so a removal is checked.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Sysfs
{
    private static readonly HashSet<(nint Owner, nint What)> Attributes = [];

    /// <summary>Records an attribute (or link) of <paramref name="owner"/>; false if it already has it (-EEXIST).</summary>
    public static bool Create(nint owner, nint what)
    {
        lock (Attributes)
            return Attributes.Add((owner, what));
    }

    /// <summary>Forgets one; removing what does not exist is silently ignored, as sysfs does.</summary>
    public static bool Remove(nint owner, nint what)
    {
        lock (Attributes)
            return Attributes.Remove((owner, what));
    }

    public static int Count(nint owner)
    {
        lock (Attributes)
            return Attributes.Count(a => a.Owner == owner);
    }

    private const int Eexist = 17, Einval = 22;

    [KernelSymbol("device_create_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceCreateFile(nint dev, nint attr) => dev == 0 ? -Einval : Create(dev, attr) ? 0 : -Eexist;

    [KernelSymbol("device_remove_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceRemoveFile(nint dev, nint attr) => Remove(dev, attr);

    [KernelSymbol("device_create_bin_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceCreateBinFile(nint dev, nint attr) => dev == 0 ? -Einval : Create(dev, attr) ? 0 : -Eexist;

    [KernelSymbol("device_remove_bin_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceRemoveBinFile(nint dev, nint attr) => Remove(dev, attr);
}
