// SPDX-License-Identifier: MIT
// Managed side. Debugfs (fs/debugfs). A driver host has no file system to show it in, so it runs as a
// kernel booted with debugfs=off: debugfs_create_*() answer ERR_PTR(-EPERM) (fs/debugfs/inode.c,
// start_creating()), which drivers must accept and do, and removing such a result does nothing. No
// debugfs file ever exists, so their file operations (fixed_size_llseek(), simple_read_from_buffer()
// on behalf of a read) are never reached through one.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Debugfs
{
    private const int EPerm = 1, EInval = 22, EFault = 14;
    private static nint ErrPtr(int errno) => -errno;
    private static bool IsErrOrNull(nint p) => p == 0 || (ulong)p >= unchecked((ulong)-4095);

    [KernelSymbol("debugfs_create_dir"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DebugfsCreateDir(nint name, nint parent) => ErrPtr(EPerm);

    [KernelSymbol("debugfs_create_file"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DebugfsCreateFile(nint name, ushort mode, nint parent, nint data, nint fops) => ErrPtr(EPerm);

    [KernelSymbol("debugfs_remove"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DebugfsRemove(nint dentry)
    {
        if (!IsErrOrNull(dentry)) // debugfs_create_*() never made one
            Machine.Fatal($"debugfs_remove(0x{dentry:x}): not a debugfs entry of this host");
    }

    // debugfs_rename(): what debugfs_create_*() gave (an error pointer, debugfs being off) is given back, as
    // fs/debugfs/inode.c does for an error pointer; there is nothing else it could be asked to rename.
    [KernelSymbol("debugfs_rename"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DebugfsRename(nint oldDir, nint oldDentry, nint newDir, nint newName)
    {
        if (IsErrOrNull(oldDentry) && oldDentry != 0)
            return oldDentry;
        Machine.Fatal($"debugfs_rename(0x{oldDentry:x}): not a debugfs entry of this host");
        return ErrPtr(EPerm);
    }

    [KernelSymbol("fixed_size_llseek"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long FixedSizeLlseek(nint file, long offset, int whence, long size)
    {
        Machine.Fatal($"fixed_size_llseek(0x{file:x}): no file exists in this host");
        return -EInval;
    }

    /// <summary>
    /// simple_read_from_buffer() (fs/libfs.c): copies what is left of <paramref name="available"/> bytes at
    /// *<paramref name="ppos"/> to the reader, up to <paramref name="count"/>, and advances the position.
    /// </summary>
    [KernelSymbol("simple_read_from_buffer"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long SimpleReadFromBuffer(byte* to, nuint count, long* ppos, byte* from, nuint available) =>
        ReadFromBuffer(to, count, ppos, from, available);

    public static long ReadFromBuffer(byte* to, nuint count, long* ppos, byte* from, nuint available)
    {
        long pos = *ppos;
        if (pos < 0)
            return -EInval;
        if ((ulong)pos >= available || count == 0)
            return 0;
        if (to == null)
            return -EFault;
        ulong n = Math.Min(count, available - (ulong)pos);
        Buffer.MemoryCopy(from + pos, to, (long)n, (long)n);
        *ppos = pos + (long)n;
        return (long)n;
    }
}
