// SPDX-License-Identifier: MIT
// Managed side. Memory that two processes share through a file descriptor: a memfd the driver host
// creates for DMA, or such a descriptor mapped by the device server (VFIO_USER_DMA_MAP).
namespace LinuxShim.Posix;

public sealed unsafe class SharedMemory : IDisposable
{
    private nint address;
    private readonly MemoryFileDescriptor? fd;

    private SharedMemory(nint address, long size, MemoryFileDescriptor? fd)
    {
        this.address = address;
        Size = size;
        this.fd = fd;
    }

    /// <summary>Where the memory is mapped in this process.</summary>
    public nint Address => address != 0 ? address : throw new ObjectDisposedException(nameof(SharedMemory));

    public long Size { get; }

    /// <summary>The memfd behind the mapping (-1 for a mapping made from a descriptor owned elsewhere); ObjectDisposedException once closed.</summary>
    public int Handle => fd?.Number ?? -1;

    /// <summary>The memfd itself (null for a mapping made from a descriptor owned elsewhere).</summary>
    public MemoryFileDescriptor? Descriptor => fd;

    /// <summary>
    /// A new memfd of <paramref name="size"/> bytes (zeroed), mapped read-write, sealed so that its size
    /// never changes again (F_SEAL_SHRINK and F_SEAL_GROW).
    /// </summary>
    public static SharedMemory Create(string name, long size)
    {
        if (size <= 0)
            throw new ArgumentOutOfRangeException(nameof(size));
        var descriptor = new MemoryFileDescriptor((int)Libc.Check(Libc.MemfdCreate(name, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING), "memfd_create"));
        int f = descriptor.Number;
        try
        {
            Libc.Check(Libc.Ftruncate(f, size), "ftruncate");
            // Sealed against resizing: a device server maps it for DMA only when it can never shrink
            // under that mapping (a shrunk file would fault the server). The seal is this side's to set.
            Libc.Check(Libc.Fcntl(f, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW), "fcntl F_ADD_SEALS");
            return new SharedMemory(MapOrThrow(f, 0, size, writable: true), size, descriptor);
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>Maps <paramref name="size"/> bytes of <paramref name="handle"/> from <paramref name="offset"/>; the descriptor stays the caller's.</summary>
    public static SharedMemory Map(int handle, long offset, long size, bool writable) =>
        new(MapOrThrow(handle, offset, size, writable), size, null);

    /// <summary>Like <see cref="Map"/>, but the errno instead of an exception.</summary>
    public static SharedMemory? TryMap(int handle, long offset, long size, bool writable, out Errno errno)
    {
        nint p = MapRaw(handle, offset, size, writable, out errno);
        return p == 0 ? null : new SharedMemory(p, size, null);
    }

    public Span<byte> AsSpan(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Size)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{offset}+{length} outside {Size} bytes");
        return new Span<byte>((byte*)Address + offset, length);
    }

    private static nint MapOrThrow(int handle, long offset, long size, bool writable)
    {
        nint p = MapRaw(handle, offset, size, writable, out var errno);
        return p != 0 ? p : throw errno.ToException("mmap");
    }

    private static nint MapRaw(int handle, long offset, long size, bool writable, out Errno errno)
    {
        errno = default;
        if (size <= 0 || offset < 0)
        {
            errno = Errno.EINVAL;
            return 0;
        }
        nint p = Libc.Mmap(0, (nuint)size, Libc.PROT_READ | (writable ? Libc.PROT_WRITE : 0), Libc.MAP_SHARED, handle, offset);
        if (p == -1)
        {
            errno = Errno.Last;
            return 0;
        }
        return p;
    }

    public void Dispose()
    {
        nint p = Interlocked.Exchange(ref address, 0);
        if (p != 0)
            Libc.Munmap(p, (nuint)Size);
        fd?.Dispose();
    }
}
