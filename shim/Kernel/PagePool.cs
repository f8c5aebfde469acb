// SPDX-License-Identifier: MIT
// Managed side. Page pools (net/core/page_pool.c): a receive queue's recycler of DMA-mapped pages. A pool hands
// out pages of 2^order from the page allocator, mapped for the device when PP_FLAG_DMA_MAP asks (the address is
// in page->dma_addr, where page_pool_get_dma_addr() reads it) and marked as the pool's (pp, pp_magic, a pool
// reference count of 1); a page put back while the pool holds its only reference is synced for the device when
// PP_FLAG_DMA_SYNC_DEV asks (up to max_len) and kept for the next allocation; one someone else still holds, or
// one the cache has no room for, leaves the pool (unmapped, unmarked) and loses the pool's reference.
// Linux keeps recycled pages in a per-CPU array (128) and a ring (pool_size): the one CPU here has one cache of
// both sizes together. The struct page_pool the driver's inline helpers read is laid out in driver memory;
// destroying a pool frees its cached pages and, once every page it handed out has come back, the struct.
// A page given to the network stack in an skb frag is not returned here when the skb is freed (6.12's
// skb_mark_for_recycle(): the shim's skb code frees it with put_page()); the pool then counts it in flight
// forever, as Linux's pool would a page leaked to it, and keeps its struct. Memory providers (6.12's
// devmem) are not offered: a pool is always one of pages.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class PagePool
{
    private const int EInval = 22, ENoMem = 12;
    private const int AllocCacheSize = 128; // PP_ALLOC_CACHE_SIZE
    private const uint DefaultRing = 1024, MaxRing = 16384; // page_pool_init(): pool_size 0 means 1024; larger ones are capped
    private const ulong DmaAttrSkipCpuSync = 1 << 5, DmaAttrWeakOrdering = 1 << 1; // as page_pool_dma_map() maps

    private sealed class Pool(nint address)
    {
        public readonly nint Address = address;
        public uint Flags;
        public int Order;
        public int Capacity;
        public nint InitCallback, InitArg;
        public readonly Stack<nint> Cache = new();
        public long Held, Released;
        public bool Destroyed;
        public bool DmaMap => (Flags & PagePoolLayout.FlagDmaMap) != 0;
        public bool SyncForDevice => (Flags & PagePoolLayout.FlagDmaSyncDev) != 0;
        public long InFlight => Held - Released - Cache.Count;
    }

    private static readonly Dictionary<nint, Pool> Pools = [];

    private static Pool? Find(nint pool)
    {
        lock (Pools)
            return Pools.GetValueOrDefault(pool);
    }

    private static Pool Known(nint pool, string caller)
    {
        var p = Find(pool);
        if (p is null)
            Machine.Fatal($"{caller}(0x{pool:x}): not a page pool of this host");
        return p!;
    }

    /// <summary>Whether <paramref name="pool"/> is a live pool page_pool_create() made.</summary>
    public static bool IsPool(nint pool) => Find(pool) is { Destroyed: false };

    /// <summary>Pages of <paramref name="pool"/> waiting in its cache.</summary>
    public static int Cached(nint pool) => Find(pool) is { } p ? p.Cache.Count : 0;

    /// <summary>Pages of <paramref name="pool"/> handed out and neither returned nor released.</summary>
    public static long InFlight(nint pool) => Find(pool) is { } p ? p.InFlight : 0;

    [KernelSymbol("page_pool_create"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PagePoolCreate(nint parameters) => Create(parameters);

    // 6.12's page_pool_create() is page_pool_create_percpu(params, -1): the cpuid says which CPU's NAPI may
    // recycle directly, and there is one CPU.
    [KernelSymbol("page_pool_create_percpu"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PagePoolCreatePercpu(nint parameters, int cpuid) => Create(parameters);

    /// <summary>page_pool_create(): the pool, or ERR_PTR(-EINVAL) for parameters page_pool_init() refuses (-ENOMEM).</summary>
    public static nint Create(nint parameters)
    {
        uint flags = parameters.U32(PagePoolLayout.ParamsFlags);
        uint dmaDir = parameters.U32(PagePoolLayout.ParamsDmaDir);
        if ((flags & ~(uint)PagePoolLayout.FlagAll.Value) != 0)
            return -EInval;
        if ((flags & PagePoolLayout.FlagDmaMap) != 0 && dmaDir != DmaDirection.FromDevice && dmaDir != DmaDirection.Bidirectional)
            return -EInval; // the device writes pages of a pool (XDP_TX also reads them back: bidirectional)
        if ((flags & PagePoolLayout.FlagDmaSyncDev) != 0
            && ((flags & PagePoolLayout.FlagDmaMap) == 0 || parameters.U32(PagePoolLayout.ParamsMaxLen) == 0))
            return -EInval; // syncing needs a mapping, and a length to sync
        uint order = parameters.U32(PagePoolLayout.ParamsOrder);

        nint address = FaultInjection.Fail("slab") ? 0 : Memory.Allocate(PagePoolLayout.Size.Size, GfpFlags.Zero);
        if (address == 0)
            return -ENoMem;
        // page_pool_init(): p is the parameters' leading fields, copied as they are.
        Buffer.MemoryCopy((void*)parameters, (void*)address.At(PagePoolLayout.P), PagePoolLayout.P.Size, PagePoolLayout.P.Size);
        address.I32(PagePoolLayout.UserCnt, 1); // the driver's reference, which page_pool_destroy() drops
        uint ring = parameters.U32(PagePoolLayout.ParamsPoolSize) is var size and not 0 ? Math.Min(size, MaxRing) : DefaultRing;
        var pool = new Pool(address)
        {
            Flags = flags,
            Order = (int)order,
            Capacity = (int)ring + AllocCacheSize,
            InitCallback = parameters.Ptr(PagePoolLayout.ParamsInitCallback),
            InitArg = parameters.Ptr(PagePoolLayout.ParamsInitArg),
        };
        lock (Pools)
            Pools[address] = pool;
        return address;
    }

    [KernelSymbol("page_pool_alloc_pages"), KernelSymbol("page_pool_alloc_netmem"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PagePoolAllocPages(nint pool, uint gfp) => Allocate(pool, gfp);

    /// <summary>page_pool_alloc_pages(): a recycled page if the cache has one, else a new one, mapped and marked; 0 if none can be had.</summary>
    public static nint Allocate(nint address, uint gfp)
    {
        var pool = Known(address, "page_pool_alloc_pages");
        if (pool.Destroyed)
            Machine.Fatal($"page_pool_alloc_pages(0x{address:x}): the pool was destroyed");
        if (pool.Cache.TryPop(out nint cached))
            return cached; // still mapped, and synced for the device when it came back
        nint page = FaultInjection.Fail("page_alloc") ? 0 : Memory.AllocatePages(gfp, pool.Order);
        if (page == 0)
            return 0;
        if (pool.DmaMap)
        {
            nint dev = address.Ptr(PagePoolLayout.Dev);
            nuint length = (nuint)PhysicalMemory.PageSize << pool.Order;
            ulong dma = ((delegate* unmanaged[Cdecl]<nint, nint, nuint, nuint, uint, ulong, ulong>)&Dma.DmaMapPageAttrs)(
                dev, page, 0, length, address.U32(PagePoolLayout.DmaDir), DmaAttrSkipCpuSync | DmaAttrWeakOrdering);
            if (dma == ulong.MaxValue) // DMA_MAPPING_ERROR: the page goes back, and there is none to give
            {
                Memory.PutPage(page);
                return 0;
            }
            page.U64(PagePoolLayout.PageDmaAddr, dma);
            if (pool.SyncForDevice)
                SyncForDevice(address, page, address.U32(PagePoolLayout.MaxLen));
        }
        // page_pool_set_pp_info(): the page is the pool's, with the pool's one reference (pp_ref_count; 6.1's
        // pp_frag_count is only read with PP_FLAG_PAGE_FRAG, whose users set it themselves).
        page.Ptr(PagePoolLayout.PagePool, address);
        page.U64(PagePoolLayout.PageMagic, page.U64(PagePoolLayout.PageMagic) | (ulong)PagePoolLayout.Signature.Value);
        *(long*)(page + PagePoolLayout.PageRefCountOffset) = 1;
        if (pool.InitCallback != 0)
            ((delegate* unmanaged<nint, nint, void>)pool.InitCallback)(page, pool.InitArg);
        pool.Held++;
        return page;
    }

    // page_pool_dma_sync_for_device(): the part the device may write, from the pool's offset.
    private static void SyncForDevice(nint pool, nint page, uint length)
    {
        ulong dma = page.U64(PagePoolLayout.PageDmaAddr);
        ((delegate* unmanaged[Cdecl]<nint, ulong, nuint, uint, void>)&Dma.DmaSyncSingleForDevice)(
            pool.Ptr(PagePoolLayout.Dev), dma + pool.U32(PagePoolLayout.Offset), length, pool.U32(PagePoolLayout.DmaDir));
    }

    // 6.1's page_pool_put_page() after the fragment count (page_pool_put_defragged_page), 6.12's after the pool
    // reference count (page_pool_put_unrefed_page/_netmem: a netmem_ref of a page is the page's address). The pool
    // holds no other reference to the page then; dma_sync_size -1 means all of max_len.
    [KernelSymbol("page_pool_put_defragged_page"), KernelSymbol("page_pool_put_unrefed_page"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PagePoolPutPage(nint pool, nint page, uint dmaSyncSize, byte allowDirect) => Put(pool, page, dmaSyncSize);

    // 6.12's netmem_ref is an unsigned long holding the page's address (no net_iov here: its low bit is clear).
    [KernelSymbol("page_pool_put_unrefed_netmem"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PagePoolPutNetmem(nint pool, nuint netmem, uint dmaSyncSize, byte allowDirect) => Put(pool, (nint)netmem, dmaSyncSize);

    /// <summary>Takes <paramref name="page"/> back into <paramref name="address"/>: kept when the pool holds its only reference and has room, else it leaves the pool.</summary>
    public static void Put(nint address, nint page, uint dmaSyncSize)
    {
        var pool = Known(address, "page_pool_put_page");
        if ((page & 1) != 0) // NET_IOV: a net_iov, which only memory providers hand out
            Machine.Fatal($"page_pool_put_page(0x{address:x}): 0x{page:x} is a net_iov, and no memory provider exists here");
        if (page.Ptr(PagePoolLayout.PagePool) != address)
            Machine.Fatal($"page_pool_put_page(0x{address:x}): page 0x{page:x} is not this pool's");
        // __page_pool_put_page(): recycled only while the pool's reference is the page's only one.
        if (page.I32(PageLayout.RefCount) == 1 && !pool.Destroyed && pool.Cache.Count < pool.Capacity)
        {
            if (pool.SyncForDevice)
                SyncForDevice(address, page, Math.Min(dmaSyncSize, address.U32(PagePoolLayout.MaxLen)));
            pool.Cache.Push(page);
            return;
        }
        Release(pool, page);
        Memory.PutPage(page);
        FreeIfDone(pool);
    }

    // 6.1: the page leaves the pool (unmapped, unmarked), and the caller keeps it as an ordinary page (stmmac gives
    // it to an skb). 6.2 removed the function with its last users.
    [KernelSymbol("page_pool_release_page"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PagePoolReleasePage(nint pool, nint page)
    {
        var p = Known(pool, "page_pool_release_page");
        Release(p, page);
        FreeIfDone(p);
    }

    // page_pool_release_page()/page_pool_return_page(): unmapped, and no longer the pool's.
    private static void Release(Pool pool, nint page)
    {
        if (pool.DmaMap)
        {
            ulong dma = page.U64(PagePoolLayout.PageDmaAddr);
            ((delegate* unmanaged[Cdecl]<nint, ulong, nuint, uint, ulong, void>)&Dma.DmaUnmapPageAttrs)(
                pool.Address.Ptr(PagePoolLayout.Dev), dma, (nuint)PhysicalMemory.PageSize << pool.Order, pool.Address.U32(PagePoolLayout.DmaDir), DmaAttrSkipCpuSync | DmaAttrWeakOrdering);
            page.U64(PagePoolLayout.PageDmaAddr, 0);
        }
        page.U64(PagePoolLayout.PageMagic, 0);
        page.Ptr(PagePoolLayout.PagePool, 0);
        pool.Released++;
    }

    [KernelSymbol("page_pool_destroy"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PagePoolDestroy(nint pool) => Destroy(pool);

    /// <summary>
    /// page_pool_destroy(): drops a user reference (the driver's, or the one an XDP memory model took); at the
    /// last, the cached pages go back to the page allocator and the pool takes no more; its struct is freed when
    /// no page it handed out is still out.
    /// </summary>
    public static void Destroy(nint address)
    {
        if (address == 0)
            return;
        var pool = Known(address, "page_pool_destroy");
        if (Interlocked.Decrement(ref *(int*)address.At(PagePoolLayout.UserCnt)) != 0)
            return;
        pool.Destroyed = true;
        while (pool.Cache.TryPop(out nint page))
        {
            Release(pool, page);
            Memory.PutPage(page);
        }
        if (!FreeIfDone(pool))
            Machine.Log(4, $"page_pool_destroy(0x{address:x}): {pool.InFlight} page(s) still in flight; the pool is freed when they return");
    }

    private static bool FreeIfDone(Pool pool)
    {
        if (!pool.Destroyed || pool.InFlight > 0)
            return false;
        lock (Pools)
            Pools.Remove(pool.Address);
        Memory.Free(pool.Address);
        return true;
    }

    /// <summary>page_pool_use_xdp_mem(): an XDP memory model holds the pool too (a user reference) under <paramref name="memId"/>.</summary>
    internal static bool UseXdpMem(nint address, uint memId)
    {
        if (!IsPool(address))
            return false;
        Interlocked.Increment(ref *(int*)address.At(PagePoolLayout.UserCnt));
        address.U32(PagePoolLayout.XdpMemId, memId);
        return true;
    }
}
