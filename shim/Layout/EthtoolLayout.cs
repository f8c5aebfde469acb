// SPDX-License-Identifier: MIT
// Managed side. Fields of the MII and ethtool structures the shim's helpers fill.
namespace LinuxShim.Shim.Layout;

public static class MiiLayout
{
    private const string H = "linux/mii.h";
    public static readonly StructField<int> PhyId = KernelLayout.Field<int>(H, "mii_if_info", "phy_id");
    public static readonly StructField<int> PhyIdMask = KernelLayout.Field<int>(H, "mii_if_info", "phy_id_mask");
    public static readonly StructField<int> RegNumMask = KernelLayout.Field<int>(H, "mii_if_info", "reg_num_mask");
    public static readonly BitField FullDuplex = KernelLayout.BitField(H, "mii_if_info", "full_duplex");
    public static readonly BitField ForceMedia = KernelLayout.BitField(H, "mii_if_info", "force_media");
    public static readonly BitField SupportsGmii = KernelLayout.BitField(H, "mii_if_info", "supports_gmii");
    public static readonly StructField<nint> Dev = KernelLayout.Field<nint>(H, "mii_if_info", "dev");
    public static readonly StructField<nint> MdioRead = KernelLayout.Field<nint>(H, "mii_if_info", "mdio_read");
    public static readonly StructField<nint> MdioWrite = KernelLayout.Field<nint>(H, "mii_if_info", "mdio_write");

    public static readonly StructField<ushort> IoctlPhyId = KernelLayout.Field<ushort>(H, "mii_ioctl_data", "phy_id");
    public static readonly StructField<ushort> IoctlRegNum = KernelLayout.Field<ushort>(H, "mii_ioctl_data", "reg_num");
    public static readonly StructField<ushort> IoctlValIn = KernelLayout.Field<ushort>(H, "mii_ioctl_data", "val_in");
    public static readonly StructField<ushort> IoctlValOut = KernelLayout.Field<ushort>(H, "mii_ioctl_data", "val_out");
}

public static class EthtoolLayout
{
    private const string H = "linux/ethtool.h";
    public static readonly StructField<uint> Speed = KernelLayout.Field<uint>(H, "ethtool_link_ksettings", "base.speed");
    public static readonly StructField<byte> Duplex = KernelLayout.Field<byte>(H, "ethtool_link_ksettings", "base.duplex");
    public static readonly StructField<byte> Port = KernelLayout.Field<byte>(H, "ethtool_link_ksettings", "base.port");
    public static readonly StructField<byte> PhyAddress = KernelLayout.Field<byte>(H, "ethtool_link_ksettings", "base.phy_address");
    public static readonly StructField<byte> Autoneg = KernelLayout.Field<byte>(H, "ethtool_link_ksettings", "base.autoneg");
    public static readonly StructField<byte> MdioSupport = KernelLayout.Field<byte>(H, "ethtool_link_ksettings", "base.mdio_support");
    public static readonly StructField Supported = KernelLayout.Field(H, "ethtool_link_ksettings", "link_modes.supported");
    public static readonly StructField Advertising = KernelLayout.Field(H, "ethtool_link_ksettings", "link_modes.advertising");
    public static readonly StructField LpAdvertising = KernelLayout.Field(H, "ethtool_link_ksettings", "link_modes.lp_advertising");
    // The legacy struct ethtool_cmd of mii_ethtool_gset()/sset().
    public static readonly StructField<uint> CmdSupported = KernelLayout.Field<uint>(H, "ethtool_cmd", "supported");
    public static readonly StructField<uint> CmdAdvertising = KernelLayout.Field<uint>(H, "ethtool_cmd", "advertising");
    public static readonly StructField<uint> CmdLpAdvertising = KernelLayout.Field<uint>(H, "ethtool_cmd", "lp_advertising");
    public static readonly StructField<ushort> CmdSpeed = KernelLayout.Field<ushort>(H, "ethtool_cmd", "speed");
    public static readonly StructField<ushort> CmdSpeedHi = KernelLayout.Field<ushort>(H, "ethtool_cmd", "speed_hi");
    public static readonly StructField<byte> CmdDuplex = KernelLayout.Field<byte>(H, "ethtool_cmd", "duplex");
    public static readonly StructField<byte> CmdPort = KernelLayout.Field<byte>(H, "ethtool_cmd", "port");
    public static readonly StructField<byte> CmdPhyAddress = KernelLayout.Field<byte>(H, "ethtool_cmd", "phy_address");
    public static readonly StructField<byte> CmdTransceiver = KernelLayout.Field<byte>(H, "ethtool_cmd", "transceiver");
    public static readonly StructField<byte> CmdAutoneg = KernelLayout.Field<byte>(H, "ethtool_cmd", "autoneg");
    public static readonly StructField<byte> CmdMdioSupport = KernelLayout.Field<byte>(H, "ethtool_cmd", "mdio_support");
    public static readonly StructField<uint> TsSoTimestamping = KernelLayout.Field<uint>(H, "ethtool_ts_info", "so_timestamping");
    // 93 link modes in 6.1, 103 in 6.12: the mask's length is the configured headers'.
    public static readonly KernelConstant LinkModeBits = KernelLayout.ConstantOf(H, "__ETHTOOL_LINK_MODE_MASK_NBITS");
    public static readonly StructField<int> TsPhcIndex = KernelLayout.Field<int>(H, "ethtool_ts_info", "phc_index");
    public static readonly StructSize LinkKsettingsSize = KernelLayout.SizeOf(H, "ethtool_link_ksettings");

    // What the host asks a driver through its ethtool_ops (ethtool -i, ethtool, ethtool -S).
    public static readonly StructField<nint> OpsGetDrvinfo = KernelLayout.Field<nint>(H, "ethtool_ops", "get_drvinfo");
    public static readonly StructField<nint> OpsGetLink = KernelLayout.Field<nint>(H, "ethtool_ops", "get_link");
    public static readonly StructField<nint> OpsGetLinkKsettings = KernelLayout.Field<nint>(H, "ethtool_ops", "get_link_ksettings");
    public static readonly StructField<nint> OpsGetSsetCount = KernelLayout.Field<nint>(H, "ethtool_ops", "get_sset_count");
    public static readonly StructField<nint> OpsGetStrings = KernelLayout.Field<nint>(H, "ethtool_ops", "get_strings");
    public static readonly StructField<nint> OpsGetEthtoolStats = KernelLayout.Field<nint>(H, "ethtool_ops", "get_ethtool_stats");
    public static readonly StructSize DrvinfoSize = KernelLayout.SizeOf(H, "ethtool_drvinfo");
    public static readonly StructField DrvinfoDriver = KernelLayout.Field(H, "ethtool_drvinfo", "driver");
    public static readonly StructField DrvinfoVersion = KernelLayout.Field(H, "ethtool_drvinfo", "version");
    public static readonly StructField DrvinfoFwVersion = KernelLayout.Field(H, "ethtool_drvinfo", "fw_version");
    public static readonly StructField DrvinfoBusInfo = KernelLayout.Field(H, "ethtool_drvinfo", "bus_info");
    public static readonly StructSize StatsSize = KernelLayout.SizeOf(H, "ethtool_stats");
    public static readonly StructField<uint> StatsNStats = KernelLayout.Field<uint>(H, "ethtool_stats", "n_stats");
    public static readonly int GstringLen = (int)KernelLayout.Constant(H, "ETH_GSTRING_LEN", 32);
    public static readonly int SsetStats = (int)KernelLayout.Constant(H, "ETH_SS_STATS", 1);
    public static readonly uint SpeedUnknown = unchecked((uint)KernelLayout.Constant(H, "SPEED_UNKNOWN", -1));
    public static readonly int DuplexHalf = (int)KernelLayout.Constant(H, "DUPLEX_HALF", 0);
    public static readonly int DuplexFull = (int)KernelLayout.Constant(H, "DUPLEX_FULL", 1);
}
