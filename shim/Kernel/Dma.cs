// SPDX-License-Identifier: MIT
// Managed side. The Linux DMA API (kernel/dma/mapping.c): all kernel memory is the machine's
// physical memory, which the device sees at the same bus addresses, so coherent allocations are
// heap blocks and streaming mappings are address arithmetic (no bounce buffers, no sync work).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Dma
{
    private const ulong MappingError = ulong.MaxValue;

    [KernelSymbol("dma_alloc_attrs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DmaAllocAttrs(nint dev, nuint size, ulong* handle, uint gfp, ulong attrs) => AllocCoherent(size, gfp, handle);

    /// <summary>dma_alloc_coherent(): zeroed, page-aligned, at the bus address written to <paramref name="handle"/>.</summary>
    public static nint AllocCoherent(nuint size, uint gfp, ulong* handle)
    {
        nint p = FaultInjection.Fail("dma_map") ? 0 : Memory.Allocate((long)size, gfp | GfpFlags.Zero, PhysicalMemory.PageSize);
        if (p == 0)
            return 0;
        *handle = Machine.Memory.ToPhysical(p);
        return p;
    }

    [KernelSymbol("dma_free_attrs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DmaFreeAttrs(nint dev, nuint size, nint cpuAddress, ulong handle, ulong attrs) => Memory.Free(cpuAddress);

    [KernelSymbol("dma_map_page_attrs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong DmaMapPageAttrs(nint dev, nint page, nuint offset, nuint size, uint direction, ulong attrs)
    {
        nint virt = Machine.Memory.PageToVirtual(page) + (nint)offset;
        return Machine.Memory.Contains(virt) && !FaultInjection.Fail("dma_map") ? Machine.Memory.ToPhysical(virt) : MappingError;
    }

    [KernelSymbol("dma_unmap_page_attrs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DmaUnmapPageAttrs(nint dev, ulong address, nuint size, uint direction, ulong attrs) => TakeBack(dev, direction);

    // Shared memory is coherent: a barrier is all a sync needs, and giving a buffer back to the CPU waits for
    // the device's DMA in flight where the device asks for that (TakeBack). Since 6.11 the inline
    // dma_sync_single_for_*() call __dma_sync_single_for_*() (same arguments) when the device may need syncing.
    [KernelSymbol("dma_sync_single_for_device"), KernelSymbol("__dma_sync_single_for_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DmaSyncSingleForDevice(nint dev, ulong address, nuint size, uint direction) => Interlocked.MemoryBarrier();

    [KernelSymbol("dma_sync_single_for_cpu"), KernelSymbol("__dma_sync_single_for_cpu"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DmaSyncSingleForCpu(nint dev, ulong address, nuint size, uint direction) => TakeBack(dev, direction);

    private const uint ToDevice = 1; // enum dma_data_direction: DMA_TO_DEVICE

    /// <summary>
    /// The CPU takes a streaming buffer back from <paramref name="dev"/> (unmap, sync for the CPU): unless the
    /// device only read it, what the device wrote before now must be there (IPciFunction.CompleteDma).
    /// </summary>
    private static void TakeBack(nint dev, uint direction)
    {
        Interlocked.MemoryBarrier();
        if (direction == ToDevice || dev == 0)
            return;
        foreach (var d in PciCore.All)
            if (d.Pdev.At(PciLayout.EmbeddedDevice) == dev)
            {
                d.Function.CompleteDma();
                break;
            }
        Interlocked.MemoryBarrier();
    }

    private static ulong Highest => PhysicalMemory.PhysicalBase + Machine.Memory.Size - 1;

    [KernelSymbol("dma_set_mask"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DmaSetMask(nint dev, ulong mask)
    {
        nint p = dev.Ptr(DeviceLayout.DmaMask);
        if (p == 0 || mask < Highest)
            return -5; // -EIO: the memory does not fit the device's addressing
        *(ulong*)p = mask;
        return 0;
    }

    [KernelSymbol("dma_set_coherent_mask"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DmaSetCoherentMask(nint dev, ulong mask)
    {
        if (mask < Highest)
            return -5;
        dev.U64(DeviceLayout.CoherentDmaMask, mask);
        return 0;
    }

    // kernel/dma/mapping.c with direct mapping and no bounce buffers: any size maps in one piece, and no
    // address ever needs a sync (the memory is coherent and never bounced).
    [KernelSymbol("dma_max_mapping_size"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nuint DmaMaxMappingSize(nint dev) => nuint.MaxValue;

    [KernelSymbol("dma_need_sync"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte DmaNeedSync(nint dev, ulong address) => 0;
}
