// SPDX-License-Identifier: MIT
// Managed side. User copies (lib/usercopy.c, arch/x86/lib): what a driver's ioctl handler copies from and to
// its caller. A driver host has no user space of its own: the only callers are the host's own requests,
// whose buffers are ordinary memory. As in Linux, the result counts the bytes not copied, a NULL user
// pointer faults (nothing copied), and a failed copy from user space zeroes the destination.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Uaccess
{
    [KernelSymbol("_copy_from_user"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong CopyFromUser(nint to, nint from, ulong n)
    {
        if (from == 0)
        {
            new Span<byte>((void*)to, checked((int)n)).Clear();
            return n;
        }
        Buffer.MemoryCopy((void*)from, (void*)to, (long)n, (long)n);
        return 0;
    }

    [KernelSymbol("_copy_to_user"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong CopyToUser(nint to, nint from, ulong n)
    {
        if (to == 0)
            return n;
        Buffer.MemoryCopy((void*)from, (void*)to, (long)n, (long)n);
        return 0;
    }

    /// <summary>memdup_user_nul() (mm/util.c): a kmalloc'ed copy of <paramref name="len"/> bytes from user space, NUL-terminated; ERR_PTR(-ENOMEM) or ERR_PTR(-EFAULT).</summary>
    [KernelSymbol("memdup_user_nul"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint MemdupUserNul(nint src, nuint len)
    {
        nint p = Memory.Allocate((long)len + 1, 0);
        if (p == 0)
            return -12;
        if (src == 0)
        {
            Memory.Free(p);
            return -14;
        }
        Buffer.MemoryCopy((void*)src, (void*)p, (long)len, (long)len);
        ((byte*)p)[len] = 0;
        return p;
    }
}
