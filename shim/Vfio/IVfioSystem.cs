// SPDX-License-Identifier: MIT
// Managed side. The system calls the kernel-VFIO backend makes (open, ioctl, pread/pwrite on
// /dev/vfio descriptors), behind an interface so a fake kernel can stand in for tests.
using LinuxShim.Posix;

namespace LinuxShim.Shim.Vfio;

public interface IVfioSystem
{
    /// <summary>Opens a file read-write (close-on-exec); throws <see cref="PosixException"/> on failure.</summary>
    int Open(string path);

    void Close(int fd);

    /// <summary>ioctl with a pointer (or integer) argument; the non-negative result, or throws.</summary>
    int Ioctl(int fd, ulong request, nint argument);

    /// <summary>Reads at a file offset; the byte count, or throws.</summary>
    int PRead(int fd, Span<byte> buffer, long offset);

    /// <summary>Writes at a file offset; the byte count, or throws.</summary>
    int PWrite(int fd, ReadOnlySpan<byte> buffer, long offset);
}

/// <summary>The real thing: libc on Linux.</summary>
public sealed unsafe class LinuxVfioSystem : IVfioSystem
{
    public static LinuxVfioSystem Instance { get; } = new();

    public int Open(string path) => (int)Libc.Check(Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC, 0), $"open {path}");

    public void Close(int fd) => Libc.Close(fd);

    public int Ioctl(int fd, ulong request, nint argument) =>
        (int)Libc.Check(Libc.Ioctl(fd, request, argument), $"ioctl 0x{request:x}");

    public int PRead(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
            return (int)Libc.Check(Libc.PRead(fd, p, (nuint)buffer.Length, offset), "pread");
    }

    public int PWrite(int fd, ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
            return (int)Libc.Check(Libc.PWrite(fd, p, (nuint)buffer.Length, offset), "pwrite");
    }
}
