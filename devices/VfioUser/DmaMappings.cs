// SPDX-License-Identifier: MIT
// Managed side. The DMA windows a vfio-user client granted (VFIO_USER_DMA_MAP): each one the client's
// file mapped here, so device models read and write the client's memory directly. A reader/writer
// lock makes an unmap wait for DMA in flight, as the specification requires.
using LinuxShim.Shim.Vfio;
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Devices.VfioUser;

internal sealed class DmaMappings : IDisposable
{
    /// <summary>Page size the server accepts for DMA windows (the "pgsizes" capability).</summary>
    public const ulong PageSize = 4096;

    public const int MaxMappings = 1024;

    private readonly ReaderWriterLockSlim rw = new();
    private readonly List<Window> windows = [];

    private sealed record Window(ulong Iova, ulong Size, bool Writable, SharedMemory Memory);

    public int Count
    {
        get
        {
            rw.EnterReadLock();
            try { return windows.Count; }
            finally { rw.ExitReadLock(); }
        }
    }

    /// <summary>Maps <paramref name="fd"/> (not taken over) as window [iova, iova+size); 0 or an errno.</summary>
    public int Map(ulong iova, ulong size, int fd, long fileOffset, bool writable)
    {
        if (size == 0 || iova + size < iova || iova % PageSize != 0 || size % PageSize != 0
            || fileOffset < 0 || (ulong)fileOffset % PageSize != 0 || size > long.MaxValue)
            return Libc.EINVAL;
        rw.EnterWriteLock();
        try
        {
            if (windows.Count >= MaxMappings)
                return Libc.ENOSPC;
            foreach (var w in windows)
            {
                if (iova < w.Iova + w.Size && w.Iova < iova + size)
                    return Libc.EEXIST;
            }
            // A window past the end of the file would fault (SIGBUS) on the first DMA there, so the
            // file must be long enough now and, where it allows sealing, may never shrink again.
            long fileSize = Libc.LSeek(fd, 0, Libc.SEEK_END);
            if (fileSize < 0 || (ulong)fileOffset + size > (ulong)fileSize)
                return Libc.EINVAL;
            Libc.Fcntl(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK);
            var memory = SharedMemory.TryMap(fd, fileOffset, (long)size, writable, out int errno);
            if (memory is null)
                return errno;
            windows.Add(new Window(iova, size, writable, memory));
            return 0;
        }
        finally
        {
            rw.ExitWriteLock();
        }
    }

    /// <summary>Removes the window that is exactly [iova, iova+size); 0 or an errno.</summary>
    public int Unmap(ulong iova, ulong size)
    {
        rw.EnterWriteLock();
        try
        {
            int i = windows.FindIndex(w => w.Iova == iova && w.Size == size);
            if (i < 0)
                return Libc.ENOENT;
            windows[i].Memory.Dispose();
            windows.RemoveAt(i);
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
                w.Memory.Dispose();
            windows.Clear();
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
            byte* p = Find(address, data.Length, write: false);
            if (p == null)
                return false;
            new ReadOnlySpan<byte>(p, data.Length).CopyTo(data);
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
            byte* p = Find(address, data.Length, write: true);
            if (p == null)
                return false;
            data.CopyTo(new Span<byte>(p, data.Length));
            return true;
        }
        finally
        {
            rw.ExitReadLock();
        }
    }

    /// <summary>Where [address, address+length) lies in this process, if one window holds all of it.</summary>
    private unsafe byte* Find(ulong address, int length, bool write)
    {
        foreach (var w in windows)
        {
            if (address < w.Iova || address - w.Iova >= w.Size)
                continue;
            ulong offset = address - w.Iova;
            if ((ulong)length > w.Size - offset || (write && !w.Writable))
                return null;
            return (byte*)w.Memory.Address + (long)offset;
        }
        return null;
    }

    public void Dispose()
    {
        Clear();
        rw.Dispose();
    }
}
