// SPDX-License-Identifier: MIT
// Managed side. The libc calls the driver host needs besides descriptors: dynamic loading, address-space
// reservations for device windows (with Mmap), thread ids, CPU-time clocks and random bytes.
using System.Runtime.InteropServices;

namespace LinuxShim.Posix;

public static unsafe partial class Libc
{
    public const int RTLD_NOW = 2;
    public const int RTLD_LOCAL = 0;
    public const int PROT_NONE = 0;
    public const int MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000;
    public static readonly nint MAP_FAILED = -1;

    [LibraryImport(Lib, EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint DlOpen(string file, int mode);

    [LibraryImport(Lib, EntryPoint = "dlsym", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint DlSym(nint handle, string name);

    [LibraryImport(Lib, EntryPoint = "dlerror")]
    private static partial nint dlerror();

    /// <summary>getrandom(2): the kernel's random bytes (its CSPRNG), with no file to open after lock-down.</summary>
    [LibraryImport(Lib, EntryPoint = "getrandom", SetLastError = true)]
    public static partial nint GetRandom(byte* buffer, nuint length, uint flags);

    [StructLayout(LayoutKind.Sequential)]
    public struct DlInfo
    {
        public nint FileName, FileBase, SymbolName, SymbolAddress;
    }

    [LibraryImport(Lib, EntryPoint = "dladdr")]
    public static partial int DlAddr(nint address, out DlInfo info);

    [LibraryImport(Lib, EntryPoint = "gettid")]
    public static partial int GetTid();

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [LibraryImport(Lib, EntryPoint = "clock_gettime")]
    public static partial int ClockGetTime(int clock, out Timespec time);

    /// <summary>The CPU-time clock of thread <paramref name="tid"/> of this process (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED), include/linux/posix-timers.h).</summary>
    public static int ThreadCpuClock(int tid) => (~tid << 3) | 4 | 2;

    /// <summary>dlerror(3) as a string; null when no loader call failed since the last one.</summary>
    public static string? DlError()
    {
        nint p = dlerror();
        return p == 0 ? null : Marshal.PtrToStringUTF8(p);
    }
}
