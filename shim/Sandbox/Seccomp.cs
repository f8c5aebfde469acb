// SPDX-License-Identifier: MIT
// Managed side. Installing a seccomp filter on every thread of the process (seccomp(2)):
// SECCOMP_FILTER_FLAG_TSYNC, because the runtime and the shim already run threads that will execute
// driver code, and SECCOMP_FILTER_FLAG_NEW_LISTENER for the supervisor's notification descriptor.
using LinuxShim.Posix;

namespace LinuxShim.Shim.Sandbox;

public static unsafe class Seccomp
{
    private const int SetModeFilter = 1, GetActionAvail = 2;
    private const uint FlagTsync = 1, FlagNewListener = 8, FlagTsyncEsrch = 16;

    /// <summary>Whether the kernel knows a filter return action (SECCOMP_GET_ACTION_AVAIL).</summary>
    public static bool ActionAvailable(uint action)
    {
        uint a = action;
        return Libc.Syscall(Libc.SYS_seccomp, GetActionAvail, 0, (long)&a, 0, 0, 0) == 0;
    }

    /// <summary>
    /// Installs <paramref name="program"/> on all threads; returns the listener descriptor, or -1 when
    /// <paramref name="listener"/> is false. no_new_privs must be set (or CAP_SYS_ADMIN held).
    /// </summary>
    public static int Install(BpfInstruction[] program, bool listener)
    {
        if (program.Length is 0 or > 4096)
            throw new ArgumentException("a seccomp program has 1 to 4096 instructions", nameof(program));
        uint flags = FlagTsync | (listener ? FlagNewListener | FlagTsyncEsrch : 0);
        fixed (BpfInstruction* code = program)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var fprog = stackalloc nint[2];
            fprog[0] = program.Length;
            fprog[1] = (nint)code;
            long r = Libc.Syscall(Libc.SYS_seccomp, SetModeFilter, flags, (long)fprog, 0, 0, 0);
            if (r < 0)
                throw SandboxException.FromErrno("seccomp(SECCOMP_SET_MODE_FILTER)");
            if (!listener && r > 0)
                throw new SandboxException($"seccomp: thread {r} could not be synchronised to the filter");
            return listener ? (int)r : -1;
        }
    }
}

public sealed class SandboxException(string message, int errno = 0) : Exception(message)
{
    public int Errno { get; } = errno;

    internal static SandboxException FromErrno(string what)
    {
        int errno = LinuxShim.Posix.Errno.Last;
        return new SandboxException($"{what}: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}", errno);
    }
}
