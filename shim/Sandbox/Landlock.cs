// SPDX-License-Identifier: MIT
// Managed side. Landlock (Documentation/userspace-api/landlock.rst): a ruleset that handles every
// access right the running kernel's ABI knows and grants none, so the host can open no file, make no
// directory entry, and bind or connect no TCP port. Descriptors opened before stay usable.
using System.Runtime.InteropServices;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Sandbox;

public static unsafe class Landlock
{
    private const uint CreateRulesetVersion = 1;
    // LANDLOCK_RESTRICT_SELF_TSYNC (ABI 8): the domain applies to every thread, not only the caller.
    private const uint RestrictSelfTsync = 1 << 3;

    /// <summary>The kernel's Landlock ABI version, or 0 when Landlock is missing or disabled.</summary>
    public static int AbiVersion()
    {
        long v = Libc.Syscall(Libc.SYS_landlock_create_ruleset, 0, 0, CreateRulesetVersion, 0, 0, 0);
        return v < 0 ? 0 : (int)v;
    }

    /// <summary>LANDLOCK_ACCESS_FS_* of an ABI: EXECUTE..MAKE_SYM (1), REFER (2), TRUNCATE (3), IOCTL_DEV (5).</summary>
    public static ulong FilesystemRights(int abi) =>
        abi switch
        {
            <= 0 => 0,
            1 => (1UL << 13) - 1,
            2 => (1UL << 14) - 1,
            3 or 4 => (1UL << 15) - 1,
            _ => (1UL << 16) - 1,
        };

    /// <summary>LANDLOCK_ACCESS_NET_BIND_TCP | CONNECT_TCP from ABI 4.</summary>
    public static ulong NetworkRights(int abi) => abi >= 4 ? 3UL : 0;

    /// <summary>LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SIGNAL from ABI 6: no abstract sockets or signals outside the domain.</summary>
    public static ulong Scopes(int abi) => abi >= 6 ? 3UL : 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct RulesetAttr
    {
        public ulong HandledAccessFs, HandledAccessNet, Scoped;
    }

    /// <summary>
    /// Restricts this process (ABI ≥ 8: every thread; before: the calling thread and the threads it
    /// creates later). Returns whether every thread is covered. no_new_privs must be set.
    /// </summary>
    public static bool RestrictSelf(int abi)
    {
        var attr = new RulesetAttr { HandledAccessFs = FilesystemRights(abi), HandledAccessNet = NetworkRights(abi), Scoped = Scopes(abi) };
        // The attribute grew with the ABI: 8 bytes (1-3), 16 (4-5), 24 (6-).
        long size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
        long ruleset = Libc.Syscall(Libc.SYS_landlock_create_ruleset, (long)&attr, size, 0, 0, 0, 0);
        if (ruleset < 0)
            throw SandboxException.FromErrno("landlock_create_ruleset");
        try
        {
            bool allThreads = abi >= 8;
            long r = Libc.Syscall(Libc.SYS_landlock_restrict_self, ruleset, allThreads ? RestrictSelfTsync : 0, 0, 0, 0, 0);
            if (r < 0)
                throw SandboxException.FromErrno("landlock_restrict_self");
            return allThreads;
        }
        finally
        {
            LinuxShim.Posix.Libc.Close((int)ruleset);
        }
    }
}
