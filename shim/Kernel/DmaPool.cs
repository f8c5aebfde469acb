// SPDX-License-Identifier: MIT
// Managed side. DMA pools (mm/dmapool.c): small coherent blocks of one size for descriptors. Each
// block is a coherent heap block aligned so that it crosses no `boundary` (a power of two), which is
// what the device sees at its physical address; a pool knows its blocks and refuses foreign ones.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class DmaPool
{
    private sealed record Pool(string Name, nuint Size, int Alignment, HashSet<nint> Blocks);

    private static readonly Dictionary<nint, Pool> Pools = [];

    /// <summary>The alignment that keeps a block of <paramref name="size"/> inside one <paramref name="boundary"/>; 0 if none can.</summary>
    public static ulong Alignment(ulong size, ulong align, ulong boundary)
    {
        if (size == 0 || align == 0 || !BitOperations.IsPow2(align) || (boundary != 0 && (!BitOperations.IsPow2(boundary) || boundary < size)))
            return 0;
        size = (size + align - 1) & ~(align - 1);
        // A block aligned to the power of two at or above its size never straddles a larger power of two.
        return boundary == 0 ? Math.Max(align, 8) : Math.Max(align, Math.Max(BitOperations.RoundUpToPowerOf2(size), 8));
    }

    [KernelSymbol("dma_pool_create"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DmaPoolCreate(nint name, nint dev, nuint size, nuint align, nuint boundary)
    {
        ulong alignment = Alignment(size, align == 0 ? 1 : align, boundary);
        if (alignment == 0 || alignment > PhysicalMemory.PageSize)
            return 0; // as dma_pool_create(): a bad alignment or boundary is refused
        nint pool = (nint)NativeMemory.AllocZeroed(8); // the driver's handle; struct dma_pool stays opaque to it
        lock (Pools)
            Pools[pool] = new Pool(Marshal.PtrToStringUTF8(name) ?? "?", size, (int)alignment, []);
        return pool;
    }

    private static Pool Require(nint pool)
    {
        lock (Pools)
            if (Pools.TryGetValue(pool, out var p))
                return p;
        Machine.Fatal($"0x{pool:x} is no DMA pool");
        throw new InvalidOperationException();
    }

    [KernelSymbol("dma_pool_alloc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DmaPoolAlloc(nint pool, uint gfp, ulong* handle)
    {
        var p = Require(pool);
        nint block = Memory.Allocate((long)p.Size, gfp, p.Alignment);
        if (block == 0)
            return 0;
        lock (Pools)
            p.Blocks.Add(block);
        *handle = Machine.Memory.ToPhysical(block);
        return block;
    }

    [KernelSymbol("dma_pool_free"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DmaPoolFree(nint pool, nint vaddr, ulong dma)
    {
        var p = Require(pool);
        lock (Pools)
            if (!p.Blocks.Remove(vaddr) || Machine.Memory.ToPhysical(vaddr) != dma)
            {
                Machine.Log(3, $"dma_pool_free {p.Name}, 0x{vaddr:x}/0x{dma:x} (bad vaddr)/(bad dma)");
                return;
            }
        Memory.Free(vaddr);
    }

    [KernelSymbol("dma_pool_destroy"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DmaPoolDestroy(nint pool)
    {
        if (pool == 0)
            return;
        var p = Require(pool);
        lock (Pools)
        {
            // As Linux: blocks still in use are reported and left alone (the device may still reach them).
            if (p.Blocks.Count != 0)
                Machine.Log(3, $"dma_pool_destroy {p.Name}, {p.Blocks.Count} blocks busy");
            Pools.Remove(pool);
        }
        NativeMemory.Free((void*)pool);
    }
}
