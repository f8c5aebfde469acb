// SPDX-License-Identifier: MIT
// Managed side. Resource regions (kernel/resource.c): request_region() and request_mem_region()
// claim a busy range of the I/O port or memory space for one user, release_region() gives it back.
// A claim that overlaps a busy one, or leaves its parent's range, is refused as Linux refuses it.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

/// <summary>The busy ranges of one space (ports or memory), inclusive at both ends.</summary>
public sealed class RegionMap(ulong first, ulong last)
{
    private readonly SortedDictionary<ulong, ulong> _busy = []; // start → end

    public int Count => _busy.Count;

    /// <summary>Claims [start, start + n - 1]; false when it is empty, leaves the space or overlaps a claim.</summary>
    public bool Claim(ulong start, ulong n)
    {
        ulong end = start + n - 1;
        if (n == 0 || end < start || start < first || end > last)
            return false;
        foreach (var (s, e) in _busy)
            if (s <= end && start <= e)
                return false;
        _busy.Add(start, end);
        return true;
    }

    /// <summary>Releases exactly the claim [start, start + n - 1]; false when there is no such claim.</summary>
    public bool Release(ulong start, ulong n) =>
        _busy.TryGetValue(start, out ulong end) && end == start + n - 1 && _busy.Remove(start);
}

public static unsafe class Resource
{
    // ioport_resource spans IO_SPACE_LIMIT (arch/x86/include/asm/io.h), iomem_resource everything.
    private static readonly RegionMap Ports = new(0, 0xffff), Memory = new(0, ulong.MaxValue);
    private static readonly Dictionary<(RegionMap, ulong), nint> Claims = [];
    private const ulong Busy = 0x80000000; // IORESOURCE_BUSY
    private const ulong Muxed = 0x00400000; // IORESOURCE_MUXED

    private static RegionMap SpaceOf(ulong type) => (type & PciLayout.IoResource) != 0 ? Ports : Memory;

    /// <summary>Claims a range of the I/O port space (<paramref name="io"/>) or memory space for the driver.</summary>
    public static nint Request(bool io, ulong start, ulong n, nint name, ulong flags)
    {
        var space = io ? Ports : Memory;
        lock (Claims)
        {
            if (!space.Claim(start, n))
            {
                // A muxed claim waits for the holder (kernel/resource.c): in a one-driver host the holder
                // is the waiter itself, so it would never return; say so rather than hang.
                if ((flags & Muxed) != 0)
                    Machine.Fatal($"muxed region 0x{start:x}+{n} is busy: waiting for it would never end");
                return 0;
            }
            nint res = (nint)NativeMemory.AllocZeroed((nuint)PciLayout.ResourceSize.Size);
            res.U64(PciLayout.ResourceStart, start);
            res.U64(PciLayout.ResourceEnd, start + n - 1);
            res.Ptr(PciLayout.ResourceName, name);
            res.U64(PciLayout.ResourceFlags, (io ? PciLayout.IoResource : PciLayout.MemResource) | Busy | flags);
            Claims[(space, start)] = res;
            return res;
        }
    }

    /// <summary>Releases a claim made by <see cref="Request"/>; false (Linux warns) when there is none.</summary>
    public static bool Release(bool io, ulong start, ulong n)
    {
        var space = io ? Ports : Memory;
        lock (Claims)
        {
            if (!space.Release(start, n))
                return false;
            Claims.Remove((space, start), out nint res);
            NativeMemory.Free((void*)res);
            return true;
        }
    }

    private static bool IsIo(nint parent) => (parent.U64(PciLayout.ResourceFlags) & PciLayout.IoResource) != 0;

    [KernelSymbol("__request_region"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint RequestRegion(nint parent, ulong start, ulong n, nint name, int flags)
    {
        if (start < parent.U64(PciLayout.ResourceStart) || start + n - 1 > parent.U64(PciLayout.ResourceEnd))
            return 0; // outside the parent: its conflict in __request_resource()
        return Request(IsIo(parent), start, n, name, (uint)flags);
    }

    [KernelSymbol("__release_region"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ReleaseRegion(nint parent, ulong start, ulong n)
    {
        if (!Release(IsIo(parent), start, n))
            Machine.Log(4, $"Trying to free nonexistent resource <0x{start:x16}-0x{start + n - 1:x16}>");
    }
}
