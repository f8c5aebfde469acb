// SPDX-License-Identifier: MIT
// Managed side. Fields of the MII and ethtool structures the shim's helpers fill.
namespace LinuxShim.Shim.Layout;

public static class MiiLayout
{
    private const string H = "linux/mii.h";
    public static readonly StructField PhyId = KernelLayout.Field(H, "mii_if_info", "phy_id");
    public static readonly StructField PhyIdMask = KernelLayout.Field(H, "mii_if_info", "phy_id_mask");
    public static readonly StructField RegNumMask = KernelLayout.Field(H, "mii_if_info", "reg_num_mask");
    public static readonly StructField FullDuplex = KernelLayout.Field(H, "mii_if_info", "full_duplex");
    public static readonly StructField ForceMedia = KernelLayout.Field(H, "mii_if_info", "force_media");
    public static readonly StructField SupportsGmii = KernelLayout.Field(H, "mii_if_info", "supports_gmii");
    public static readonly StructField Dev = KernelLayout.Field(H, "mii_if_info", "dev");
    public static readonly StructField MdioRead = KernelLayout.Field(H, "mii_if_info", "mdio_read");
    public static readonly StructField MdioWrite = KernelLayout.Field(H, "mii_if_info", "mdio_write");

    public static readonly StructField IoctlPhyId = KernelLayout.Field(H, "mii_ioctl_data", "phy_id");
    public static readonly StructField IoctlRegNum = KernelLayout.Field(H, "mii_ioctl_data", "reg_num");
    public static readonly StructField IoctlValIn = KernelLayout.Field(H, "mii_ioctl_data", "val_in");
    public static readonly StructField IoctlValOut = KernelLayout.Field(H, "mii_ioctl_data", "val_out");
}

public static class EthtoolLayout
{
    private const string H = "linux/ethtool.h";
    public static readonly StructField Speed = KernelLayout.Field(H, "ethtool_link_ksettings", "base.speed");
    public static readonly StructField Duplex = KernelLayout.Field(H, "ethtool_link_ksettings", "base.duplex");
    public static readonly StructField Port = KernelLayout.Field(H, "ethtool_link_ksettings", "base.port");
    public static readonly StructField PhyAddress = KernelLayout.Field(H, "ethtool_link_ksettings", "base.phy_address");
    public static readonly StructField Autoneg = KernelLayout.Field(H, "ethtool_link_ksettings", "base.autoneg");
    public static readonly StructField MdioSupport = KernelLayout.Field(H, "ethtool_link_ksettings", "base.mdio_support");
    public static readonly StructField Supported = KernelLayout.Field(H, "ethtool_link_ksettings", "link_modes.supported");
    public static readonly StructField Advertising = KernelLayout.Field(H, "ethtool_link_ksettings", "link_modes.advertising");
    public static readonly StructField LpAdvertising = KernelLayout.Field(H, "ethtool_link_ksettings", "link_modes.lp_advertising");
    public static readonly StructField TsSoTimestamping = KernelLayout.Field(H, "ethtool_ts_info", "so_timestamping");
    public static readonly int LinkModeBits = (int)KernelLayout.Constant(H, "__ETHTOOL_LINK_MODE_MASK_NBITS", 93);
    public static readonly StructField TsPhcIndex = KernelLayout.Field(H, "ethtool_ts_info", "phc_index");
}
