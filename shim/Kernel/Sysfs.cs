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
    private static readonly HashSet<(nint Directory, string Name)> Links = [];

    /// <summary>Records an attribute of <paramref name="owner"/>; false if it already has it (-EEXIST).</summary>
    public static bool Create(nint owner, nint what) => Locked(Attributes, a => a.Add((owner, what)));

    /// <summary>Forgets one; removing what does not exist is silently ignored, as sysfs does.</summary>
    public static bool Remove(nint owner, nint what) => Locked(Attributes, a => a.Remove((owner, what)));

    public static int Count(nint owner) => Locked(Attributes, a => a.Count(x => x.Owner == owner));

    /// <summary>sysfs_create_link(): a link named <paramref name="name"/> in <paramref name="directory"/>'s directory
    /// (0: the sysfs root); false if that directory has an entry of that name already (-EEXIST).</summary>
    public static bool CreateLink(nint directory, string name) => Locked(Links, l => l.Add((directory, name)));

    /// <summary>sysfs_remove_link(): false when there is no such link (sysfs ignores that).</summary>
    public static bool RemoveLink(nint directory, string name) => Locked(Links, l => l.Remove((directory, name)));

    public static bool HasLink(nint directory, string name) => Locked(Links, l => l.Contains((directory, name)));

    private static TResult Locked<T, TResult>(HashSet<T> set, Func<HashSet<T>, TResult> f)
    {
        lock (set)
            return f(set);
    }

    private const int Eexist = 17, Einval = 22;

    // fs/sysfs/symlink.c: a link needs a name and a target; the target's kobject is not looked into, as the
    // host has no directory for it to resolve to.
    [KernelSymbol("sysfs_create_link"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SysfsCreateLink(nint kobj, nint target, nint name) =>
        name == 0 || target == 0 ? -Einval : CreateLink(kobj, Marshal.PtrToStringUTF8(name)!) ? 0 : -Eexist;

    [KernelSymbol("sysfs_remove_link"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SysfsRemoveLink(nint kobj, nint name)
    {
        if (name != 0)
            RemoveLink(kobj, Marshal.PtrToStringUTF8(name)!);
    }

    // sysfs_create_file_ns() (fs/sysfs/file.c): an attribute of a kobject (phylib's PHY attributes); the namespace
    // tag is not looked at (namespaced attributes only differ in which network namespace sees them).
    [KernelSymbol("sysfs_create_file_ns"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SysfsCreateFileNs(nint kobj, nint attr, nint ns) => kobj == 0 || attr == 0 ? -Einval : Create(kobj, attr) ? 0 : -Eexist;

    [KernelSymbol("sysfs_remove_file_ns"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SysfsRemoveFileNs(nint kobj, nint attr, nint ns) => Remove(kobj, attr);

    // sysfs_create_link_nowarn(): sysfs_create_link() that does not warn of an existing name (still -EEXIST).
    [KernelSymbol("sysfs_create_link_nowarn"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SysfsCreateLinkNowarn(nint kobj, nint target, nint name) =>
        name == 0 || target == 0 ? -Einval : CreateLink(kobj, Marshal.PtrToStringUTF8(name)!) ? 0 : -Eexist;

    [KernelSymbol("device_create_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceCreateFile(nint dev, nint attr) => dev == 0 ? -Einval : Create(dev, attr) ? 0 : -Eexist;

    [KernelSymbol("device_remove_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceRemoveFile(nint dev, nint attr) => Remove(dev, attr);

    [KernelSymbol("device_create_bin_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceCreateBinFile(nint dev, nint attr) => dev == 0 ? -Einval : Create(dev, attr) ? 0 : -Eexist;

    [KernelSymbol("device_remove_bin_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceRemoveBinFile(nint dev, nint attr) => Remove(dev, attr);
}
