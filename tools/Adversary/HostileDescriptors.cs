// SPDX-License-Identifier: MIT
// Managed side. The descriptors a hostile client passes to a device server in place of the ones it
// should: memfds without seals, regular files, pipes, sockets, blocking eventfds whose counter is
// preset to its maximum (a write to them would block), and well-formed sealed memfds and eventfds.
using System.Runtime.InteropServices;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Tools.Adversary;

internal sealed unsafe partial class HostileDescriptors : IDisposable
{
    private const int MfdCloexec = 1, MfdAllowSealing = 2, FAddSeals = 1033, FSealShrink = 2;

    private readonly List<int> owned = [];

    public HostileDescriptors()
    {
        Sealed = SharedMemory.Create("attack-sealed", 1 << 20);
        Unsealed = Own(MemfdCreate("attack-unsealed", MfdCloexec));
        Ftruncate(Unsealed, 1 << 20);
        Shrinkable = Own(MemfdCreate("attack-shrinkable", MfdCloexec | MfdAllowSealing));
        Ftruncate(Shrinkable, 1 << 20);
        string path = Path.Combine(Path.GetTempPath(), $"linuxshim-attack-{Environment.ProcessId}");
        RegularFile = Own(Open(path, 0x42 /* O_RDWR|O_CREAT */, 0x180));
        Ftruncate(RegularFile, 1 << 20);
        File.Delete(path);
        int* p = stackalloc int[2];
        Pipe(p);
        PipeRead = Own(p[0]);
        PipeWrite = Own(p[1]);
        var (a, b) = UnixSocket.CreatePair();
        SocketA = a;
        SocketB = b;
        Good = new EventFd();
        Saturated = Own(EventFdCreate(0, 0));
        ulong max = 0xFFFF_FFFF_FFFF_FFFE;
        Write(Saturated, &max, 8);
    }

    /// <summary>A memfd sealed against resizing: what a correct client sends.</summary>
    public SharedMemory Sealed { get; }

    public int Unsealed { get; }

    /// <summary>A memfd that allows sealing but carries no seal (the server must not add one).</summary>
    public int Shrinkable { get; }

    public int RegularFile { get; }

    public int PipeRead { get; }

    public int PipeWrite { get; }

    public UnixSocket SocketA { get; }

    public UnixSocket SocketB { get; }

    public EventFd Good { get; }

    /// <summary>A blocking eventfd at 0xfffffffffffffffe: one more write would block.</summary>
    public int Saturated { get; }

    /// <summary>Every kind, to pick from at random.</summary>
    public int[] All => [Sealed.Handle, Unsealed, Shrinkable, RegularFile, PipeRead, PipeWrite, SocketA.Handle, Good.Handle, Saturated];

    /// <summary>The seals on <paramref name="fd"/> now (F_GET_SEALS), to show the server added none.</summary>
    public static int Seals(int fd) => Fcntl(fd, 1034, 0);

    /// <summary>Makes the shrinkable memfd as small as one page (after it was mapped by the server).</summary>
    public void Shrink() => Ftruncate(Shrinkable, 4096);

    private int Own(int fd)
    {
        if (fd < 0)
            throw new IOException($"could not create an attack descriptor (errno {Marshal.GetLastPInvokeError()})");
        owned.Add(fd);
        return fd;
    }

    public void Dispose()
    {
        foreach (int fd in owned)
            Close(fd);
        Sealed.Dispose();
        SocketA.Dispose();
        SocketB.Dispose();
        Good.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    private static void Pipe(int* fds)
    {
        if (Pipe2(fds, 0x80000) < 0)
            throw new IOException($"pipe2 failed (errno {Marshal.GetLastPInvokeError()})");
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFdCreate(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
