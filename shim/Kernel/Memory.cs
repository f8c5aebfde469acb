// SPDX-License-Identifier: MIT
// Managed side. Linux memory allocation (mm/slab, mm/vmalloc, mm/page_alloc): the kmalloc family,
// vmalloc, and pages, all from the machine's DMA-able physical memory.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Memory
{
    private static readonly HashSet<nint> Vmalloced = [];
    private static readonly Dictionary<nint, int> PageOrders = [];

    public static nint Allocate(long size, uint gfp, int alignment = 8)
    {
        nint p = Machine.Heap.Allocate(size, alignment);
        if (p != 0 && (gfp & GfpFlags.Zero) != 0)
            NativeMemory.Clear((void*)p, (nuint)size);
        return p;
    }

    /// <summary>A kmalloc-family allocation made for the driver: may fail on purpose (failslab).</summary>
    private static nint Slab(long size, uint gfp, int alignment = 8) => FaultInjection.Fail("slab") ? 0 : Allocate(size, gfp, alignment);

    public static void Free(nint p)
    {
        if (p == 0 || p == 16) // NULL and ZERO_SIZE_PTR
            return;
        lock (Vmalloced)
            Vmalloced.Remove(p);
        if (!Machine.Heap.Free(p))
            Machine.Fatal($"kfree of 0x{p:x}, which is not an allocated block (double free or wild pointer)");
    }

    // 6.10's memory allocation profiling renamed the allocators *_noprof (the old names are now macros
    // that tag the call site); the arguments stayed.
    [KernelSymbol("__kmalloc"), KernelSymbol("__kmalloc_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Kmalloc(nuint size, uint gfp) => Slab((long)size, gfp);

    [KernelSymbol("__kmalloc_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint KmallocNode(nuint size, uint gfp, int node) => Slab((long)size, gfp);

    [KernelSymbol("kmalloc_trace"), KernelSymbol("__kmalloc_cache_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint KmallocTrace(nint cache, uint gfp, nuint size) => Slab((long)size, gfp);

    [KernelSymbol("kmalloc_node_trace"), KernelSymbol("__kmalloc_cache_node_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint KmallocNodeTrace(nint cache, uint gfp, int node, nuint size) => Slab((long)size, gfp);

    [KernelSymbol("kmalloc_large"), KernelSymbol("__kmalloc_large_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint KmallocLarge(nuint size, uint gfp) => Slab((long)size, gfp, PhysicalMemory.PageSize);

    [KernelSymbol("kfree"), KernelSymbol("vfree"), KernelSymbol("kvfree"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Kfree(nint p) => Free(p);

    [KernelSymbol("kfree_sensitive"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void KfreeSensitive(nint p)
    {
        if (p != 0 && Machine.Heap.SizeOf(p) is var size and > 0)
            NativeMemory.Clear((void*)p, (nuint)size);
        Free(p);
    }

    [KernelSymbol("ksize"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nuint Ksize(nint p) => (nuint)Machine.Heap.SizeOf(p);

    [KernelSymbol("krealloc"), KernelSymbol("krealloc_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Krealloc(nint p, nuint size, uint gfp)
    {
        if (size == 0)
        {
            Free(p);
            return 16;
        }
        long old = p == 0 ? 0 : Machine.Heap.SizeOf(p);
        if (old >= (long)size)
            return p;
        nint n = Slab((long)size, gfp);
        if (n != 0 && p != 0)
        {
            Buffer.MemoryCopy((void*)p, (void*)n, (long)size, old);
            Free(p);
        }
        return n;
    }

    [KernelSymbol("kstrdup"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Kstrdup(nint s, uint gfp)
    {
        if (s == 0)
            return 0;
        long len = new ReadOnlySpan<byte>((void*)s, int.MaxValue).IndexOf((byte)0) + 1;
        nint p = Slab(len, gfp);
        if (p != 0)
            Buffer.MemoryCopy((void*)s, (void*)p, len, len);
        return p;
    }

    [KernelSymbol("kmemdup"), KernelSymbol("kmemdup_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Kmemdup(nint src, nuint len, uint gfp)
    {
        nint p = Slab((long)len, gfp);
        if (p != 0)
            Buffer.MemoryCopy((void*)src, (void*)p, (long)len, (long)len);
        return p;
    }

    [KernelSymbol("vmalloc"), KernelSymbol("vmalloc_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Vmalloc(nuint size) => Vmalloc((long)size, 0);

    [KernelSymbol("vzalloc"), KernelSymbol("vzalloc_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Vzalloc(nuint size) => Vmalloc((long)size, GfpFlags.Zero);

    private static nint Vmalloc(long size, uint gfp)
    {
        nint p = Slab(size, gfp, PhysicalMemory.PageSize);
        if (p != 0)
            lock (Vmalloced)
                Vmalloced.Add(p);
        return p;
    }

    [KernelSymbol("kvmalloc_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint KvmallocNode(nuint size, uint gfp, int node) => Slab((long)size, gfp);

    [KernelSymbol("is_vmalloc_addr"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte IsVmallocAddr(nint p)
    {
        lock (Vmalloced)
            return (byte)(Vmalloced.Contains(p) ? 1 : 0);
    }

    /// <summary>Allocates 2^order pages; returns the struct page of the first (its refcount 1), or 0.</summary>
    public static nint AllocatePages(uint gfp, int order)
    {
        nint p = Machine.Heap.AllocatePageBlock(order);
        if (p == 0)
            return 0;
        if ((gfp & GfpFlags.Zero) != 0)
            NativeMemory.Clear((void*)p, (nuint)(PhysicalMemory.PageSize << order));
        nint page = Machine.Memory.VirtualToPage(p);
        NativeMemory.Clear((void*)page, (nuint)(PageLayout.Size.Size << order));
        page.I32(PageLayout.RefCount, 1);
        lock (PageOrders)
            PageOrders[page] = order;
        return page;
    }

    public static void FreePages(nint page)
    {
        lock (PageOrders)
            PageOrders.Remove(page);
        Free(Machine.Memory.PageToVirtual(page));
    }

    [KernelSymbol("alloc_pages"), KernelSymbol("alloc_pages_noprof"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocPages(uint gfp, uint order) => FaultInjection.Fail("page_alloc") ? 0 : AllocatePages(gfp, (int)order);

    [KernelSymbol("__alloc_pages"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocPagesNode(uint gfp, uint order, int nid, nint nodemask) => FaultInjection.Fail("page_alloc") ? 0 : AllocatePages(gfp, (int)order);

    [KernelSymbol("__get_free_pages"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GetFreePages(uint gfp, uint order)
    {
        nint page = FaultInjection.Fail("page_alloc") ? 0 : AllocatePages(gfp, (int)order);
        return page == 0 ? 0 : Machine.Memory.PageToVirtual(page);
    }

    [KernelSymbol("get_zeroed_page"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GetZeroedPage(uint gfp)
    {
        nint page = FaultInjection.Fail("page_alloc") ? 0 : AllocatePages(gfp | GfpFlags.Zero, 0);
        return page == 0 ? 0 : Machine.Memory.PageToVirtual(page);
    }

    [KernelSymbol("free_pages"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreePagesByAddress(nint address, uint order)
    {
        if (address != 0)
            PutPage(Machine.Memory.VirtualToPage(address));
    }

    /// <summary>alloc_pages_exact() (mm/page_alloc.c): pages enough for <paramref name="size"/> bytes, each with its own
    /// reference (split_page()); Linux frees the tail past the size at once, here it stays with the block until
    /// free_pages_exact().</summary>
    [KernelSymbol("alloc_pages_exact"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocPagesExact(nuint size, uint gfp)
    {
        int order = 0;
        while (((nuint)PhysicalMemory.PageSize << order) < size)
            order++;
        nint page = FaultInjection.Fail("page_alloc") ? 0 : AllocatePages(gfp, order);
        if (page == 0)
            return 0;
        for (int i = 1; i < 1 << order; i++)
            (page + i * PageLayout.Size.Size).I32(PageLayout.RefCount, 1);
        return Machine.Memory.PageToVirtual(page);
    }

    [KernelSymbol("free_pages_exact"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreePagesExact(nint address, nuint size)
    {
        if (address != 0)
            FreePages(Machine.Memory.VirtualToPage(address));
    }

    [KernelSymbol("__free_pages"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreePagesByPage(nint page, uint order) => PutPage(page);

    /// <summary>Drops a reference to a page; frees it at zero.</summary>
    public static void PutPage(nint page)
    {
        if (Interlocked.Decrement(ref *(int*)page.At(PageLayout.RefCount)) == 0)
            FreePages(page);
    }

    // put_page() dropped the last reference of a folio (an order-0 page here).
    [KernelSymbol("__folio_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FolioPut(nint folio) => FreePages(folio);

    // Only reached for ZONE_DEVICE pages when devmap_managed_key is on; it never is here. 6.10 made it
    // __put_devmap_managed_folio_refs(folio, refs): an order-0 page is its own folio.
    [KernelSymbol("__put_devmap_managed_page_refs"), KernelSymbol("__put_devmap_managed_folio_refs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte PutDevmapManagedPageRefs(nint page, int refs) => 0;

    /// <summary>Frees a page fragment by any address inside it (page_frag_free).</summary>
    [KernelSymbol("page_frag_free"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PageFragFree(nint address) => FreeFragment(address);

    /// <summary>
    /// page_frag_free(): a fragment of a page from the page allocator drops a reference to that page (put_page of
    /// its head page; the pages handed out whole here are order-0 or the first of their block); a fragment the
    /// shim carved from its heap (__netdev_alloc_frag_align) frees its block.
    /// </summary>
    public static void FreeFragment(nint address)
    {
        if (address == 0)
            return;
        nint page = Machine.Memory.VirtualToPage(address);
        bool fromPageAllocator;
        lock (PageOrders)
            fromPageAllocator = PageOrders.ContainsKey(page);
        if (fromPageAllocator)
            PutPage(page);
        else
            Free(Machine.Heap.BlockContaining(address) is var b and not 0 ? b : address);
    }

    /// <summary>Whether <paramref name="page"/> heads pages the page allocator handed out.</summary>
    public static bool IsAllocatedPage(nint page)
    {
        lock (PageOrders)
            return PageOrders.ContainsKey(page);
    }

    // mm/slab_common.c: the size kmalloc() would really allocate for a request (0 stays 0).
    [KernelSymbol("kmalloc_size_roundup"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nuint KmallocSizeRoundup(nuint size) => size == 0 ? 0 : (nuint)HeapAllocator.BlockSize((long)size);
}
