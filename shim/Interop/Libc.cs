// SPDX-License-Identifier: MIT
// Managed side, raw libc bindings the driver host needs: dynamic loading, address-space reservations
// for device windows, thread ids and CPU-time clocks (memory files, sockets and ioctls are in Vfio/Interop).
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Interop;

internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int RTLD_NOW = 2;
    public const int RTLD_LOCAL = 0;
    public const int PROT_NONE = 0;
    public const int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    public static readonly nint MAP_FAILED = -1;

    [LibraryImport(Library, EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint dlopen(string file, int mode);

    [LibraryImport(Library, EntryPoint = "dlsym", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint dlsym(nint handle, string name);

    [LibraryImport(Library, EntryPoint = "dlerror")]
    public static partial nint dlerror();

    /// <summary>getrandom(2): the kernel's random bytes (its CSPRNG), with no file to open after lock-down.</summary>
    [LibraryImport(Library, EntryPoint = "getrandom", SetLastError = true)]
    public static partial nint getrandom(byte* buffer, nuint length, uint flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct DlInfo
    {
        public nint FileName, FileBase, SymbolName, SymbolAddress;
    }

    [LibraryImport(Library, EntryPoint = "dladdr")]
    public static partial int dladdr(nint address, out DlInfo info);

    [LibraryImport(Library, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Library, EntryPoint = "gettid")]
    public static partial int gettid();

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [LibraryImport(Library, EntryPoint = "clock_gettime")]
    public static partial int clock_gettime(int clock, out Timespec time);

    /// <summary>The CPU-time clock of thread <paramref name="tid"/> of this process (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED), include/linux/posix-timers.h).</summary>
    public static int ThreadCpuClock(int tid) => (~tid << 3) | 4 | 2;

    public static string? DlError()
    {
        nint p = dlerror();
        return p == 0 ? null : Marshal.PtrToStringUTF8(p);
    }

    public static string Errno() => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
}
