// SPDX-License-Identifier: MIT
// Managed side. ethtool (net/ethtool): the core helpers drivers call (legacy 32-bit link-mode masks,
// the default timestamping and link answers) and the queries the host makes through a driver's
// ethtool_ops, as `ethtool -i`, `ethtool` and `ethtool -S` do.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Posix;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Ethtool
{
    // net/core/ethtool.c: one random key for the machine (NETDEV_RSS_KEY_LEN bytes), drawn at its first use
    // from the kernel's random bytes (getrandom(2), which the sandbox allows; no file or library to load).
    private static byte[]? _rssKey;

    [KernelSymbol("netdev_rss_key_fill"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetdevRssKeyFill(nint buffer, nuint len)
    {
        if (_rssKey is null)
        {
            var key = new byte[52];
            fixed (byte* k = key)
                if (LinuxShim.Posix.Libc.GetRandom(k, (nuint)key.Length, 0) != key.Length)
                    Machine.Fatal($"netdev_rss_key_fill: getrandom failed (errno {Marshal.GetLastPInvokeError()})");
            _rssKey = key;
        }
        if (len > (nuint)_rssKey.Length)
            Machine.Fatal($"netdev_rss_key_fill: {len} bytes asked, the key has {_rssKey.Length}");
        _rssKey.AsSpan(0, (int)len).CopyTo(new Span<byte>((void*)buffer, (int)len));
    }

    private static int MaskWords => (int)((EthtoolLayout.LinkModeBits.Value + 63) / 64);

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

    /// <summary>get_drvinfo: driver, version, firmware, bus; null when the driver has none.</summary>
    public static EthtoolDriverInfo? DriverInfo(NetDevice device) => Query(device, EthtoolLayout.OpsGetDrvinfo, op =>
    {
        nint info = Memory.Allocate(EthtoolLayout.DrvinfoSize.Size, GfpFlags.Zero);
        try
        {
            ((delegate* unmanaged<nint, nint, void>)op)(device.Pointer, info);
            return new EthtoolDriverInfo(Text(info, EthtoolLayout.DrvinfoDriver), Text(info, EthtoolLayout.DrvinfoVersion),
                Text(info, EthtoolLayout.DrvinfoFwVersion), Text(info, EthtoolLayout.DrvinfoBusInfo));
        }
        finally
        {
            Memory.Free(info);
        }
    });

    /// <summary>get_link: the driver's own view of the link; null when the driver has no get_link.</summary>
    public static bool? Link(NetDevice device) =>
        Query<bool?>(device, EthtoolLayout.OpsGetLink, op => ((delegate* unmanaged<nint, uint>)op)(device.Pointer) != 0);

    /// <summary>get_link_ksettings: speed (Mbit/s, null when unknown), duplex and autonegotiation.</summary>
    public static EthtoolLinkSettings? LinkSettings(NetDevice device) => Query(device, EthtoolLayout.OpsGetLinkKsettings, op =>
    {
        nint ks = Memory.Allocate(EthtoolLayout.LinkKsettingsSize.Size, GfpFlags.Zero);
        try
        {
            if (((delegate* unmanaged<nint, nint, int>)op)(device.Pointer, ks) != 0)
                return null;
            uint speed = ks.U32(EthtoolLayout.Speed);
            int duplex = ks.U8(EthtoolLayout.Duplex);
            return new EthtoolLinkSettings(speed == EthtoolLayout.SpeedUnknown ? null : (int)speed,
                duplex == EthtoolLayout.DuplexFull ? "full" : duplex == EthtoolLayout.DuplexHalf ? "half" : "unknown",
                ks.U8(EthtoolLayout.Autoneg) != 0);
        }
        finally
        {
            Memory.Free(ks);
        }
    });

    private const int MaxStatistics = 4096;

    /// <summary>The driver's own counters (get_sset_count, get_strings, get_ethtool_stats), in its order.</summary>
    public static List<KeyValuePair<string, ulong>> Statistics(NetDevice device)
    {
        return Query(device, EthtoolLayout.OpsGetEthtoolStats, op =>
        {
            nint ops = device.Pointer.Ptr(NetDevLayout.EthtoolOps);
            nint countOp = ops.Ptr(EthtoolLayout.OpsGetSsetCount), stringsOp = ops.Ptr(EthtoolLayout.OpsGetStrings);
            if (countOp == 0 || stringsOp == 0)
                return [];
            int n = ((delegate* unmanaged<nint, int, int>)countOp)(device.Pointer, EthtoolLayout.SsetStats);
            if (n <= 0 || n > MaxStatistics)
                return [];
            nint names = Memory.Allocate((long)n * EthtoolLayout.GstringLen, GfpFlags.Zero);
            nint stats = Memory.Allocate(EthtoolLayout.StatsSize.Size, GfpFlags.Zero);
            nint values = Memory.Allocate((long)n * 8, GfpFlags.Zero);
            try
            {
                ((delegate* unmanaged<nint, uint, nint, void>)stringsOp)(device.Pointer, (uint)EthtoolLayout.SsetStats, names);
                stats.U32(EthtoolLayout.StatsNStats, (uint)n);
                ((delegate* unmanaged<nint, nint, nint, void>)op)(device.Pointer, stats, values);
                var list = new List<KeyValuePair<string, ulong>>(n);
                for (int i = 0; i < n; i++)
                {
                    var name = new ReadOnlySpan<byte>((void*)(names + i * EthtoolLayout.GstringLen), EthtoolLayout.GstringLen);
                    int end = name.IndexOf((byte)0);
                    list.Add(new(System.Text.Encoding.UTF8.GetString(end < 0 ? name : name[..end]), ((ulong*)values)[i]));
                }
                return list;
            }
            finally
            {
                Memory.Free(names);
                Memory.Free(stats);
                Memory.Free(values);
            }
        }) ?? [];
    }

    // Calls one ethtool op under RTNL on the CPU, as the ethtool netlink handlers do; default when the driver lacks it.
    private static T? Query<T>(NetDevice device, StructField<nint> op, Func<nint, T?> call) => Cpu.Run(() =>
    {
        nint ops = device.Pointer.Ptr(NetDevLayout.EthtoolOps);
        nint fn = ops == 0 ? 0 : ops.Ptr(op);
        if (fn == 0)
            return default;
        Locking.RtnlLock();
        try
        {
            return call(fn);
        }
        finally
        {
            Locking.RtnlUnlock();
        }
    });

    private static string Text(nint p, StructField f)
    {
        var bytes = new ReadOnlySpan<byte>((void*)p.At(f), f.Size);
        int end = bytes.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]);
    }

    private const int EthGstringLen = 32; // ETH_GSTRING_LEN (include/uapi/linux/ethtool.h)

    /// <summary>ethtool_puts() (6.8, net/ethtool/common.c): one statistics name, strscpy()'d into the next ETH_GSTRING_LEN slot.</summary>
    [KernelSymbol("ethtool_puts"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void EthtoolPuts(byte** data, byte* str) => Puts(data, str);

    public static void Puts(byte** data, byte* str)
    {
        int n = 0;
        while (n < EthGstringLen - 1 && str[n] != 0)
            n++;
        Buffer.MemoryCopy(str, *data, n, n);
        (*data)[n] = 0;
        *data += EthGstringLen;
    }
}

public sealed record EthtoolDriverInfo(string Driver, string Version, string Firmware, string BusInfo);

public sealed record EthtoolLinkSettings(int? SpeedMbps, string Duplex, bool Autoneg);
