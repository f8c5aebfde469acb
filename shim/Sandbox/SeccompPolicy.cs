// SPDX-License-Identifier: MIT
// Managed side. The driver host's system-call allow-list and its compilation to a seccomp BPF
// program (Documentation/userspace-api/seccomp_filter.rst). What is allowed is what the .NET runtime
// and the shim use once the host is locked down, found by running the hosts under this filter and
// reading what was denied; every other call goes to the supervisor (SECCOMP_RET_USER_NOTIF), which
// logs it and answers EPERM.
namespace LinuxShim.Shim.Sandbox;

public sealed record SeccompPolicy
{
    // Filter return values (include/uapi/linux/seccomp.h).
    public const uint RetKillProcess = 0x80000000, RetErrno = 0x00050000, RetUserNotif = 0x7fc00000, RetAllow = 0x7fff0000;
    public const uint AuditArchX86_64 = 0xc000003e;
    public const uint X32SyscallBit = 0x40000000;

    // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6].
    public const uint OffsetNr = 0, OffsetArch = 4, OffsetIp = 8;
    public static uint ArgLow(int i) => 16 + 8 * (uint)i;
    public static uint ArgHigh(int i) => 16 + 8 * (uint)i + 4;

    public const uint CloneThread = 0x00010000, MapAnonymous = 0x20;
    public const int Eperm = 1, Enosys = 38;

    /// <summary>
    /// Allowed whatever their arguments: memory the process already owns, threads' synchronisation,
    /// signals to itself, time, and I/O on descriptors it already holds. None of them names a path or
    /// reaches another process.
    /// </summary>
    public static readonly IReadOnlyList<string> Unconditional =
    [
        // the hot ones first
        "futex", "read", "write", "mprotect", "madvise", "munmap", "sched_yield", "poll", "ppoll",
        "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl", "epoll_create1",
        "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
        "sendmsg", "recvmsg", "sendto", "recvfrom", "sendmmsg", "recvmmsg", "shutdown", "getsockopt",
        "getsockname", "getpeername",
        "close", "lseek", "fstat", "fcntl", "dup", "dup2", "dup3", "eventfd2", "pipe2",
        "mremap", "brk", "membarrier", "rseq", "set_robust_list", "set_tid_address",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait", "rt_sigsuspend", "rt_sigpending",
        "sigaltstack", "restart_syscall",
        "gettid", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid",
        "sched_getaffinity", "sched_getscheduler", "sched_getparam", "sched_get_priority_min",
        "sched_get_priority_max", "getcpu",
        "clock_gettime", "clock_getres", "clock_nanosleep", "gettimeofday", "time", "nanosleep",
        "getrandom", "getrlimit", "getrusage", "times", "sysinfo", "uname", "getcwd",
        "exit", "exit_group",
    ];

    /// <summary>prctl options allowed: naming the thread and reading process attributes.</summary>
    public static readonly IReadOnlyList<uint> PrctlOptions =
    [
        15, // PR_SET_NAME
        16, // PR_GET_NAME
        3, // PR_GET_DUMPABLE
        7, // PR_GET_KEEPCAPS
        21, // PR_GET_SECCOMP
        23, // PR_CAPBSET_READ
        30, // PR_GET_TIMERSLACK
        39, // PR_GET_NO_NEW_PRIVS
        0x53564d41, // PR_SET_VMA (glibc names anonymous mappings)
    ];

    /// <summary>
    /// ioctl requests allowed on any descriptor: none. Traced under the filter (strace -f after
    /// SECCOMP_SET_MODE_FILTER), neither the runtime nor the shim makes one once locked down, on a pipe
    /// or a terminal, fake or vfio-user device: the console asks TCGETS before (Sandbox preloads it).
    /// </summary>
    public static readonly IReadOnlyList<uint> Ioctls = [];

    /// <summary>The seccomp listener's own requests, allowed only when the host answers its notifications itself.</summary>
    public static readonly IReadOnlyList<uint> NotificationIoctls =
    [
        0xc0502100, // SECCOMP_IOCTL_NOTIF_RECV
        0xc0182101, // SECCOMP_IOCTL_NOTIF_SEND
        0x40082102, // SECCOMP_IOCTL_NOTIF_ID_VALID
    ];

    /// <summary>What a call outside the allow-list returns: RetUserNotif, or RetErrno|EPERM without a listener.</summary>
    public uint Deny { get; init; } = RetUserNotif;

    /// <summary>This process's id: tgkill, prlimit64 and process_vm_readv may name only it.</summary>
    public required int Pid { get; init; }

    /// <summary>Descriptors that may be mapped (mmap with a descriptor); anonymous mappings are always allowed.</summary>
    public IReadOnlyList<int> MappableDescriptors { get; init; } = [];

    /// <summary>Listening sockets accept/accept4 may take connections from.</summary>
    public IReadOnlyList<int> ListeningDescriptors { get; init; } = [];

    /// <summary>Allow the listener ioctls and reading this process's own memory (the host serves its own notifications).</summary>
    public bool ServeInProcess { get; init; }

    public BpfInstruction[] Compile()
    {
        var b = new BpfBuilder();
        // Only the x86-64 system-call ABI: a filter that read i386 or x32 numbers as x86-64 ones
        // would allow the wrong calls (seccomp_filter.rst, "Pitfalls").
        b.LoadWord(OffsetArch);
        ReturnUnless(b, BpfOp.JumpEqualK, AuditArchX86_64, RetKillProcess);
        b.LoadWord(OffsetNr);
        ReturnIf(b, BpfOp.JumpGreaterEqualK, X32SyscallBit, Deny);

        foreach (var name in Unconditional)
            ReturnIf(b, BpfOp.JumpEqualK, Nr(name), RetAllow);

        // glibc's pthread_create tries clone3 first and falls back to clone on ENOSYS; clone3 passes its
        // flags in memory, which a filter cannot read.
        ReturnIf(b, BpfOp.JumpEqualK, Nr("clone3"), RetErrno | Enosys);
        // clone: threads only, never a new process.
        Block(b, "clone", () =>
        {
            b.LoadWord(ArgLow(0));
            ReturnIf(b, BpfOp.JumpSetK, CloneThread, RetAllow);
            b.Return(Deny);
        });
        // mmap: anonymous memory, or a descriptor the host was given for mapping.
        Block(b, "mmap", () =>
        {
            b.LoadWord(ArgLow(3));
            ReturnIf(b, BpfOp.JumpSetK, MapAnonymous, RetAllow);
            b.LoadWord(ArgLow(4));
            foreach (int fd in MappableDescriptors)
                ReturnIf(b, BpfOp.JumpEqualK, (uint)fd, RetAllow);
            b.Return(Deny);
        });
        Block(b, "ioctl", () =>
        {
            b.LoadWord(ArgLow(1));
            foreach (uint request in ServeInProcess ? [.. Ioctls, .. NotificationIoctls] : Ioctls)
                ReturnIf(b, BpfOp.JumpEqualK, request, RetAllow);
            b.Return(Deny);
        });
        Block(b, "prctl", () =>
        {
            b.LoadWord(ArgLow(0));
            foreach (uint option in PrctlOptions)
                ReturnIf(b, BpfOp.JumpEqualK, option, RetAllow);
            b.Return(Deny);
        });
        // Signals only to this process's own threads.
        Block(b, "tgkill", () =>
        {
            b.LoadWord(ArgLow(0));
            ReturnIf(b, BpfOp.JumpEqualK, (uint)Pid, RetAllow);
            b.Return(Deny);
        });
        // Resource limits: read this process's own, never set.
        Block(b, "prlimit64", () =>
        {
            var self = b.NewLabel();
            b.LoadWord(ArgLow(0));
            b.Jump(BpfOp.JumpEqualK, 0, self, null);
            ReturnUnless(b, BpfOp.JumpEqualK, (uint)Pid, Deny);
            b.Mark(self);
            b.LoadWord(ArgLow(2));
            ReturnUnless(b, BpfOp.JumpEqualK, 0, Deny);
            b.LoadWord(ArgHigh(2));
            ReturnUnless(b, BpfOp.JumpEqualK, 0, Deny);
            b.Return(RetAllow);
        });
        // Affinity of the calling thread only (the runtime pins each new thread to the process's CPUs).
        Block(b, "sched_setaffinity", () =>
        {
            b.LoadWord(ArgLow(0));
            ReturnIf(b, BpfOp.JumpEqualK, 0, RetAllow);
            b.Return(Deny);
        });
        if (ListeningDescriptors.Count > 0)
        {
            foreach (var call in new[] { "accept", "accept4" })
                Block(b, call, () =>
                {
                    b.LoadWord(ArgLow(0));
                    foreach (int fd in ListeningDescriptors)
                        ReturnIf(b, BpfOp.JumpEqualK, (uint)fd, RetAllow);
                    b.Return(Deny);
                });
        }
        if (ServeInProcess)
        {
            // The in-process notification loop reads a denied call's path from this process's memory.
            Block(b, "process_vm_readv", () =>
            {
                b.LoadWord(ArgLow(0));
                ReturnIf(b, BpfOp.JumpEqualK, (uint)Pid, RetAllow);
                b.Return(Deny);
            });
        }
        b.Return(Deny);
        return b.Build();
    }

    /// <summary>The names of the calls some argument check may allow (for documentation and tests).</summary>
    public static IReadOnlyList<string> Conditional =>
    [
        "clone (CLONE_THREAD)", "clone3 (ENOSYS)", "mmap (anonymous or granted descriptor)",
        "ioctl (none; the listener's own requests when serving in-process)", "prctl (listed options)", "tgkill (own process)",
        "prlimit64 (own, read only)", "sched_setaffinity (calling thread)", "accept/accept4 (granted listening sockets)",
        "process_vm_readv (own process, in-process notifications only)",
    ];

    private static uint Nr(string name)
    {
        int nr = SyscallNames.Number(name);
        if (nr < 0)
            throw new InvalidOperationException($"unknown system call {name}");
        return (uint)nr;
    }

    /// <summary>A block of checks for one call; every path inside it returns, so A still holds the number after it.</summary>
    private static void Block(BpfBuilder b, string name, Action body)
    {
        var next = b.NewLabel();
        b.Jump(BpfOp.JumpEqualK, Nr(name), null, next);
        body();
        b.Mark(next);
    }

    private static void ReturnIf(BpfBuilder b, ushort condition, uint k, uint action)
    {
        var skip = b.NewLabel();
        b.Jump(condition, k, null, skip);
        b.Return(action);
        b.Mark(skip);
    }

    private static void ReturnUnless(BpfBuilder b, ushort condition, uint k, uint action)
    {
        var skip = b.NewLabel();
        b.Jump(condition, k, skip, null);
        b.Return(action);
        b.Mark(skip);
    }
}
