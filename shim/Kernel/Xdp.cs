// SPDX-License-Identifier: MIT
// Managed side. XDP receive-queue registration (net/core/xdp.c): a driver registers each receive queue's
// xdp_rxq_info when it opens and says how its buffers are returned (the memory model). Only the models
// that need no allocator are honoured (page-shared, order-0 pages); a page pool would need net/core/page_pool.c.
// Running XDP programs (bpf_prog_run_xdp, xdp_do_redirect, ...) is not part of this: those stay missing.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Xdp
{
    // net/core/xdp.c's REG_STATE_* (file-local, so not in any header).
    private const uint StateRegistered = 1, StateUnregistered = 2, StateUnused = 3;

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
        if (type == XdpLayout.MemTypePagePool || allocator != 0)
        {
            Machine.Fatal("xdp_rxq_info_reg_mem_model: page pools (net/core/page_pool.c) are not implemented");
            return -95;
        }
        rxq.U32(XdpLayout.RxqMemType, type); // no allocator: no id to hand out (mem.id stays 0)
        return 0;
    }

    [KernelSymbol("xdp_rxq_info_unreg"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void XdpRxqInfoUnreg(nint rxq)
    {
        uint state = rxq.U32(XdpLayout.RxqRegState);
        if (state == StateUnused)
            return;
        if (state == StateRegistered)
        {
            rxq.U32(XdpLayout.RxqMemType, 0); // xdp_unreg_mem_model(): defaults again
            rxq.U32(XdpLayout.RxqMemId, 0);
        }
        else
            Machine.Log(4, "WARNING: xdp_rxq_info_unreg_mem_model: Missing register, driver bug");
        rxq.U32(XdpLayout.RxqRegState, StateUnregistered);
        rxq.Ptr(XdpLayout.RxqDev, 0);
    }
}
