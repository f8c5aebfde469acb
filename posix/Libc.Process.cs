// SPDX-License-Identifier: MIT
// Managed side. The process-wide calls the sandbox needs: the generic syscall() entry (seccomp and
// Landlock have no glibc wrappers in Debian 12), prctl, resource limits, unshare, getpid.
using System.Runtime.InteropServices;

namespace LinuxShim.Posix;

public static unsafe partial class Libc
{
    // x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    public const long SYS_seccomp = 317, SYS_landlock_create_ruleset = 444, SYS_landlock_restrict_self = 446;
    public const long SYS_process_vm_readv = 310;

    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport(Lib, EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, ulong a2, ulong a3, ulong a4, ulong a5);

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current, Maximum;
    }

    [LibraryImport(Lib, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport(Lib, EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, in RLimit limit);

    [LibraryImport(Lib, EntryPoint = "unshare", SetLastError = true)]
    public static partial int Unshare(int flags);

    [LibraryImport(Lib, EntryPoint = "getpid")]
    public static partial int GetPid();
}
