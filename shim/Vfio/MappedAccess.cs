// SPDX-License-Identifier: MIT
// Managed side. The registers a vfio-user client reaches without a message: pages of a BAR the server
// lets it map (VFIO_REGION_INFO_CAP_SPARSE_MMAP), read and written with plain loads and stores, and
// doorbells (VFIO_USER_DEVICE_GET_REGION_IO_FDS, libvfio-user's shadow ioeventfds): the value goes to the
// server's shadow memory and its eventfd is signalled, no message and no wait. What the server passes is
// checked as anything else from it is: memory only from a memfd sealed against shrinking and large enough
// (a shrinking file would fault this process on a later access), areas page-aligned inside the BAR,
// doorbells naturally aligned inside it, eventfds that are eventfds. Anything else is not used (the
// register stays reachable by messages) and said in Notes.
using System.Buffers.Binary;
using LinuxShim.Posix;
using LinuxShim.VfioUser;

namespace LinuxShim.Shim.Vfio;

internal sealed unsafe class MappedAccess : IDisposable
{
    private const ulong Page = 4096;

    private readonly List<Area> areas = [];
    private readonly List<Doorbell> doorbells = [];
    private readonly List<SharedMemory> mappings = [];
    private readonly List<string> notes = [];

    private readonly record struct Area(int Bar, ulong Offset, ulong Size, nint Address);

    private sealed record Doorbell(int Bar, ulong Offset, int Size, EventFd Event, nint Shadow);

    /// <summary>What the server offered that was not taken, and why.</summary>
    public IReadOnlyList<string> Notes => notes;

    public int AreaCount => areas.Count;

    public int DoorbellCount => doorbells.Count;

    /// <summary>Whether any register of <paramref name="bar"/> is reached without a message.</summary>
    public bool Any => areas.Count + doorbells.Count > 0;

    /// <summary>
    /// Takes the mappable areas (the sparse mmap capability's, else the whole BAR) of a GET_REGION_INFO reply (<paramref name="info"/>, the whole payload) for
    /// BAR <paramref name="bar"/> of <paramref name="barSize"/> bytes, mapped from <paramref name="fds"/> (closed here).
    /// </summary>
    public void AddAreas(int bar, ulong barSize, ReadOnlySpan<byte> info, List<int> fds)
    {
        try
        {
            if (fds.Count != 1)
            {
                notes.Add($"BAR {bar}: mappable, but the reply carried {fds.Count} descriptors, not 1");
                return;
            }
            if (!VfioUserRegionInfo.TryDecode(info, 1, out var r, out _, out string? why))
            {
                notes.Add($"BAR {bar}: {why}");
                return;
            }
            // Without the sparse mmap capability the whole region is mappable (VFIO_REGION_INFO_FLAG_MMAP alone).
            var found = (r.Flags & VfioAbi.RegionInfoFlagCaps) == 0 || r.CapOffset == 0
                ? [(0ul, barSize)]
                : SparseAreas(info, r.CapOffset, out why);
            if (found is null)
            {
                notes.Add($"BAR {bar}: {why}");
                return;
            }
            if (found.Count == 0)
            {
                notes.Add($"BAR {bar}: the sparse mmap capability names no area");
                return;
            }
            foreach (var (offset, size) in found)
            {
                if (offset % Page != 0 || size % Page != 0 || size == 0 || offset >= barSize || size > barSize - offset)
                {
                    notes.Add($"BAR {bar}: area 0x{offset:x}+0x{size:x} is not whole pages inside the BAR's 0x{barSize:x} bytes");
                    return;
                }
            }
            ulong end = found.Max(a => a.Offset + a.Size);
            if (!SealedMemory(fds[0], r.Offset + end, out why))
            {
                notes.Add($"BAR {bar}: {why}");
                return;
            }
            foreach (var (offset, size) in found)
            {
                var m = SharedMemory.Map(fds[0], (long)(r.Offset + offset), (long)size, writable: true);
                mappings.Add(m);
                areas.Add(new Area(bar, offset, size, m.Address));
            }
        }
        finally
        {
            VfioUserConnection.CloseFds(fds);
        }
    }

    // The areas of the sparse mmap capability in the chain that starts at capOffset (relative to the info).
    private static List<(ulong Offset, ulong Size)>? SparseAreas(ReadOnlySpan<byte> info, uint capOffset, out string? why)
    {
        why = null;
        uint at = capOffset;
        for (int hops = 0; at != 0 && hops < 16; hops++)
        {
            if (at < VfioUserRegionInfo.FixedSize || at >= info.Length || !VfioInfoCapHeader.TryDecode(info[(int)at..], out var cap, out var body, out why))
            {
                why ??= $"capability at {at} is outside the {info.Length}-byte reply";
                return null;
            }
            if (cap.Id == VfioAbi.RegionInfoCapSparseMmap)
            {
                if (!VfioRegionSparseMmap.TryDecode(body, out var sparse, out var list, out why))
                    return null;
                if (list.Length < sparse.NrAreas * VfioRegionSparseArea.FixedSize)
                {
                    why = $"sparse mmap capability names {sparse.NrAreas} areas in {list.Length} bytes";
                    return null;
                }
                var result = new List<(ulong, ulong)>();
                for (int i = 0; i < sparse.NrAreas; i++)
                {
                    VfioRegionSparseArea.TryDecode(list.Slice(i * VfioRegionSparseArea.FixedSize, VfioRegionSparseArea.FixedSize), out var a, out _);
                    result.Add((a.Offset, a.Size));
                }
                return result;
            }
            if (cap.Next != 0 && cap.Next <= at)
            {
                why = $"capability chain goes back from {at} to {cap.Next}";
                return null;
            }
            at = cap.Next;
        }
        why = "no sparse mmap capability";
        return null;
    }

    /// <summary>
    /// Takes the doorbells of a GET_REGION_IO_FDS reply for BAR <paramref name="bar"/>: shadow ioeventfds of 1-8
    /// bytes; other sub-region types are left to messages. Every descriptor is adopted or closed here.
    /// </summary>
    public void AddDoorbells(int bar, ulong barSize, ReadOnlySpan<byte> reply, List<int> fds)
    {
        var adopted = new Dictionary<int, EventFd>();
        var shadows = new Dictionary<(int Fd, ulong Page), nint>();
        try
        {
            if (!VfioUserRegionIoFds.TryDecode(reply, fds.Count, out var r, out var subs, out string? why))
            {
                notes.Add($"BAR {bar} doorbells: {why}");
                return;
            }
            int stride = r.Count == 0 ? 0 : subs.Length / (int)r.Count;
            if (r.Count > 0 && stride < VfioUserSubRegionIoFd.FixedSize)
            {
                notes.Add($"BAR {bar} doorbells: {r.Count} sub-regions in {subs.Length} bytes");
                return;
            }
            for (int i = 0; i < r.Count; i++)
            {
                if (!VfioUserSubRegionIoFd.TryDecode(subs.Slice(i * stride, VfioUserSubRegionIoFd.FixedSize), out var s, out why))
                {
                    notes.Add($"BAR {bar} doorbell {i}: {why}");
                    continue;
                }
                if (s.Type != VfioAbi.IoFdTypeIoeventfdShadow || s.Flags != 0)
                {
                    notes.Add($"BAR {bar} doorbell {i}: type {s.Type}, flags 0x{s.Flags:x}: only shadow ioeventfds without flags are used");
                    continue;
                }
                if (s.Size is not (1 or 2 or 4 or 8) || s.Offset % s.Size != 0 || s.Offset >= barSize || s.Size > barSize - s.Offset)
                {
                    notes.Add($"BAR {bar} doorbell {i}: 0x{s.Offset:x}+{s.Size} is not one register inside the BAR");
                    continue;
                }
                if (s.FdIndex >= fds.Count || s.ShadowFdIndex >= fds.Count || s.ShadowOffset % 8 != 0)
                {
                    notes.Add($"BAR {bar} doorbell {i}: descriptor {s.FdIndex} or shadow {s.ShadowFdIndex}+0x{s.ShadowOffset:x} is not one the reply carried");
                    continue;
                }
                if (!adopted.TryGetValue((int)s.FdIndex, out var e))
                {
                    e = EventFd.AdoptForSignalling(fds[(int)s.FdIndex], out why);
                    if (e is null)
                    {
                        notes.Add($"BAR {bar} doorbell {i}: {why}");
                        continue;
                    }
                    fds[(int)s.FdIndex] = -1; // adopted (CloseFds closing -1 is a harmless EBADF)
                    adopted[(int)s.FdIndex] = e;
                }
                int shadowFd = fds[(int)s.ShadowFdIndex];
                ulong page = s.ShadowOffset & ~(Page - 1);
                if (!shadows.TryGetValue((shadowFd, page), out nint shadow))
                {
                    if (shadowFd < 0 || !SealedMemory(shadowFd, page + Page, out why))
                    {
                        notes.Add($"BAR {bar} doorbell {i}: shadow memory: {why ?? "its descriptor is an eventfd"}");
                        continue;
                    }
                    var m = SharedMemory.Map(shadowFd, (long)page, (long)Page, writable: true);
                    mappings.Add(m);
                    shadows[(shadowFd, page)] = shadow = m.Address;
                }
                doorbells.Add(new Doorbell(bar, s.Offset, (int)s.Size, e, shadow + (nint)(s.ShadowOffset - page)));
            }
        }
        finally
        {
            // Eventfds no doorbell kept are closed with the rest.
            var used = doorbells.Select(d => d.Event).ToHashSet();
            foreach (var e in adopted.Values.Where(e => !used.Contains(e)))
                e.Dispose();
            VfioUserConnection.CloseFds(fds);
        }
    }

    /// <summary>A read of a mapped register: true with its value, false when it is not mapped.</summary>
    public bool TryRead(int bar, ulong offset, int size, out ulong value)
    {
        foreach (var a in areas)
        {
            if (a.Bar != bar || offset < a.Offset || offset - a.Offset + (ulong)size > a.Size)
                continue;
            byte* p = (byte*)a.Address + (offset - a.Offset);
            value = size switch
            {
                1 => Volatile.Read(ref *p),
                2 => Volatile.Read(ref *(ushort*)p),
                4 => Volatile.Read(ref *(uint*)p),
                _ => Volatile.Read(ref *(ulong*)p),
            };
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>A write to a mapped register or a doorbell: true when it was made without a message.</summary>
    public bool TryWrite(int bar, ulong offset, int size, ulong value)
    {
        foreach (var d in doorbells)
        {
            if (d.Bar != bar || d.Offset != offset || d.Size != size)
                continue;
            Store((byte*)d.Shadow, size, value);
            d.Event.Signal();
            return true;
        }
        foreach (var a in areas)
        {
            if (a.Bar != bar || offset < a.Offset || offset - a.Offset + (ulong)size > a.Size)
                continue;
            Store((byte*)a.Address + (offset - a.Offset), size, value);
            return true;
        }
        return false;
    }

    private static void Store(byte* p, int size, ulong value)
    {
        switch (size)
        {
            case 1: Volatile.Write(ref *p, (byte)value); break;
            case 2: Volatile.Write(ref *(ushort*)p, (ushort)value); break;
            case 4: Volatile.Write(ref *(uint*)p, (uint)value); break;
            default: Volatile.Write(ref *(ulong*)p, value); break;
        }
    }

    // A memfd sealed against shrinking, at least `needed` bytes long.
    private static bool SealedMemory(int fd, ulong needed, out string? why)
    {
        why = null;
        int seals = Libc.Fcntl(fd, Libc.F_GET_SEALS, 0);
        if (seals < 0 || (seals & Libc.F_SEAL_SHRINK) == 0)
        {
            why = "the memory's descriptor is not a memfd sealed against shrinking";
            return false;
        }
        // fstat, not lseek: the descriptor shares the server's open file, whose position is the server's.
        long size;
        try
        {
            size = RandomAccess.GetLength(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            size = -1;
        }
        if (size < 0 || (ulong)size < needed)
        {
            why = $"the memory is {size} bytes, {needed} needed";
            return false;
        }
        return true;
    }

    public void Dispose()
    {
        foreach (var d in doorbells)
            d.Event.Dispose();
        doorbells.Clear();
        areas.Clear();
        foreach (var m in mappings)
            m.Dispose();
        mappings.Clear();
    }
}
