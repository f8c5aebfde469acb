// SPDX-License-Identifier: MIT
// Managed side. A network device's offload features (include/linux/netdev_features.h): the fields
// netdev_update_features() reads and writes, and the numbers of the feature bits its sanity rules name, read from
// the configured headers (their numbering changes between kernels).
namespace LinuxShim.Shim.Layout;

public static class NetFeaturesLayout
{
    private const string H = "linux/netdevice.h";
    public static readonly StructField<ulong> HwFeatures = KernelLayout.Field<ulong>(H, "net_device", "hw_features");
    public static readonly StructField<ulong> WantedFeatures = KernelLayout.Field<ulong>(H, "net_device", "wanted_features");
    public static readonly StructField<ulong> GsoPartialFeatures = KernelLayout.Field<ulong>(H, "net_device", "gso_partial_features");
    public static readonly StructField<nint> OpsFixFeatures = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_fix_features");
    public static readonly StructField<nint> OpsSetFeatures = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_set_features");

    private static KernelConstant F(string name) => KernelLayout.ConstantOf("linux/netdev_features.h", $"NETIF_F_{name}_BIT");

    public static readonly KernelConstant HwCsum = F("HW_CSUM"), IpCsum = F("IP_CSUM"), Ipv6Csum = F("IPV6_CSUM"), Sg = F("SG"),
        Tso = F("TSO"), TsoEcn = F("TSO_ECN"), Tso6 = F("TSO6"), TsoMangleId = F("TSO_MANGLEID"), Gso = F("GSO"),
        GsoPartial = F("GSO_PARTIAL"), RxCsum = F("RXCSUM"), GroHw = F("GRO_HW"), RxFcs = F("RXFCS"), Lro = F("LRO"),
        HwTlsTx = F("HW_TLS_TX"), HwTlsRx = F("HW_TLS_RX");
}
