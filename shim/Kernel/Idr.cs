// SPDX-License-Identifier: MIT
// Managed side. ID allocators (lib/idr.c): an IDA hands out the smallest free id in a range. Its state is
// kept here, keyed by the struct ida the driver declares (zeroed, as DEFINE_IDA leaves it: an empty IDA).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Idr
{
    private const int ENoSpc = -28, EInval = -22;
    private static readonly Dictionary<nint, SortedSet<int>> Idas = [];

    /// <summary>ida_alloc_range(): the smallest id in [min, max] not in use, or -ENOSPC.</summary>
    public static int Allocate(nint ida, uint min, uint max)
    {
        if ((int)min < 0)
            return EInval;
        if ((int)max < 0)
            max = int.MaxValue;
        if (!Idas.TryGetValue(ida, out var used))
            Idas[ida] = used = [];
        long id = min;
        foreach (int u in used.GetViewBetween((int)min, (int)max))
        {
            if (u != id)
                break;
            id++;
        }
        if (id > max)
            return ENoSpc;
        used.Add((int)id);
        return (int)id;
    }

    /// <summary>ida_free(): the id can be handed out again; freeing one not in use is a bug Linux warns about.</summary>
    public static void Release(nint ida, uint id)
    {
        if (!Idas.TryGetValue(ida, out var used) || !used.Remove((int)id))
            Machine.Log(4, $"ida_free called for id={id} which is not allocated.");
    }

    public static int Count(nint ida) => Idas.TryGetValue(ida, out var used) ? used.Count : 0;

    [KernelSymbol("ida_alloc_range"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int IdaAllocRange(nint ida, uint min, uint max, uint gfp) => Allocate(ida, min, max);

    [KernelSymbol("ida_free"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void IdaFree(nint ida, uint id) => Release(ida, id);

    /// <summary>ida_destroy(): every id is free again.</summary>
    [KernelSymbol("ida_destroy"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void IdaDestroy(nint ida) => Idas.Remove(ida);
}
