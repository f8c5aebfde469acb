// SPDX-License-Identifier: MIT
// Managed side. The libc calls that start, signal and reap other processes (QEMU's device server): posix_spawn with exactly
// the descriptors it is given (everything else this process opens is close-on-exec), pipe2, waitpid.
using System.Runtime.InteropServices;

namespace LinuxShim.Posix;

public static unsafe partial class Libc
{
    /// <summary>glibc's sigset_t: 1024 bits.</summary>
    public const int SigSetSize = 128;

    /// <summary>Bytes reserved for glibc's posix_spawn_file_actions_t (80 on x86-64) and posix_spawnattr_t (336).</summary>
    public const int FileActionsSize = 128, AttributesSize = 512;

    public const short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;

    [LibraryImport(Lib, EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int FileActionsInit(void* actions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int FileActionsAddDup2(void* actions, int fd, int newFd);

    /// <summary>glibc 2.34+: close every descriptor from <paramref name="from"/> up in the child (inherited ones without close-on-exec too).</summary>
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    public static partial int FileActionsAddCloseFrom(void* actions, int from);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int FileActionsDestroy(void* actions);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    public static partial int AttributesInit(void* attributes);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int AttributesSetFlags(void* attributes, short flags);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int AttributesSetSigMask(void* attributes, void* mask);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int AttributesSetSigDefault(void* attributes, void* signals);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int AttributesDestroy(void* attributes);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Lib, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>_exit(2): ends the process at once, running no exit handlers.</summary>
    [LibraryImport(Lib, EntryPoint = "_exit")]
    public static partial void Exit(int status);

    [LibraryImport(Lib, EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int fd);

    public const int SIGKILL = 9, SIGTERM = 15, WNOHANG = 1;
}
