// SPDX-License-Identifier: MIT
// Managed side. RTL8139 register offsets and bits (Realtek RTL8139C(L) datasheet, section 6; the
// names are those of Linux drivers/net/ethernet/realtek/8139too.c).
namespace LinuxShim.Devices.Rtl8139;

internal static class Rtl8139Registers
{
    public const int IDR0 = 0x00, MAR0 = 0x08, TxStatus0 = 0x10, TxAddr0 = 0x20, RxBuf = 0x30, ChipCmd = 0x37,
        RxBufPtr = 0x38, RxBufAddr = 0x3A, IntrMask = 0x3C, IntrStatus = 0x3E, TxConfig = 0x40, RxConfig = 0x44,
        TimerCount = 0x48, RxMissed = 0x4C, Cfg9346 = 0x50, Config0 = 0x51, Config1 = 0x52, TimerInt = 0x54,
        MediaStatus = 0x58, Config3 = 0x59, Config4 = 0x5A, HltClk = 0x5B, MultiIntr = 0x5C, TxSummary = 0x60,
        BasicModeCtrl = 0x62, BasicModeStatus = 0x64, NWayAdvert = 0x66, NWayLPAR = 0x68, NWayExpansion = 0x6A,
        CSCR = 0x74, Config5 = 0xD8;

    public const int RegisterSpace = 0x100;

    // ChipCmd
    public const byte CmdReset = 0x10, CmdRxEnb = 0x08, CmdTxEnb = 0x04, RxBufEmpty = 0x01;

    // IntrStatus / IntrMask
    public const ushort RxOK = 0x0001, RxErr = 0x0002, TxOK = 0x0004, TxErr = 0x0008, RxOverflow = 0x0010,
        LinkChange = 0x0020, RxFIFOOver = 0x0040, LenChange = 0x2000, TimeOut = 0x4000, SystemErr = 0x8000;

    // TxStatus
    public const uint TxSizeMask = 0x1FFF, TxHostOwns = 0x2000, TxUnderrun = 0x4000, TxStatOK = 0x8000,
        TxEarlyThreshold = 0x003F0000, TxAborted = 0x40000000;

    // RxConfig
    public const uint AcceptAllPhys = 0x01, AcceptMyPhys = 0x02, AcceptMulticast = 0x04, AcceptBroadcast = 0x08,
        RxNoWrap = 0x80;

    // Receive packet header status
    public const ushort RxStatusOK = 0x0001, RxBroadcast = 0x2000, RxPhysical = 0x4000, RxMulticast = 0x8000;

    // Cfg9346
    public const byte EepromModeMask = 0xC0, EepromAutoLoad = 0x40, EepromProgram = 0x80, ConfigUnlock = 0xC0,
        EECS = 0x08, EESK = 0x04, EEDI = 0x02, EEDO = 0x01;

    public const ushort CscrLinkChange = 0x0800;

    /// <summary>TxConfig version bits of an RTL8139C (8139too's chip table: "RTL-8139C").</summary>
    public const uint ChipVersion8139C = 0x74000000, ChipVersionMask = 0x7CC00000;

    /// <summary>Width of the multi-byte register starting at <paramref name="offset"/>, or 1.</summary>
    public static (int Start, int Width) At(int offset) => offset switch
    {
        >= TxStatus0 and < RxBuf + 4 => (offset & ~3, 4),
        >= RxBufPtr and < TxConfig => (offset & ~1, 2),
        >= TxConfig and < TimerCount + 8 => (offset & ~3, 4),
        >= TimerInt and < TimerInt + 4 => (TimerInt, 4),
        >= MultiIntr and < NWayExpansion + 2 => (offset & ~1, 2),
        >= CSCR and < CSCR + 2 => (CSCR, 2),
        _ => (offset, 1),
    };
}
