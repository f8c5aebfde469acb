// SPDX-License-Identifier: MIT
// Managed side. The DMA windows a vfio-user client granted (VFIO_USER_DMA_MAP): each one either the
// client's memfd mapped here, so device models read and write the client's memory directly, or (no
// descriptor) reached through VFIO_USER_DMA_READ/WRITE messages to the client. A reader/writer lock
// makes an unmap wait for DMA in flight, as the specification requires.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Devices.VfioUser;

internal sealed class DmaMappings : IDisposable
{
    /// <summary>Page size the server accepts for DMA windows (the "pgsizes" capability).</summary>
    public const ulong PageSize = 4096;

    public const int MaxMappings = 1024;

    private readonly ReaderWriterLockSlim rw = new();
    private readonly List<Window> windows = [];
    private int messageWindows;

    // Memory null: the window has no descriptor; its bytes travel as DMA_READ/DMA_WRITE messages.
    private sealed record Window(ulong Iova, ulong Size, bool Writable, SharedMemory? Memory);

    /// <summary>Message DMA for windows without a descriptor: (address, buffer) → done; set by the session that owns them.</summary>
    public Func<ulong, Memory<byte>, bool>? RemoteRead { get; set; }

    public Func<ulong, ReadOnlyMemory<byte>, bool>? RemoteWrite { get; set; }

    /// <summary>A device that must hear of every window (its DMA happens elsewhere); set once by the server.</summary>
    public IDmaWindowObserver? Observer { get; set; }

    /// <summary>
    /// True while a window without a descriptor is mapped: DMA there waits for the client's reply, so whoever
    /// reads the client's messages must not be the thread that runs the device model.
    /// </summary>
    public bool HasMessageWindows => Volatile.Read(ref messageWindows) > 0;

    public int Count
    {
        get
        {
            rw.EnterReadLock();
            try { return windows.Count; }
            finally { rw.ExitReadLock(); }
        }
    }

    /// <summary>
    /// Maps window [iova, iova+size) from <paramref name="fileOffset"/> of <paramref name="fd"/> (not taken
    /// over), or, with fd -1, a window reached by messages. 0 or an errno; <paramref name="why"/> says why not.
    /// </summary>
    public int Map(ulong iova, ulong size, int fd, long fileOffset, bool writable, out string? why)
    {
        why = null;
        if (size == 0 || iova + size < iova || iova % PageSize != 0 || size % PageSize != 0
            || fileOffset < 0 || (ulong)fileOffset % PageSize != 0 || size > long.MaxValue)
        {
            why = $"window 0x{iova:x}+0x{size:x} at file offset 0x{fileOffset:x} is not page-aligned or wraps";
            return Errno.EINVAL;
        }
        rw.EnterWriteLock();
        try
        {
            if (windows.Count >= MaxMappings)
            {
                why = $"already {MaxMappings} windows (max_dma_maps)";
                return Errno.ENOSPC;
            }
            foreach (var w in windows)
            {
                if (iova < w.Iova + w.Size && w.Iova < iova + size)
                {
                    why = $"window 0x{iova:x}+0x{size:x} overlaps 0x{w.Iova:x}+0x{w.Size:x}";
                    return Errno.EEXIST;
                }
            }
            SharedMemory? memory = null;
            if (fd >= 0)
            {
                int errno = CheckSealed(fd, (ulong)fileOffset + size, out why);
                if (errno != 0)
                    return errno;
                memory = SharedMemory.TryMap(fd, fileOffset, (long)size, writable, out var mapError);
                if (memory is null)
                {
                    why = $"mmap of the window failed (errno {mapError.Value})";
                    return mapError;
                }
            }
            if (Observer is { } observer)
            {
                int refused = observer.Mapping(iova, size, fd, fileOffset, writable, out why);
                if (refused != 0)
                {
                    memory?.Dispose();
                    return refused;
                }
            }
            windows.Add(new Window(iova, size, writable, memory));
            if (memory is null)
                messageWindows++;
            return 0;
        }
        finally
        {
            rw.ExitWriteLock();
        }
    }

    // A mapped window past the end of its file faults (SIGBUS) on the first DMA there, so only memory
    // that can never shrink is mapped: a memfd its owner sealed with F_SEAL_SHRINK, long enough now.
    // The server adds no seal of its own: seals cannot be removed, and the memory is the client's.
    private static int CheckSealed(int fd, ulong end, out string? why)
    {
        why = null;
        int seals = Libc.Fcntl(fd, Libc.F_GET_SEALS, 0);
        if (seals < 0)
        {
            why = "the descriptor is not a memfd (F_GET_SEALS fails): only sealed memfds are mapped";
            return Errno.EINVAL;
        }
        if ((seals & Libc.F_SEAL_SHRINK) == 0)
        {
            why = "the memfd is not sealed against shrinking: add F_SEAL_SHRINK (memfd_create with MFD_ALLOW_SEALING, then fcntl F_ADD_SEALS)";
            return Errno.EINVAL;
        }
        // fstat, not lseek: the descriptor shares the client's open file, whose position is the client's.
        long fileSize;
        try
        {
            fileSize = RandomAccess.GetLength(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            fileSize = -1;
        }
        if (fileSize < 0 || end > (ulong)fileSize)
        {
            why = $"the window ends at 0x{end:x}, past the memfd's 0x{fileSize:x} bytes";
            return Errno.EINVAL;
        }
        return 0;
    }

    /// <summary>Removes every window (VFIO_DMA_UNMAP_FLAG_ALL).</summary>
    public void UnmapAll() => Clear();

    /// <summary>Removes the window that is exactly [iova, iova+size); 0 or an errno.</summary>
    public int Unmap(ulong iova, ulong size)
    {
        rw.EnterWriteLock();
        try
        {
            int i = windows.FindIndex(w => w.Iova == iova && w.Size == size);
            if (i < 0)
                return Errno.ENOENT;
            if (windows[i].Memory is null)
                messageWindows--;
            windows[i].Memory?.Dispose();
            windows.RemoveAt(i);
            Observer?.Unmapped(iova, size);
            return 0;
        }
        finally
        {
            rw.ExitWriteLock();
        }
    }

    public void Clear()
    {
        rw.EnterWriteLock();
        try
        {
            foreach (var w in windows)
                w.Memory?.Dispose();
            windows.Clear();
            messageWindows = 0;
            Observer?.Cleared();
        }
        finally
        {
            rw.ExitWriteLock();
        }
    }

    public unsafe bool Read(ulong address, Span<byte> data)
    {
        rw.EnterReadLock();
        try
        {
            var w = Find(address, data.Length, write: false);
            if (w is null)
                return false;
            if (w.Memory is null)
            {
                byte[] buffer = new byte[data.Length];
                if (RemoteRead?.Invoke(address, buffer) != true)
                    return false;
                buffer.CopyTo(data);
                return true;
            }
            new ReadOnlySpan<byte>((byte*)w.Memory.Address + (long)(address - w.Iova), data.Length).CopyTo(data);
            return true;
        }
        finally
        {
            rw.ExitReadLock();
        }
    }

    public unsafe bool Write(ulong address, ReadOnlySpan<byte> data)
    {
        rw.EnterReadLock();
        try
        {
            var w = Find(address, data.Length, write: true);
            if (w is null)
                return false;
            if (w.Memory is null)
            {
                byte[] copy = data.ToArray();
                return RemoteWrite?.Invoke(address, copy) ?? false;
            }
            data.CopyTo(new Span<byte>((byte*)w.Memory.Address + (long)(address - w.Iova), data.Length));
            return true;
        }
        finally
        {
            rw.ExitReadLock();
        }
    }

    /// <summary>The window that holds all of [address, address+length) with the access allowed, or null.</summary>
    private Window? Find(ulong address, int length, bool write)
    {
        foreach (var w in windows)
        {
            if (address < w.Iova || address - w.Iova >= w.Size)
                continue;
            ulong offset = address - w.Iova;
            if ((ulong)length > w.Size - offset || (write && !w.Writable))
                return null;
            return w;
        }
        return null;
    }

    public void Dispose()
    {
        Clear();
        rw.Dispose();
    }
}
