// SPDX-License-Identifier: MIT
// Managed side. Offload feature negotiation of the network core (net/core/dev.c,
// netdev_update_features()): the features the device wants, fixed up by its driver (ndo_fix_features)
// and by the core's rules (netdev_fix_features()), are handed to ndo_set_features when they change.
// A driver host's devices have no upper or lower devices (bonds, bridges), no VLAN devices and no UDP
// tunnels, so the replays Linux does for those have nothing to replay.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

/// <summary>The NETIF_F_* masks netdev_fix_features() names.</summary>
public sealed record FeatureBits(ulong HwCsum, ulong IpCsum, ulong Ipv6Csum, ulong Sg, ulong Tso, ulong TsoEcn, ulong Tso6,
    ulong TsoMangleId, ulong Gso, ulong GsoPartial, ulong RxCsum, ulong GroHw, ulong RxFcs, ulong Lro, ulong HwTlsTx, ulong HwTlsRx)
{
    public ulong AllTso => Tso | Tso6 | TsoEcn | TsoMangleId;
}

public static unsafe class NetFeatures
{
    private static FeatureBits? _bits;

    private static FeatureBits Bits => _bits ??= new FeatureBits(M(NetFeaturesLayout.HwCsum), M(NetFeaturesLayout.IpCsum),
        M(NetFeaturesLayout.Ipv6Csum), M(NetFeaturesLayout.Sg), M(NetFeaturesLayout.Tso), M(NetFeaturesLayout.TsoEcn),
        M(NetFeaturesLayout.Tso6), M(NetFeaturesLayout.TsoMangleId), M(NetFeaturesLayout.Gso), M(NetFeaturesLayout.GsoPartial),
        M(NetFeaturesLayout.RxCsum), M(NetFeaturesLayout.GroHw), M(NetFeaturesLayout.RxFcs), M(NetFeaturesLayout.Lro),
        M(NetFeaturesLayout.HwTlsTx), M(NetFeaturesLayout.HwTlsRx));

    private static ulong M(KernelConstant bit) => 1UL << (int)bit.Value;

    /// <summary>netdev_fix_features(): the combinations the core refuses, taken out of <paramref name="features"/>.</summary>
    public static ulong Fix(FeatureBits b, ulong features, ulong gsoPartialFeatures)
    {
        if ((features & b.HwCsum) != 0 && (features & (b.IpCsum | b.Ipv6Csum)) != 0)
            features &= ~(b.IpCsum | b.Ipv6Csum); // mixed HW and IP checksum settings
        if ((features & b.AllTso) != 0 && (features & b.Sg) == 0)
            features &= ~b.AllTso; // TSO needs scatter-gather
        if ((features & b.Tso) != 0 && (features & (b.HwCsum | b.IpCsum)) == 0)
            features &= ~(b.Tso | b.TsoEcn);
        if ((features & b.Tso6) != 0 && (features & (b.HwCsum | b.Ipv6Csum)) == 0)
            features &= ~b.Tso6;
        if ((features & b.TsoMangleId) != 0 && (features & b.Tso) == 0)
            features &= ~b.TsoMangleId;
        if ((features & b.AllTso) == b.TsoEcn)
            features &= ~b.TsoEcn;
        if ((features & b.Gso) != 0 && (features & b.Sg) == 0)
            features &= ~b.Gso;
        if ((features & gsoPartialFeatures) != 0 && (features & b.GsoPartial) == 0)
            features &= ~gsoPartialFeatures;
        if ((features & b.RxCsum) == 0 && (features & b.GroHw) != 0)
            features &= ~b.GroHw; // hardware GRO verifies checksums
        if ((features & b.RxFcs) != 0)
            features &= ~(b.Lro | b.GroHw);
        if ((features & b.GroHw) != 0 && (features & b.Lro) != 0)
            features &= ~b.Lro;
        if ((features & b.HwTlsTx) != 0 && (features & (b.IpCsum | b.Ipv6Csum)) != (b.IpCsum | b.Ipv6Csum) && (features & b.HwCsum) == 0)
            features &= ~b.HwTlsTx;
        if ((features & b.HwTlsRx) != 0 && (features & b.RxCsum) == 0)
            features &= ~b.HwTlsRx;
        return features;
    }

    [KernelSymbol("netdev_update_features"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetdevUpdateFeatures(nint dev) => Update(dev);

    /// <summary>__netdev_update_features(): true when the features changed (or ndo_set_features failed halfway).</summary>
    public static bool Update(nint dev)
    {
        ulong current = dev.U64(NetDevLayout.Features);
        // netdev_get_wanted_features(): what the user cannot change, plus what was asked for of what they can.
        ulong features = (current & ~dev.U64(NetFeaturesLayout.HwFeatures)) | dev.U64(NetFeaturesLayout.WantedFeatures);
        nint ops = dev.Ptr(NetDevLayout.NetdevOps);
        var fix = (delegate* unmanaged<nint, ulong, ulong>)ops.Ptr(NetFeaturesLayout.OpsFixFeatures);
        if (fix != null)
            features = fix(dev, features);
        features = Fix(Bits, features, dev.U64(NetFeaturesLayout.GsoPartialFeatures));
        if (features == current)
            return false;
        var set = (delegate* unmanaged<nint, ulong, int>)ops.Ptr(NetFeaturesLayout.OpsSetFeatures);
        int err = set != null ? set(dev, features) : 0;
        if (err < 0)
        {
            Machine.Log(3, $"{NetCore.Find(dev)?.Name}: set_features() failed ({err}); wanted 0x{features:x}, left 0x{dev.U64(NetDevLayout.Features):x}");
            return true;
        }
        dev.U64(NetDevLayout.Features, features);
        return true;
    }
}
