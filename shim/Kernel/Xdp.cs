// SPDX-License-Identifier: MIT
// Managed side. XDP receive-queue registration (net/core/xdp.c): a driver registers each receive queue's
// xdp_rxq_info when it opens and says how its buffers are returned (the memory model): page-shared, order-0
// pages, or a page pool of this host (PagePool), which the model then holds a reference to (under a memory id,
// as net/core/xdp.c's allocator table) until it is unregistered. AF_XDP (xsk_*) is not offered, so no
// MEM_TYPE_XSK_BUFF_POOL model ever has buffers. Running XDP programs (bpf_prog_run_xdp, xdp_do_redirect, ...) is not part of this: those stay missing.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Xdp
{
    // net/core/xdp.c's REG_STATE_* (file-local, so not in any header).
    private const uint StateRegistered = 1, StateUnregistered = 2, StateUnused = 3;

    // net/core/xdp.c hands out memory ids 1..MEM_ID_MAX-1 (0xfffe) cyclically to models with an allocator.
    private const uint MemIdMax = 0xfffe;
    private static readonly Dictionary<uint, nint> Allocators = [];
    private static uint _nextMemId = 1;

    private static uint NewMemId()
    {
        lock (Allocators)
        {
            for (uint tries = 0; tries < MemIdMax; tries++)
            {
                uint id = _nextMemId;
                _nextMemId = _nextMemId >= MemIdMax - 1 ? 1 : _nextMemId + 1;
                if (!Allocators.ContainsKey(id))
                    return id;
            }
            return 0;
        }
    }

    [KernelSymbol("__xdp_rxq_info_reg"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int XdpRxqInfoReg(nint rxq, nint dev, uint queueIndex, uint napiId, uint fragSize)
    {
        if (dev == 0)
        {
            Machine.Log(4, "WARNING: xdp_rxq_info_reg: Missing net_device from driver");
            return -19;
        }
        uint state = rxq.U32(XdpLayout.RxqRegState);
        if (state == StateUnused)
        {
            Machine.Log(4, "WARNING: xdp_rxq_info_reg: Driver promised not to register this");
            return -22;
        }
        if (state == StateRegistered)
            Machine.Log(4, "WARNING: xdp_rxq_info_reg: Missing unregister, handled but fix driver");
        NativeMemory.Clear((void*)rxq, (nuint)XdpLayout.RxqSize.Size);
        rxq.Ptr(XdpLayout.RxqDev, dev);
        rxq.U32(XdpLayout.RxqQueueIndex, queueIndex);
        rxq.U32(XdpLayout.RxqNapiId, napiId);
        rxq.U32(XdpLayout.RxqFragSize, fragSize);
        rxq.U32(XdpLayout.RxqRegState, StateRegistered);
        return 0;
    }

    [KernelSymbol("xdp_rxq_info_reg_mem_model"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int XdpRxqInfoRegMemModel(nint rxq, uint type, nint allocator)
    {
        if (rxq.U32(XdpLayout.RxqRegState) != StateRegistered)
        {
            Machine.Log(4, "WARNING: xdp_rxq_info_reg_mem_model: Missing register, driver bug");
            return -14; // -EFAULT
        }
        if (type > XdpLayout.MemTypeXskBuffPool)
            return -22;
        if (allocator == 0)
        {
            if (type == XdpLayout.MemTypePagePool)
                return -22; // a page pool model needs its pool
            rxq.U32(XdpLayout.RxqMemType, type); // no allocator: no id to hand out (mem.id stays 0)
            return 0;
        }
        if (type == XdpLayout.MemTypePagePool && !PagePool.IsPool(allocator))
        {
            Machine.Fatal($"xdp_rxq_info_reg_mem_model: 0x{allocator:x} is not a page pool of this host");
            return -22;
        }
        uint id = NewMemId();
        if (id == 0)
            return -28; // -ENOSPC: every id in use
        lock (Allocators)
            Allocators[id] = allocator;
        if (type == XdpLayout.MemTypePagePool)
            PagePool.UseXdpMem(allocator, id);
        rxq.U32(XdpLayout.RxqMemType, type);
        rxq.U32(XdpLayout.RxqMemId, id);
        return 0;
    }

    [KernelSymbol("xdp_rxq_info_is_reg"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte XdpRxqInfoIsReg(nint rxq) => (byte)(rxq.U32(XdpLayout.RxqRegState) == StateRegistered ? 1 : 0);

    [KernelSymbol("xdp_rxq_info_unreg_mem_model"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void XdpRxqInfoUnregMemModel(nint rxq)
    {
        uint state = rxq.U32(XdpLayout.RxqRegState);
        if (state == StateUnused)
            return;
        if (state != StateRegistered)
        {
            Machine.Log(4, "WARNING: xdp_rxq_info_unreg_mem_model: Missing register, driver bug");
            return;
        }
        UnregMemModel(rxq);
    }

    /// <summary>xdp_unreg_mem_model(): the memory info back to its defaults; a page pool loses the model's reference.</summary>
    private static void UnregMemModel(nint rxq)
    {
        uint type = rxq.U32(XdpLayout.RxqMemType), id = rxq.U32(XdpLayout.RxqMemId);
        rxq.U32(XdpLayout.RxqMemType, 0);
        rxq.U32(XdpLayout.RxqMemId, 0);
        if (id == 0)
            return;
        nint allocator;
        lock (Allocators)
            Allocators.Remove(id, out allocator);
        if (type == XdpLayout.MemTypePagePool && allocator != 0)
            PagePool.Destroy(allocator);
    }

    [KernelSymbol("xdp_rxq_info_unreg"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void XdpRxqInfoUnreg(nint rxq)
    {
        uint state = rxq.U32(XdpLayout.RxqRegState);
        if (state == StateUnused)
            return;
        if (state == StateRegistered)
            UnregMemModel(rxq);
        else
            Machine.Log(4, "WARNING: xdp_rxq_info_unreg_mem_model: Missing register, driver bug");
        rxq.U32(XdpLayout.RxqRegState, StateUnregistered);
        rxq.Ptr(XdpLayout.RxqDev, 0);
    }
}
