// SPDX-License-Identifier: MIT
// Managed side. Page pools (net/core/page_pool.c): the fields of struct page_pool the inline helpers of
// <net/page_pool/helpers.h> (6.1: <net/page_pool.h>) read in a driver (p.dma_dir, p.offset, p.max_len, p.nid,
// p.order, user_cnt), the parameters page_pool_create() takes, and the page_pool members of struct page
// (pp_magic, pp, dma_addr and the reference count of the pool's own, pp_ref_count / 6.1's pp_frag_count).
// 6.1 defines these in <net/page_pool.h>; shim/include/6.1/net/page_pool/types.h brings that in under the name
// later kernels use.
namespace LinuxShim.Shim.Layout;

public static class PagePoolLayout
{
    private const string H = "net/page_pool/types.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "page_pool");

    // struct page_pool's p: all of struct page_pool_params in 6.1, its leading "fast" group (struct
    // page_pool_params_fast) from 6.6 on; either way the first sizeof(p) bytes of the parameters, whose fields
    // from order to offset it shares with them. Flags are not in 6.12's p (they are in slow): the shim keeps them.
    public static readonly StructField P = KernelLayout.Field(H, "page_pool", "p");
    public static readonly StructField<uint> Order = KernelLayout.Field<uint>(H, "page_pool", "p.order");
    public static readonly StructField<uint> PoolSize = KernelLayout.Field<uint>(H, "page_pool", "p.pool_size");
    public static readonly StructField<nint> Dev = KernelLayout.Field<nint>(H, "page_pool", "p.dev");
    public static readonly StructField<uint> DmaDir = KernelLayout.Field<uint>(H, "page_pool", "p.dma_dir");
    public static readonly StructField<uint> MaxLen = KernelLayout.Field<uint>(H, "page_pool", "p.max_len");
    public static readonly StructField<uint> Offset = KernelLayout.Field<uint>(H, "page_pool", "p.offset");
    public static readonly StructField<uint> XdpMemId = KernelLayout.Field<uint>(H, "page_pool", "xdp_mem_id");
    public static readonly StructField<int> UserCnt = KernelLayout.Field<int>(H, "page_pool", "user_cnt.refs.counter");

    // struct page_pool_params: the fast fields first in both kernels (P above copies them), then the rest.
    public static readonly StructField<uint> ParamsFlags = KernelLayout.Field<uint>(H, "page_pool_params", "flags");
    public static readonly StructField<uint> ParamsOrder = KernelLayout.Field<uint>(H, "page_pool_params", "order");
    public static readonly StructField<uint> ParamsPoolSize = KernelLayout.Field<uint>(H, "page_pool_params", "pool_size");
    public static readonly StructField<nint> ParamsDev = KernelLayout.Field<nint>(H, "page_pool_params", "dev");
    public static readonly StructField<uint> ParamsDmaDir = KernelLayout.Field<uint>(H, "page_pool_params", "dma_dir");
    public static readonly StructField<uint> ParamsMaxLen = KernelLayout.Field<uint>(H, "page_pool_params", "max_len");
    public static readonly StructField<uint> ParamsOffset = KernelLayout.Field<uint>(H, "page_pool_params", "offset");
    public static readonly StructField<nint> ParamsInitCallback = KernelLayout.Field<nint>(H, "page_pool_params", "init_callback");
    public static readonly StructField<nint> ParamsInitArg = KernelLayout.Field<nint>(H, "page_pool_params", "init_arg");

    public static readonly uint FlagDmaMap = (uint)KernelLayout.Constant(H, "PP_FLAG_DMA_MAP", 1);
    public static readonly uint FlagDmaSyncDev = (uint)KernelLayout.Constant(H, "PP_FLAG_DMA_SYNC_DEV", 2);

    /// <summary>Every flag this kernel knows (6.1: DMA_MAP, DMA_SYNC_DEV, PAGE_FRAG; 6.12 adds SYSTEM_POOL and ALLOW_UNREADABLE_NETMEM in place of PAGE_FRAG).</summary>
    public static readonly KernelConstant FlagAll = KernelLayout.ConstantOf(H, "PP_FLAG_ALL");

    /// <summary>What a page of a pool carries in pp_magic (0x40 + POISON_POINTER_DELTA, a configured value).</summary>
    public static readonly KernelConstant Signature = KernelLayout.ConstantOf("linux/poison.h", "PP_SIGNATURE");

    // The page_pool members of struct page (an anonymous struct in struct page's first union in both kernels).
    private const string M = "linux/mm_types.h";
    public static readonly StructField<ulong> PageMagic = KernelLayout.Field<ulong>(M, "page", "pp_magic");
    public static readonly StructField<nint> PagePool = KernelLayout.Field<nint>(M, "page", "pp");
    public static readonly StructField<ulong> PageDmaAddr = KernelLayout.Field<ulong>(M, "page", "dma_addr");

    /// <summary>
    /// The pool's reference count of a page: 6.12's pp_ref_count, 6.1's pp_frag_count (in a union with dma_addr_upper,
    /// which 64-bit kernels never use). Named differently, both are the atomic_long_t right after dma_addr, so the
    /// offset is dma_addr's plus its unsigned long (a name both kernels have cannot be declared).
    /// </summary>
    public static int PageRefCountOffset => PageDmaAddr.Offset + sizeof(ulong);
}

public static class DmaDirection
{
    private const string H = "linux/dma-direction.h";
    public static readonly uint Bidirectional = (uint)KernelLayout.Constant(H, "DMA_BIDIRECTIONAL", 0);
    public static readonly uint ToDevice = (uint)KernelLayout.Constant(H, "DMA_TO_DEVICE", 1);
    public static readonly uint FromDevice = (uint)KernelLayout.Constant(H, "DMA_FROM_DEVICE", 2);
}
