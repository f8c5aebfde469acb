// SPDX-License-Identifier: MIT
// Tests of page pools (net/core/page_pool.c) and their XDP memory model, in process over structures laid out as
// Debian 6.1's headers lay them out: what stmmac's receive path relies on (a page mapped for the device at its
// physical address, recycled while the pool holds its only reference, released otherwise) and the pool's lifetime.
using System.Runtime.InteropServices;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Kernel;

[Collection(KernelCollection.Name)]
public sealed unsafe class PagePoolTests
{
    private static readonly Lock Gate = new();

    public PagePoolTests(KernelFixture kernel)
    {
        InProcessMachine.Boot(kernel);
        lock (Gate)
            if (Machine.Memory.PageArray == 0)
                Machine.Memory.CreatePageArray(PageLayout.Size.Size);
    }

    private static nint Zeroed(int size) => (nint)NativeMemory.AllocZeroed((nuint)size);

    private static nint Params(uint flags, uint dmaDir, uint maxLen = 2048, uint offset = 64, uint poolSize = 4)
    {
        nint p = Zeroed(256);
        p.U32(PagePoolLayout.ParamsFlags, flags);
        p.U32(PagePoolLayout.ParamsDmaDir, dmaDir);
        p.U32(PagePoolLayout.ParamsMaxLen, maxLen);
        p.U32(PagePoolLayout.ParamsOffset, offset);
        p.U32(PagePoolLayout.ParamsPoolSize, poolSize);
        p.Ptr(PagePoolLayout.ParamsDev, Zeroed(4096));
        return p;
    }

    private static uint MapAndSync => PagePoolLayout.FlagDmaMap | PagePoolLayout.FlagDmaSyncDev;

    private static nint Create(nint parameters) => Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, nint>)&PagePool.PagePoolCreate)(parameters));
    private static nint Alloc(nint pool) => Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, uint, nint>)&PagePool.PagePoolAllocPages)(pool, 0));

    private static void Put(nint pool, nint page) =>
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, nint, uint, byte, void>)&PagePool.PagePoolPutPage)(pool, page, uint.MaxValue, 1));

    private static void Destroy(nint pool) => Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, void>)&PagePool.PagePoolDestroy)(pool));

    [Fact]
    public void CreateLaysOutWhatTheInlineHelpersReadAndRefusesWhatPagePoolInitRefuses()
    {
        nint pool = Create(Params(MapAndSync, DmaDirection.FromDevice));
        Assert.True(PagePool.IsPool(pool));
        Assert.Equal(DmaDirection.FromDevice, pool.U32(PagePoolLayout.DmaDir)); // page_pool_get_dma_dir()
        Assert.Equal(64u, pool.U32(PagePoolLayout.Offset));
        Assert.Equal(2048u, pool.U32(PagePoolLayout.MaxLen));
        Assert.Equal(1, pool.I32(PagePoolLayout.UserCnt));
        Destroy(pool);
        Assert.False(PagePool.IsPool(pool));

        Assert.Equal(-22L, (long)Create(Params(PagePoolLayout.FlagDmaMap, DmaDirection.ToDevice))); // the device must write the pages
        Assert.Equal(-22L, (long)Create(Params(PagePoolLayout.FlagDmaSyncDev, DmaDirection.FromDevice))); // a sync needs a mapping
        Assert.Equal(-22L, (long)Create(Params(MapAndSync, DmaDirection.FromDevice, maxLen: 0))); // and a length
        Assert.Equal(-22L, (long)Create(Params(0x80000000, DmaDirection.FromDevice))); // an unknown flag
    }

    [Fact]
    public void APageIsMappedAtItsPhysicalAddressMarkedAndRecycledWhileThePoolHoldsItsOnlyReference()
    {
        nint pool = Create(Params(MapAndSync, DmaDirection.Bidirectional));
        nint page = Alloc(pool);
        Assert.NotEqual(0, page);
        Assert.Equal(Machine.Memory.ToPhysical(Machine.Memory.PageToVirtual(page)), page.U64(PagePoolLayout.PageDmaAddr)); // page_pool_get_dma_addr()
        Assert.Equal(pool, page.Ptr(PagePoolLayout.PagePool));
        Assert.Equal((ulong)PagePoolLayout.Signature.Value, page.U64(PagePoolLayout.PageMagic));
        Assert.Equal(1L, *(long*)(page + PagePoolLayout.PageRefCountOffset)); // what page_pool_put_page() counts down
        Assert.Equal(1, page.I32(PageLayout.RefCount));
        Assert.Equal(1L, PagePool.InFlight(pool));

        Put(pool, page);
        Assert.Equal(1, PagePool.Cached(pool));
        Assert.Equal(0L, PagePool.InFlight(pool));
        Assert.Equal(page, Alloc(pool)); // the same page, still mapped
        Assert.Equal(Machine.Memory.ToPhysical(Machine.Memory.PageToVirtual(page)), page.U64(PagePoolLayout.PageDmaAddr));

        // Someone else holds it too (an skb frag after get_page()): it leaves the pool, and the pool's reference goes.
        page.I32(PageLayout.RefCount, 2);
        Put(pool, page);
        Assert.Equal(0, PagePool.Cached(pool));
        Assert.Equal(0L, page.Ptr(PagePoolLayout.PagePool));
        Assert.Equal(0UL, page.U64(PagePoolLayout.PageDmaAddr));
        Assert.Equal(1, page.I32(PageLayout.RefCount));
        Assert.True(Memory.IsAllocatedPage(page)); // the other holder's page still
        Memory.PutPage(page);
        Destroy(pool);
        Assert.False(PagePool.IsPool(pool));
    }

    [Fact]
    public void PagesInFlightKeepADestroyedPoolUntilTheyReturnAndReleasedPagesLeaveIt()
    {
        nint pool = Create(Params(MapAndSync, DmaDirection.FromDevice));
        nint cached = Alloc(pool), out1 = Alloc(pool), released = Alloc(pool);
        Assert.NotEqual(cached, out1);
        Put(pool, cached);
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, nint, void>)&PagePool.PagePoolReleasePage)(pool, released)); // 6.1's stmmac_rx
        Assert.Equal(0L, released.Ptr(PagePoolLayout.PagePool));
        Assert.Equal(1, released.I32(PageLayout.RefCount)); // the caller's now
        Assert.Equal(1L, PagePool.InFlight(pool));

        Destroy(pool);
        Assert.False(Memory.IsAllocatedPage(cached)); // the cache went back to the page allocator
        Assert.False(PagePool.IsPool(pool));
        Assert.Equal(1L, PagePool.InFlight(pool)); // but the struct stays for the page still out
        Put(pool, out1);
        Assert.False(Memory.IsAllocatedPage(out1)); // a destroyed pool keeps nothing
        Assert.Equal(0L, PagePool.InFlight(pool));
        Memory.PutPage(released);
    }

    [Fact]
    public void AnXdpMemoryModelHoldsThePoolUntilItIsUnregistered()
    {
        nint pool = Create(Params(MapAndSync, DmaDirection.FromDevice));
        nint rxq = Zeroed(XdpLayout.RxqSize.Size), dev = Zeroed(4096);
        Cpu.Run(() =>
        {
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, uint, uint, uint, int>)&Xdp.XdpRxqInfoReg)(rxq, dev, 0, 0, 0));
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, byte>)&Xdp.XdpRxqInfoIsReg)(rxq));
            Assert.Equal(-22, ((delegate* unmanaged[Cdecl]<nint, uint, nint, int>)&Xdp.XdpRxqInfoRegMemModel)(rxq, XdpLayout.MemTypePagePool, 0));
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, uint, nint, int>)&Xdp.XdpRxqInfoRegMemModel)(rxq, XdpLayout.MemTypePagePool, pool));
        });
        Assert.Equal(XdpLayout.MemTypePagePool, rxq.U32(XdpLayout.RxqMemType));
        uint id = rxq.U32(XdpLayout.RxqMemId);
        Assert.NotEqual(0u, id);
        Assert.Equal(id, pool.U32(PagePoolLayout.XdpMemId));
        Assert.Equal(2, pool.I32(PagePoolLayout.UserCnt));

        Destroy(pool); // the driver's reference
        Assert.True(PagePool.IsPool(pool));
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, void>)&Xdp.XdpRxqInfoUnregMemModel)(rxq));
        Assert.False(PagePool.IsPool(pool));
        Assert.Equal(0u, rxq.U32(XdpLayout.RxqMemId));
        Assert.Equal(0u, rxq.U32(XdpLayout.RxqMemType));
        Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, void>)&Xdp.XdpRxqInfoUnreg)(rxq));
        Assert.Equal(0, Cpu.Run(() => ((delegate* unmanaged[Cdecl]<nint, byte>)&Xdp.XdpRxqInfoIsReg)(rxq)));
    }
}
