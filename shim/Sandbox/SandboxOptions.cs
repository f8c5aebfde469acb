// SPDX-License-Identifier: MIT
// Managed side. What Sandbox.LockDown is asked to do, and what it did.
using System.Reflection;

namespace LinuxShim.Shim.Sandbox;

public sealed record SandboxOptions
{
    /// <summary>Descriptors allowed above the highest one open at lock-down (RLIMIT_NOFILE = highest + 1 + this).</summary>
    public int DescriptorMargin { get; init; } = 32;

    /// <summary>RLIMIT_CPU in seconds; null leaves it.</summary>
    public ulong? CpuSeconds { get; init; }

    /// <summary>
    /// RLIMIT_NPROC; null leaves it. The kernel counts every task of the real user id, threads
    /// included, so set it only when the host runs as a user id of its own.
    /// </summary>
    public ulong? MaxProcesses { get; init; }

    /// <summary>Fail unless Landlock is enforced.</summary>
    public bool RequireLandlock { get; init; }

    /// <summary>Fail unless denials go to a listener (SECCOMP_RET_USER_NOTIF).</summary>
    public bool RequireNotifications { get; init; }

    /// <summary>Try unshare(CLONE_NEWUSER).</summary>
    public bool UserNamespace { get; init; } = true;

    /// <summary>Descriptors the host may still mmap (e.g. netif rings granted before lock-down).</summary>
    public IReadOnlyList<int> MappableDescriptors { get; init; } = [];

    /// <summary>Listening sockets the host may still accept connections on.</summary>
    public IReadOnlyList<int> ListeningDescriptors { get; init; } = [];

    /// <summary>
    /// With no supervisor to take the listener, this process answers its own notifications and reports
    /// each here (on a thread started before the filter). The filter then has to allow the listener's
    /// ioctls, so a driver could answer its own calls: for tests and manual runs only.
    /// </summary>
    public Action<SeccompNotification>? ReportInProcess { get; init; }

    /// <summary>
    /// Gives the listener to whoever answers it (a supervisor), called as soon as the filter is installed and
    /// before LockDown returns, with garbage collection held off until it returns. Until the listener has
    /// gone, a denied call waits for an answer nobody can give: a collection reads /proc files the filter
    /// denies (SeccompNotification.RuntimeProbe), and one started between the filter and the hand-over
    /// (forced, or on a loaded machine) stopped the host for good.
    /// </summary>
    public Action<SandboxResult>? HandOver { get; init; }

    /// <summary>Assemblies whose references are loaded before lock-down (LinuxShim.Shim's always are).</summary>
    public IReadOnlyList<Assembly> Preload { get; init; } = [];
}

public sealed record SandboxResult
{
    public required ulong DescriptorLimit { get; init; }
    public required bool CoreDumpsOff { get; init; }
    public ulong? CpuSeconds { get; init; }
    public ulong? MaxProcesses { get; init; }
    public required bool UserNamespace { get; init; }
    public string? UserNamespaceNote { get; init; }
    public required bool NoNewPrivileges { get; init; }

    /// <summary>The kernel's Landlock ABI (0: none).</summary>
    public required int LandlockAbi { get; init; }
    public required bool Landlock { get; init; }

    /// <summary>Landlock covers every thread (ABI ≥ 8); before, the locking thread and threads created after.</summary>
    public bool LandlockAllThreads { get; init; }
    public string? LandlockNote { get; init; }

    /// <summary>Instructions in the seccomp program.</summary>
    public required int FilterLength { get; init; }

    /// <summary>The seccomp listener (for SeccompNotifications), or -1 when denials return EPERM directly.</summary>
    public required int ListenerFd { get; init; }

    /// <summary>The in-process notification loop (with ReportInProcess); disposing it stops it and closes the listener.</summary>
    public SeccompNotifications? Notifications { get; init; }
    public string? NotificationsNote { get; init; }

    /// <summary>Descriptors the filter lets the host map (the runtime's W^X double mapping among them).</summary>
    public required IReadOnlyList<int> MappableDescriptors { get; init; }

    public required int AssembliesLoaded { get; init; }
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Whether garbage collection was held off while <see cref="SandboxOptions.HandOver"/> ran.</summary>
    public bool CollectionsHeldOff { get; init; }

    /// <summary>One line for logs.</summary>
    public override string ToString() =>
        $"nofile {DescriptorLimit}, core 0, user namespace {(UserNamespace ? "yes" : $"no ({UserNamespaceNote})")}, no_new_privs, " +
        $"landlock {(Landlock ? $"ABI {LandlockAbi}{(LandlockAllThreads ? "" : " (locking thread and its children)")}" : $"no ({LandlockNote})")}, " +
        $"seccomp {FilterLength} instructions, denials {(ListenerFd >= 0 ? $"to listener fd {ListenerFd}" : $"EPERM ({NotificationsNote})")}, " +
        $"mappable fds [{string.Join(',', MappableDescriptors)}], {AssembliesLoaded} assemblies preloaded, " +
        $"{(CollectionsHeldOff ? "no collection until the listener was handed over, " : "")}{Elapsed.TotalMilliseconds:F1} ms";
}
