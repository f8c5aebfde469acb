// SPDX-License-Identifier: MIT
// Tests of the network core's feature rules (net/core/dev.c netdev_fix_features()) as the shim applies
// them in netdev_update_features().
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed class NetFeaturesTests
{
    // One bit each, in an order of their own: the rules must not depend on the kernel's numbering.
    private static readonly FeatureBits B = new(HwCsum: 1 << 0, IpCsum: 1 << 1, Ipv6Csum: 1 << 2, Sg: 1 << 3, Tso: 1 << 4,
        TsoEcn: 1 << 5, Tso6: 1 << 6, TsoMangleId: 1 << 7, Gso: 1 << 8, GsoPartial: 1 << 9, RxCsum: 1 << 10, GroHw: 1 << 11,
        RxFcs: 1 << 12, Lro: 1 << 13, HwTlsTx: 1 << 14, HwTlsRx: 1 << 15);

    [Fact]
    public void ConsistentFeaturesStay()
    {
        ulong f = B.Sg | B.IpCsum | B.Ipv6Csum | B.Tso | B.Tso6 | B.Gso | B.RxCsum | B.GroHw;
        Assert.Equal(f, NetFeatures.Fix(B, f, 0));
    }

    [Fact]
    public void TsoWithoutScatterGatherOrChecksumIsDropped()
    {
        Assert.Equal(B.IpCsum, NetFeatures.Fix(B, B.IpCsum | B.Tso | B.TsoEcn | B.Tso6, 0)); // no SG
        Assert.Equal(B.Sg | B.Ipv6Csum | B.Tso6, NetFeatures.Fix(B, B.Sg | B.Ipv6Csum | B.Tso | B.TsoEcn | B.Tso6, 0)); // no IPv4 checksum
        Assert.Equal(B.Sg | B.HwCsum, NetFeatures.Fix(B, B.Sg | B.HwCsum | B.TsoEcn, 0)); // ECN without TSO
    }

    [Fact]
    public void MixedChecksumsKeepTheHardwareOne()
    {
        Assert.Equal(B.HwCsum | B.Sg, NetFeatures.Fix(B, B.HwCsum | B.IpCsum | B.Ipv6Csum | B.Sg, 0));
    }

    [Fact]
    public void ReceiveRulesAndGsoPartial()
    {
        Assert.Equal(0ul, NetFeatures.Fix(B, B.GroHw, 0));                          // hardware GRO needs RXCSUM
        Assert.Equal(B.RxCsum | B.RxFcs, NetFeatures.Fix(B, B.RxCsum | B.RxFcs | B.Lro | B.GroHw, 0));
        Assert.Equal(B.RxCsum | B.GroHw, NetFeatures.Fix(B, B.RxCsum | B.GroHw | B.Lro, 0));
        const ulong tunnel = 1UL << 40;
        Assert.Equal(B.Sg, NetFeatures.Fix(B, B.Sg | tunnel, tunnel));               // partial GSO feature without GSO_PARTIAL
        Assert.Equal(B.Sg | B.GsoPartial | tunnel, NetFeatures.Fix(B, B.Sg | B.GsoPartial | tunnel, tunnel));
    }
}
