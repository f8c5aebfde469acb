// SPDX-License-Identifier: MIT
// Managed side. ethtool core helpers (net/ethtool): legacy 32-bit link-mode masks and the default
// timestamping answer.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Ethtool
{
    private static readonly int MaskWords = (EthtoolLayout.LinkModeBits + 63) / 64;

    [KernelSymbol("ethtool_convert_legacy_u32_to_link_mode"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ConvertLegacyToLinkMode(ulong* dst, uint legacy)
    {
        for (int i = 0; i < MaskWords; i++)
            dst[i] = 0;
        dst[0] = legacy;
    }

    [KernelSymbol("ethtool_convert_link_mode_to_legacy_u32"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte ConvertLinkModeToLegacy(uint* legacy, ulong* src)
    {
        *legacy = (uint)src[0];
        bool fits = src[0] >> 32 == 0;
        for (int i = 1; i < MaskWords; i++)
            fits &= src[i] == 0;
        return (byte)(fits ? 1 : 0);
    }

    private const uint SofTxSoftware = 1 << 1, SofRxSoftware = 1 << 3, SofSoftware = 1 << 4;

    [KernelSymbol("ethtool_op_get_ts_info"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetTsInfo(nint dev, nint info)
    {
        info.U32(EthtoolLayout.TsSoTimestamping, SofTxSoftware | SofRxSoftware | SofSoftware);
        info.I32(EthtoolLayout.TsPhcIndex, -1);
        return 0;
    }

    [KernelSymbol("ethtool_op_get_link"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint GetLink(nint dev) => dev.TestBit(NetDevLayout.State, NetDevLayout.StateNoCarrier) ? 0u : 1u;
}
