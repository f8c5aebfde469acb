// SPDX-License-Identifier: MIT
// Managed side. The driver's "physical memory": one memfd mapped into the host, which the device
// side maps too (DMA without copies). Every kernel allocation comes from it, so __pa(), virt_to_page()
// and dma_map_*() are plain arithmetic, as on a real machine: physical address = offset + Base.
using System.Runtime.InteropServices;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Kernel;

public sealed unsafe class PhysicalMemory : IDisposable
{
    public const int PageSize = 4096;

    /// <summary>Physical (and bus) address of the first byte; nonzero so that no valid DMA address is 0.</summary>
    public const ulong PhysicalBase = 0x100000;

    public int Fd { get; }
    public nint HostBase { get; }
    public ulong Size { get; }
    public int PageCount => (int)(Size / PageSize);

    /// <summary>One struct page per page of memory (the kernel's vmemmap), zeroed.</summary>
    public nint PageArray { get; private set; }
    public int PageStructSize { get; private set; }

    private readonly SharedMemory _shared;

    /// <summary>A sealable memfd (SharedMemory), so the device side that maps it can forbid shrinking.</summary>
    public PhysicalMemory(ulong size)
    {
        Size = (size + PageSize - 1) / PageSize * PageSize;
        _shared = SharedMemory.Create("linuxshim-dma", (long)Size);
        Fd = _shared.Handle;
        HostBase = _shared.Address;
    }

    internal void CreatePageArray(int pageStructSize)
    {
        PageStructSize = pageStructSize;
        PageArray = (nint)NativeMemory.AllocZeroed((nuint)(PageCount * pageStructSize));
    }

    /// <summary>The kernel's page_offset_base: virtual = physical + this.</summary>
    public nint PageOffsetBase => HostBase - (nint)PhysicalBase;

    /// <summary>The kernel's vmemmap_base: struct page of pfn n is at this + n * sizeof(struct page).</summary>
    public nint VmemmapBase => PageArray - (nint)(PhysicalBase / PageSize) * PageStructSize;

    public bool Contains(nint address) => address >= HostBase && (ulong)(address - HostBase) < Size;

    public ulong ToPhysical(nint address) =>
        Contains(address) ? (ulong)(address - HostBase) + PhysicalBase
            : throw new ArgumentOutOfRangeException(nameof(address), $"0x{address:x} is not DMA-able memory");

    public nint ToVirtual(ulong physical) => HostBase + (nint)(physical - PhysicalBase);

    public nint PageToVirtual(nint page) => HostBase + (nint)((page - PageArray) / PageStructSize) * PageSize;

    public nint VirtualToPage(nint address) => PageArray + (nint)((address - HostBase) / PageSize) * PageStructSize;

    public void Dispose()
    {
        _shared.Dispose();
        if (PageArray != 0)
            NativeMemory.Free((void*)PageArray);
    }
}
