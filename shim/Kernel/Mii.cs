// SPDX-License-Identifier: MIT
// Managed side. The generic MII library (drivers/net/mii.c's API), written from IEEE 802.3 clause 22:
// link state from BMSR, speed and duplex from the advertised and link-partner abilities, restart of
// auto-negotiation, MII ioctls, and ethtool link settings through the driver's mdio_read/write.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Mii
{
    // Clause 22 registers and bits.
    private const int Bmcr = 0, Bmsr = 1, Advertise = 4, Lpa = 5, Ctrl1000 = 9, Stat1000 = 10;
    private const int BmcrSpeed1000 = 0x0040, BmcrFullDuplex = 0x0100, BmcrAnRestart = 0x0200, BmcrAnEnable = 0x1000, BmcrSpeed100 = 0x2000;
    private const int BmsrLinkStatus = 0x0004;
    private const int Adv10Half = 0x0020, Adv10Full = 0x0040, Adv100Half = 0x0080, Adv100Full = 0x0100, AdvCsma = 0x0001;
    private const int Adv1000Half = 0x0100, Adv1000Full = 0x0200; // CTRL1000
    private const int Lpa1000Half = 0x0400, Lpa1000Full = 0x0800; // STAT1000

    // ethtool link mode bits, speeds, ports.
    private const int Mode10Half = 0, Mode10Full = 1, Mode100Half = 2, Mode100Full = 3, Mode1000Half = 4, Mode1000Full = 5,
        ModeAutoneg = 6, ModeTp = 7, ModeMii = 9;
    private const byte PortMii = 0x02, MdioSupportC22 = 0x01;

    private static int Read(nint mii, int reg)
    {
        var fn = (delegate* unmanaged<nint, int, int, int>)mii.Ptr(MiiLayout.MdioRead);
        return fn(mii.Ptr(MiiLayout.Dev), mii.I32(MiiLayout.PhyId), reg);
    }

    private static void Write(nint mii, int reg, int value)
    {
        var fn = (delegate* unmanaged<nint, int, int, int, void>)mii.Ptr(MiiLayout.MdioWrite);
        fn(mii.Ptr(MiiLayout.Dev), mii.I32(MiiLayout.PhyId), reg, value);
    }

    private static bool LinkOk(nint mii)
    {
        Read(mii, Bmsr); // the link bit latches low: the first read clears a stale failure
        return (Read(mii, Bmsr) & BmsrLinkStatus) != 0;
    }

    [KernelSymbol("mii_link_ok"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int MiiLinkOk(nint mii) => LinkOk(mii) ? 1 : 0;

    [KernelSymbol("mii_nway_restart"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int MiiNwayRestart(nint mii)
    {
        int bmcr = Read(mii, Bmcr);
        if ((bmcr & BmcrAnEnable) == 0)
            return -22;
        Write(mii, Bmcr, bmcr | BmcrAnRestart);
        return 0;
    }

    [KernelSymbol("mii_check_link"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MiiCheckLink(nint mii) => NetCore.SetCarrier(mii.Ptr(MiiLayout.Dev), LinkOk(mii));

    /// <summary>Carrier from the link bit; on a change, duplex from the negotiated abilities. 1 if duplex changed.</summary>
    [KernelSymbol("mii_check_media"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint MiiCheckMedia(nint mii, uint okToPrint, uint initMedia)
    {
        if (mii.Bits(MiiLayout.ForceMedia) != 0)
            return 0;
        nint dev = mii.Ptr(MiiLayout.Dev);
        bool oldCarrier = !dev.TestBit(NetDevLayout.State, NetDevLayout.StateNoCarrier);
        bool newCarrier = LinkOk(mii);
        if (initMedia == 0 && oldCarrier == newCarrier)
            return 0;
        NetCore.SetCarrier(dev, newCarrier);
        if (!newCarrier)
        {
            if (okToPrint != 0)
                Machine.Log(6, $"{NetCore.Find(dev)?.Name ?? "?"}: link down");
            return 0;
        }
        int negotiated = Read(mii, Advertise) & Read(mii, Lpa);
        bool full = (negotiated & (Adv100Full | Adv10Full)) != 0;
        if (okToPrint != 0)
            Machine.Log(6, $"{NetCore.Find(dev)?.Name ?? "?"}: link up, {((negotiated & (Adv100Full | Adv100Half)) != 0 ? 100 : 10)}Mbps, {(full ? "full" : "half")}-duplex, lpa 0x{Read(mii, Lpa):X4}");
        bool changed = mii.Bits(MiiLayout.FullDuplex) != (full ? 1u : 0u);
        mii.Bits(MiiLayout.FullDuplex, full ? 1u : 0u);
        return changed || initMedia != 0 ? 1u : 0u;
    }

    private const uint SiocGMiiPhy = 0x8947, SiocGMiiReg = 0x8948, SiocSMiiReg = 0x8949;

    [KernelSymbol("generic_mii_ioctl"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GenericMiiIoctl(nint mii, nint data, int cmd, uint* duplexChanged)
    {
        if (duplexChanged != null)
            *duplexChanged = 0;
        int phy = data.U16(MiiLayout.IoctlPhyId) & mii.I32(MiiLayout.PhyIdMask);
        int reg = data.U16(MiiLayout.IoctlRegNum) & mii.I32(MiiLayout.RegNumMask);
        nint dev = mii.Ptr(MiiLayout.Dev);
        switch ((uint)cmd)
        {
            case SiocGMiiPhy:
                data.U16(MiiLayout.IoctlPhyId, (ushort)mii.I32(MiiLayout.PhyId));
                phy = mii.I32(MiiLayout.PhyId);
                goto case SiocGMiiReg;
            case SiocGMiiReg:
            {
                var read = (delegate* unmanaged<nint, int, int, int>)mii.Ptr(MiiLayout.MdioRead);
                data.U16(MiiLayout.IoctlValOut, (ushort)read(dev, phy, reg));
                return 0;
            }
            case SiocSMiiReg:
            {
                var write = (delegate* unmanaged<nint, int, int, int, void>)mii.Ptr(MiiLayout.MdioWrite);
                write(dev, phy, reg, data.U16(MiiLayout.IoctlValIn));
                return 0;
            }
            default:
                return -95; // -EOPNOTSUPP
        }
    }


    private static ulong AbilitiesToModes(int adv, int adv1000)
    {
        ulong modes = 0;
        if ((adv & Adv10Half) != 0) modes |= 1UL << Mode10Half;
        if ((adv & Adv10Full) != 0) modes |= 1UL << Mode10Full;
        if ((adv & Adv100Half) != 0) modes |= 1UL << Mode100Half;
        if ((adv & Adv100Full) != 0) modes |= 1UL << Mode100Full;
        if ((adv1000 & Adv1000Half) != 0) modes |= 1UL << Mode1000Half;
        if ((adv1000 & Adv1000Full) != 0) modes |= 1UL << Mode1000Full;
        return modes;
    }

    /// <summary>What mii.c's get functions report. The first 32 link modes are the legacy SUPPORTED_/ADVERTISED_ bits.</summary>
    private readonly record struct LinkState(ulong Supported, ulong Advertising, ulong LpAdvertising, bool Autoneg, uint Speed, byte Duplex);

    private static LinkState Query(nint mii)
    {
        bool gmii = mii.Bits(MiiLayout.SupportsGmii) != 0;
        ulong supported = AbilitiesToModes(Adv10Half | Adv10Full | Adv100Half | Adv100Full, gmii ? Adv1000Half | Adv1000Full : 0)
            | 1UL << ModeAutoneg | 1UL << ModeTp | 1UL << ModeMii;
        int bmcr = Read(mii, Bmcr), adv = Read(mii, Advertise);
        int ctrl1000 = gmii ? Read(mii, Ctrl1000) : 0;
        ulong advertising = AbilitiesToModes(adv, ctrl1000), lp = 0;
        bool autoneg = (bmcr & BmcrAnEnable) != 0;
        uint speed;
        bool full;
        if (autoneg)
        {
            advertising |= 1UL << ModeAutoneg;
            int lpa = Read(mii, Lpa);
            int stat1000 = gmii ? Read(mii, Stat1000) >> 2 : 0;
            lp = AbilitiesToModes(lpa, stat1000);
            int common = adv & lpa, common1000 = ctrl1000 & stat1000;
            if ((common1000 & (Adv1000Full | Adv1000Half)) != 0)
            {
                speed = 1000;
                full = (common1000 & Adv1000Full) != 0;
            }
            else if ((common & (Adv100Full | Adv100Half)) != 0)
            {
                speed = 100;
                full = (common & Adv100Full) != 0;
            }
            else
            {
                speed = 10;
                full = (common & Adv10Full) != 0;
            }
        }
        else
        {
            speed = (bmcr & BmcrSpeed1000) != 0 ? 1000u : (bmcr & BmcrSpeed100) != 0 ? 100u : 10u;
            full = (bmcr & BmcrFullDuplex) != 0;
        }
        mii.Bits(MiiLayout.FullDuplex, full ? 1u : 0u);
        bool link = LinkOk(mii);
        // SPEED_UNKNOWN and DUPLEX_UNKNOWN without link
        return new LinkState(supported, advertising, lp, autoneg, link ? speed : 0xffffffff, link ? (byte)(full ? 1 : 0) : (byte)0xff);
    }

    [KernelSymbol("mii_ethtool_get_link_ksettings"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MiiEthtoolGetLinkKsettings(nint mii, nint cmd)
    {
        var state = Query(mii);
        *(ulong*)cmd.At(EthtoolLayout.Supported) |= state.Supported;
        *(ulong*)cmd.At(EthtoolLayout.Advertising) |= state.Advertising;
        *(ulong*)cmd.At(EthtoolLayout.LpAdvertising) |= state.LpAdvertising;
        cmd.U8(EthtoolLayout.Port, PortMii);
        cmd.U8(EthtoolLayout.PhyAddress, (byte)mii.I32(MiiLayout.PhyId));
        cmd.U8(EthtoolLayout.MdioSupport, MdioSupportC22);
        cmd.U8(EthtoolLayout.Autoneg, state.Autoneg ? (byte)1 : (byte)0);
        cmd.U32(EthtoolLayout.Speed, state.Speed);
        cmd.U8(EthtoolLayout.Duplex, state.Duplex);
    }

    // The legacy struct ethtool_cmd (include/uapi/linux/ethtool.h): 32-bit mode masks, the speed split in two halves.
    [KernelSymbol("mii_ethtool_gset"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MiiEthtoolGset(nint mii, nint cmd)
    {
        var state = Query(mii);
        cmd.U32(EthtoolLayout.CmdSupported, (uint)state.Supported);
        cmd.U32(EthtoolLayout.CmdAdvertising, (uint)state.Advertising);
        cmd.U32(EthtoolLayout.CmdLpAdvertising, (uint)state.LpAdvertising);
        cmd.U8(EthtoolLayout.CmdPort, PortMii);
        cmd.U8(EthtoolLayout.CmdPhyAddress, (byte)mii.I32(MiiLayout.PhyId));
        cmd.U8(EthtoolLayout.CmdTransceiver, 0); // XCVR_INTERNAL
        cmd.U8(EthtoolLayout.CmdMdioSupport, MdioSupportC22);
        cmd.U8(EthtoolLayout.CmdAutoneg, state.Autoneg ? (byte)1 : (byte)0);
        cmd.U16(EthtoolLayout.CmdSpeed, (ushort)state.Speed);
        cmd.U16(EthtoolLayout.CmdSpeedHi, (ushort)(state.Speed >> 16));
        cmd.U8(EthtoolLayout.CmdDuplex, state.Duplex);
    }

    // As mii.c: autoneg advertises what ADVERTISED_ names; otherwise speed and duplex are forced in BMCR.
    [KernelSymbol("mii_ethtool_sset"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int MiiEthtoolSset(nint mii, nint cmd) =>
        SetLink(mii, cmd.U8(EthtoolLayout.CmdPhyAddress), cmd.U8(EthtoolLayout.CmdAutoneg) != 0, cmd.U32(EthtoolLayout.CmdAdvertising),
            (uint)(cmd.U16(EthtoolLayout.CmdSpeed) | cmd.U16(EthtoolLayout.CmdSpeedHi) << 16), cmd.U8(EthtoolLayout.CmdDuplex));

    [KernelSymbol("mii_ethtool_set_link_ksettings"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int MiiEthtoolSetLinkKsettings(nint mii, nint cmd) =>
        SetLink(mii, cmd.U8(EthtoolLayout.PhyAddress), cmd.U8(EthtoolLayout.Autoneg) != 0, *(ulong*)cmd.At(EthtoolLayout.Advertising),
            cmd.U32(EthtoolLayout.Speed), cmd.U8(EthtoolLayout.Duplex));

    private static int SetLink(nint mii, byte phy, bool autoneg, ulong advertising, uint speed, byte duplex)
    {
        if (phy != mii.I32(MiiLayout.PhyId))
            return -22;
        if (autoneg)
        {
            int adv = Read(mii, Advertise) & ~(Adv10Half | Adv10Full | Adv100Half | Adv100Full);
            if ((advertising >> Mode10Half & 1) != 0) adv |= Adv10Half;
            if ((advertising >> Mode10Full & 1) != 0) adv |= Adv10Full;
            if ((advertising >> Mode100Half & 1) != 0) adv |= Adv100Half;
            if ((advertising >> Mode100Full & 1) != 0) adv |= Adv100Full;
            Write(mii, Advertise, adv | AdvCsma);
            Write(mii, Bmcr, Read(mii, Bmcr) | BmcrAnEnable | BmcrAnRestart);
            mii.Bits(MiiLayout.ForceMedia, 0);
            return 0;
        }
        if (speed is not (10 or 100 or 1000) || duplex > 1 || (speed == 1000 && mii.Bits(MiiLayout.SupportsGmii) == 0))
            return -22;
        int bmcr = Read(mii, Bmcr) & ~(BmcrAnEnable | BmcrSpeed100 | BmcrSpeed1000 | BmcrFullDuplex);
        if (speed == 100) bmcr |= BmcrSpeed100;
        if (speed == 1000) bmcr |= BmcrSpeed1000;
        if (duplex == 1) bmcr |= BmcrFullDuplex;
        Write(mii, Bmcr, bmcr);
        mii.Bits(MiiLayout.ForceMedia, 1);
        mii.Bits(MiiLayout.FullDuplex, duplex);
        return 0;
    }
}
