// SPDX-License-Identifier: MIT
// Managed side. The raw libc calls only the sandbox needs: the generic syscall() entry (seccomp and
// Landlock have no glibc wrappers in Debian 12), prctl, resource limits, unshare. Descriptor calls
// (open, read, write, poll, ioctl, eventfd) are the shared ones in Vfio/Interop. errno becomes an
// exception in one place (SandboxException.FromErrno).
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Sandbox.Interop;

internal static unsafe partial class SandboxCalls
{
    private const string Library = "libc";

    // x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    public const long SYS_seccomp = 317, SYS_landlock_create_ruleset = 444, SYS_landlock_restrict_self = 446;
    public const long SYS_process_vm_readv = 310;

    public const int EINTR = 4, ENOENT = 2, EPERM = 1, ENOSYS = 38, EINVAL = 22, EOPNOTSUPP = 95, EAGAIN = 11;

    [LibraryImport(Library, EntryPoint = "syscall", SetLastError = true)]
    public static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport(Library, EntryPoint = "prctl", SetLastError = true)]
    public static partial int prctl(int option, ulong a2, ulong a3, ulong a4, ulong a5);

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current, Maximum;
    }

    [LibraryImport(Library, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport(Library, EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int setrlimit(int resource, in RLimit limit);

    [LibraryImport(Library, EntryPoint = "unshare", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport(Library, EntryPoint = "getpid")]
    public static partial int getpid();

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    public static int Errno => Marshal.GetLastPInvokeError();
}
