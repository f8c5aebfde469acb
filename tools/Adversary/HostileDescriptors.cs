// SPDX-License-Identifier: MIT
// Managed side. The descriptors a hostile client passes to a device server in place of the ones it
// should: memfds without seals, regular files, pipes, sockets, blocking eventfds whose counter is
// preset to its maximum (a write to them would block), and well-formed sealed memfds and eventfds.
using LinuxShim.Posix;

namespace LinuxShim.Tools.Adversary;

internal sealed unsafe class HostileDescriptors : IDisposable
{
    private readonly List<int> owned = [];

    public HostileDescriptors()
    {
        Sealed = SharedMemory.Create("attack-sealed", 1 << 20);
        Unsealed = Own(Libc.MemfdCreate("attack-unsealed", Libc.MFD_CLOEXEC));
        Libc.Ftruncate(Unsealed, 1 << 20);
        Shrinkable = Own(Libc.MemfdCreate("attack-shrinkable", Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING));
        Libc.Ftruncate(Shrinkable, 1 << 20);
        string path = Path.Combine(Path.GetTempPath(), $"linuxshim-attack-{Environment.ProcessId}");
        RegularFile = Own(Libc.Open(path, 0x42 /* O_RDWR|O_CREAT */, 0x180));
        Libc.Ftruncate(RegularFile, 1 << 20);
        File.Delete(path);
        int* p = stackalloc int[2];
        Pipe(p);
        PipeRead = Own(p[0]);
        PipeWrite = Own(p[1]);
        var (a, b) = UnixSocket.CreatePair();
        SocketA = a;
        SocketB = b;
        Good = new EventFd();
        Saturated = Own(Libc.EventFd(0, 0));
        ulong max = 0xFFFF_FFFF_FFFF_FFFE;
        Libc.Write(Saturated, &max, 8);
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
    public static int Seals(int fd) => Libc.Fcntl(fd, Libc.F_GET_SEALS, 0);

    /// <summary>Makes the shrinkable memfd as small as one page (after it was mapped by the server).</summary>
    public void Shrink() => Libc.Ftruncate(Shrinkable, 4096);

    private int Own(int fd)
    {
        if (fd < 0)
            throw new IOException($"could not create an attack descriptor (errno {Errno.Last.Value})");
        owned.Add(fd);
        return fd;
    }

    public void Dispose()
    {
        foreach (int fd in owned)
            Libc.Close(fd);
        Sealed.Dispose();
        SocketA.Dispose();
        SocketB.Dispose();
        Good.Dispose();
    }

    private static void Pipe(int* fds)
    {
        if (Libc.Pipe2(fds, Libc.O_CLOEXEC) < 0)
            throw new IOException($"pipe2 failed (errno {Errno.Last.Value})");
    }
}
