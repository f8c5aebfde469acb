// SPDX-License-Identifier: MIT
// Tests of the seccomp allow-list as a BPF program, run in the test interpreter on synthetic
// seccomp_data: what is allowed, what goes to the listener, and the argument checks.
using LinuxShim.Shim.Sandbox;

namespace LinuxShim.Shim.Tests.Sandbox;

public sealed class SeccompPolicyTests
{
    private const int Pid = 4242;
    private const uint Allow = SeccompPolicy.RetAllow, Notify = SeccompPolicy.RetUserNotif;

    private static readonly SeccompPolicy Policy = new() { Pid = Pid, MappableDescriptors = [7] };
    private static readonly BpfInstruction[] Program = Policy.Compile();

    private static uint Run(string name, params ulong[] args) => BpfInterpreter.Run(Program, SyscallNames.Number(name), args);

    [Fact]
    public void EveryUnconditionalCallIsAllowedWhateverItsArguments()
    {
        foreach (var name in SeccompPolicy.Unconditional)
        {
            Assert.Equal(Allow, Run(name));
            Assert.Equal(Allow, Run(name, ulong.MaxValue, 1, 2, 3, 4, 5));
        }
    }

    [Theory]
    [InlineData("open")]
    [InlineData("openat")]
    [InlineData("openat2")]
    [InlineData("socket")]
    [InlineData("connect")]
    [InlineData("bind")]
    [InlineData("execve")]
    [InlineData("execveat")]
    [InlineData("ptrace")]
    [InlineData("kill")]
    [InlineData("setrlimit")]
    [InlineData("memfd_create")]
    [InlineData("unlink")]
    [InlineData("process_vm_writev")]
    [InlineData("seccomp")]
    [InlineData("bpf")]
    [InlineData("io_uring_setup")]
    public void WhatReachesOutsideGoesToTheListener(string name) => Assert.Equal(Notify, Run(name));

    [Fact]
    public void OtherArchitecturesAndX32NumbersAreNeverReadAsX86_64()
    {
        Assert.Equal(SeccompPolicy.RetKillProcess, BpfInterpreter.Run(Program, 0, arch: 0x40000003)); // AUDIT_ARCH_I386
        Assert.Equal(Notify, BpfInterpreter.Run(Program, (int)(SeccompPolicy.X32SyscallBit | 0))); // x32 read
    }

    [Fact]
    public void CloneMakesThreadsNotProcessesAndClone3FallsBack()
    {
        const ulong pthreadFlags = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
        Assert.Equal(Allow, Run("clone", pthreadFlags));
        Assert.Equal(Notify, Run("clone", 17)); // fork(): SIGCHLD
        Assert.Equal(Notify, Run("clone", 0x4111)); // vfork-like
        Assert.Equal(SeccompPolicy.RetErrno | 38, Run("clone3", 0x1000, 88)); // ENOSYS: glibc falls back to clone
        Assert.Equal(Notify, Run("fork"));
        Assert.Equal(Notify, Run("vfork"));
    }

    [Fact]
    public void MmapTakesAnonymousMemoryOrAGrantedDescriptorOnly()
    {
        Assert.Equal(Allow, Run("mmap", 0, 4096, 3, 0x22, ulong.MaxValue, 0)); // MAP_PRIVATE|MAP_ANONYMOUS, fd -1
        Assert.Equal(Allow, Run("mmap", 0, 4096, 3, 0x21, 0xffffffff, 0)); // MAP_SHARED|MAP_ANONYMOUS
        Assert.Equal(Allow, Run("mmap", 0, 4096, 1, 0x01, 7, 0)); // the granted descriptor
        Assert.Equal(Notify, Run("mmap", 0, 4096, 1, 0x01, 3, 0)); // MAP_SHARED of another
        Assert.Equal(Notify, Run("mmap", 0, 4096, 1, 0x02, 5, 0)); // MAP_PRIVATE of another
    }

    [Fact]
    public void IoctlPrctlSignalsAndLimitsAreCheckedByArgument()
    {
        Assert.Equal(Notify, Run("ioctl", 1, 0x5401)); // TCGETS: the console asks before lock-down
        Assert.Equal(Notify, Run("ioctl", 9, 0x541B)); // FIONREAD
        Assert.Equal(Notify, Run("ioctl", 0, 0x5412)); // TIOCSTI: typing into a terminal
        Assert.Equal(Notify, Run("ioctl", 5, 0xc0182101)); // SECCOMP_IOCTL_NOTIF_SEND: only when serving in-process
        Assert.Equal(Allow, Run("prctl", 15)); // PR_SET_NAME
        Assert.Equal(Notify, Run("prctl", 4, 1)); // PR_SET_DUMPABLE
        Assert.Equal(Notify, Run("prctl", 22, 2)); // PR_SET_SECCOMP
        Assert.Equal(Allow, Run("tgkill", Pid, 4300, 34));
        Assert.Equal(Notify, Run("tgkill", 1, 1, 9));
        Assert.Equal(Allow, Run("prlimit64", 0, 7, 0, 0x7ffc0000)); // read our own RLIMIT_NOFILE
        Assert.Equal(Allow, Run("prlimit64", Pid, 3, 0, 0x7ffc0000));
        Assert.Equal(Notify, Run("prlimit64", 0, 7, 0x7ffc0000, 0)); // set
        Assert.Equal(Notify, Run("prlimit64", 0, 7, 0x1_0000_0000, 0)); // set, pointer above 4 GiB
        Assert.Equal(Notify, Run("prlimit64", 1, 7, 0, 0x7ffc0000)); // someone else's
        Assert.Equal(Allow, Run("sched_setaffinity", 0, 8, 0x7ffc0000));
        Assert.Equal(Notify, Run("sched_setaffinity", 1, 8, 0x7ffc0000));
        Assert.Equal(Notify, Run("accept4", 3, 0, 0, 0)); // no listening socket granted
        Assert.Equal(Notify, Run("process_vm_readv", Pid)); // only when serving in-process
    }

    [Fact]
    public void ServingInProcessAllowsTheListenerRequestsAndGrantedSocketsAccept()
    {
        var program = (Policy with { ServeInProcess = true, ListeningDescriptors = [12] }).Compile();
        uint Run2(string name, params ulong[] args) => BpfInterpreter.Run(program, SyscallNames.Number(name), args);
        Assert.Equal(Allow, Run2("ioctl", 5, 0xc0502100));
        Assert.Equal(Allow, Run2("ioctl", 5, 0xc0182101));
        Assert.Equal(Allow, Run2("ioctl", 5, 0x40082102));
        Assert.Equal(Notify, Run2("ioctl", 5, 0xc0182103)); // SECCOMP_IOCTL_NOTIF_ADDFD: never
        Assert.Equal(Allow, Run2("process_vm_readv", Pid));
        Assert.Equal(Notify, Run2("process_vm_readv", 1));
        Assert.Equal(Allow, Run2("accept4", 12, 0, 0, 0x80000));
        Assert.Equal(Allow, Run2("accept", 12));
        Assert.Equal(Notify, Run2("accept4", 13));
    }

    [Fact]
    public void WithoutAListenerDeniedCallsFailWithEperm()
    {
        var program = (Policy with { Deny = SeccompPolicy.RetErrno | SeccompPolicy.Eperm }).Compile();
        Assert.Equal(SeccompPolicy.RetErrno | 1, BpfInterpreter.Run(program, SyscallNames.Number("openat")));
        Assert.Equal(SeccompPolicy.RetErrno | 1, BpfInterpreter.Run(program, SyscallNames.Number("clone"), [17]));
        Assert.Equal(Allow, BpfInterpreter.Run(program, SyscallNames.Number("futex")));
    }

    [Fact]
    public void EveryNumberTheKernelKnowsEndsInADecision()
    {
        var actions = new HashSet<uint> { Allow, Notify, SeccompPolicy.RetErrno | 38 };
        for (int nr = 0; nr < 600; nr++)
            Assert.Contains(BpfInterpreter.Run(Program, nr, [0, 0, 0, 0, 0, 0]), actions);
        Assert.True(Program.Length < 4096);
    }

    [Fact]
    public void BuilderRefusesJumpsClassicBpfCannotEncode()
    {
        var b = new BpfBuilder();
        var far = b.NewLabel();
        b.Jump(BpfOp.JumpEqualK, 1, far, null);
        for (int i = 0; i < 300; i++)
            b.Return(0);
        b.Mark(far);
        b.Return(0);
        Assert.Throws<InvalidOperationException>(() => b.Build());
        var unplaced = new BpfBuilder();
        unplaced.Jump(BpfOp.JumpEqualK, 1, unplaced.NewLabel(), null);
        Assert.Throws<InvalidOperationException>(() => unplaced.Build());
    }

    [Fact]
    public void SyscallNamesAndDenialText()
    {
        Assert.Equal("open", SyscallNames.Name(2));
        Assert.Equal(257, SyscallNames.Number("openat"));
        Assert.Equal("syscall_999", SyscallNames.Name(999));
        var n = new SeccompNotification(1, 257, 0x7f00, [0xffffffffffffff9c, 0x5000, 0, 0, 0, 0], "/etc/passwd");
        Assert.Equal("openat(0xffffffffffffff9c, \"/etc/passwd\") at 0x7f00", n.ToString());
        Assert.False(n.RuntimeProbe);
        Assert.True((n with { Path = "/proc/self/task/77/comm" }).RuntimeProbe);
        Assert.True((n with { Path = "/sys/devices/system/cpu/possible" }).RuntimeProbe);
        Assert.False((n with { Path = "/proc/self/task/77/mem" }).RuntimeProbe);
        // The GC's reads of the memory in use (under allocation pressure, at every collection), exactly these.
        Assert.True((n with { Path = "/proc/self/statm" }).RuntimeProbe);
        Assert.True((n with { Path = "/proc/meminfo" }).RuntimeProbe);
        Assert.True((n with { Path = "/sys/fs/cgroup/system.slice/linuxshim-e1000/memory.current" }).RuntimeProbe);
        Assert.True((n with { Path = "/sys/fs/cgroup/memory/linuxshim/memory.usage_in_bytes" }).RuntimeProbe);
        Assert.False((n with { Path = "/proc/self/status" }).RuntimeProbe);
        Assert.False((n with { Path = "/sys/fs/cgroup/../../etc/memory.stat" }).RuntimeProbe);
        Assert.False((n with { Path = "/sys/fs/cgroup/x/cgroup.procs" }).RuntimeProbe);
        Assert.Equal("socket(0x2, 0x1)", new SeccompNotification(1, 41, 0, [2, 1, 0, 0, 0, 0], null).Call);
    }

    [Fact]
    public void LandlockHandlesEveryRightOfEachAbi()
    {
        Assert.Equal(0UL, Landlock.FilesystemRights(0));
        Assert.Equal(0x1fffUL, Landlock.FilesystemRights(1)); // EXECUTE .. MAKE_SYM
        Assert.Equal(0x3fffUL, Landlock.FilesystemRights(2)); // + REFER
        Assert.Equal(0x7fffUL, Landlock.FilesystemRights(4)); // + TRUNCATE
        Assert.Equal(0xffffUL, Landlock.FilesystemRights(7)); // + IOCTL_DEV
        Assert.Equal(0UL, Landlock.NetworkRights(3));
        Assert.Equal(3UL, Landlock.NetworkRights(4)); // BIND_TCP | CONNECT_TCP
        Assert.Equal(3UL, Landlock.Scopes(6));
    }
}
