// SPDX-License-Identifier: MIT
// Managed side. The XArray (lib/xarray.c), as far as drivers' allocating arrays need it: entries by index in a
// managed sorted map per array, allocation of free indexes (cyclic, from a hint, within a limit), insertion that
// refuses a taken index, erasure. The array's own struct keeps only what inline helpers read: xa_head is NULL
// exactly when the array is empty (xa_empty()), and otherwise the lowest index's entry (never dereferenced as a
// node here: no inline helper walks the tree). 6.12's PHY link topology (phy_link_topology.c) uses it.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Xarray
{
    private const int EBusy = -16, EInval = -22;
    private static readonly Dictionary<nint, SortedDictionary<ulong, nint>> Arrays = [];

    private static SortedDictionary<ulong, nint> Of(nint xa)
    {
        if (!Arrays.TryGetValue(xa, out var entries))
            Arrays[xa] = entries = [];
        return entries;
    }

    private static void Publish(nint xa, SortedDictionary<ulong, nint> entries) =>
        xa.Ptr(XarrayLayout.Head, entries.Count == 0 ? 0 : entries.First().Value);

    /// <summary>An entry the array may hold: not NULL (storing NULL is erasing) and not one of the XArray's internal
    /// entries (low bits 10), which Linux refuses with -EINVAL.</summary>
    private static bool Storable(nint entry) => entry != 0 && (entry & 3) != 2;

    [KernelSymbol("__xa_insert"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int XaInsert(nint xa, ulong index, nint entry, uint gfp)
    {
        if (entry != 0 && !Storable(entry))
            return EInval;
        lock (Arrays)
        {
            var entries = Of(xa);
            if (entries.ContainsKey(index))
                return EBusy;
            if (entry != 0)
                entries[index] = entry; // a NULL entry reserves nothing here (no xa_reserve users)
            Publish(xa, entries);
            return 0;
        }
    }

    /// <summary>__xa_alloc_cyclic(): the first free index from *next up to limit.max, else from limit.min; *id gets
    /// it and *next the one after; 1 when the search wrapped, 0 otherwise, -EBUSY when the range is full.</summary>
    [KernelSymbol("__xa_alloc_cyclic"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int XaAllocCyclic(nint xa, uint* id, nint entry, XaLimit limit, uint* next, uint gfp)
    {
        uint max = limit.Max, min = limit.Min;
        if (!Storable(entry) || min > max)
            return EInval;
        lock (Arrays)
        {
            var entries = Of(xa);
            uint start = Math.Clamp(*next, min, max);
            bool wrapped = false;
            ulong found = ulong.MaxValue;
            for (ulong i = start; i <= max; i++)
                if (!entries.ContainsKey(i)) { found = i; break; }
            if (found == ulong.MaxValue)
                for (ulong i = min; i < start; i++)
                    if (!entries.ContainsKey(i)) { found = i; wrapped = true; break; }
            if (found == ulong.MaxValue)
                return EBusy;
            entries[found] = entry;
            Publish(xa, entries);
            *id = (uint)found;
            *next = (uint)found + 1;
            return wrapped ? 1 : 0;
        }
    }

    [KernelSymbol("xa_erase"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint XaErase(nint xa, ulong index) => Erase(xa, index);

    [KernelSymbol("__xa_erase"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint XaEraseLocked(nint xa, ulong index) => Erase(xa, index);

    private static nint Erase(nint xa, ulong index)
    {
        lock (Arrays)
        {
            if (!Arrays.TryGetValue(xa, out var entries) || !entries.Remove(index, out nint old))
                return 0;
            Publish(xa, entries);
            return old;
        }
    }

    [KernelSymbol("xa_load"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint XaLoad(nint xa, ulong index)
    {
        lock (Arrays)
            return Arrays.TryGetValue(xa, out var entries) ? entries.GetValueOrDefault(index) : 0;
    }

    [KernelSymbol("xa_destroy"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void XaDestroy(nint xa)
    {
        lock (Arrays)
            Arrays.Remove(xa);
        xa.Ptr(XarrayLayout.Head, 0);
    }
}

/// <summary>struct xa_limit, passed by value: the highest and the lowest index an allocation may take.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct XaLimit
{
    public uint Max;
    public uint Min;
}
