// SPDX-License-Identifier: MIT
// Managed side. Realtek RTL8139C as 8139too drives it: I/O and memory BARs over the same registers,
// 93C46 EEPROM with the MAC, the receive ring with its 4-byte packet headers and wrap rules, four
// transmit descriptors, interrupt status/mask, the internal PHY's MII registers and link state.
// Facts from the RTL8139C(L) datasheet as summarised in shared/specs/rtl8139.md.
using System.Buffers.Binary;
using System.Diagnostics;
using LinuxShim.Devices.Eeprom;
using LinuxShim.Devices.Pci;
using static LinuxShim.Devices.Rtl8139.Rtl8139Registers;

namespace LinuxShim.Devices.Rtl8139;

public sealed class Rtl8139Nic : NetworkDevice
{
    /// <summary>Revision below 0x20: 8139too leaves 0x20 and above to 8139cp.</summary>
    public static readonly PciIdentity Identity = new(0x10EC, 0x8139, 0x10, 0x020000, 0x10EC, 0x8139);

    private const int MaxTxSize = 0x700;
    private const int MinFrame = 60;
    private const int MaxFrame = 1518;

    private readonly MicrowireEeprom eeprom;
    private readonly byte[] scratch = new byte[RegisterSpace];
    private readonly byte[] idr = new byte[6];
    private readonly byte[] mar = new byte[8];
    private readonly uint[] tsd = new uint[4];
    private readonly uint[] tsad = new uint[4];
    private readonly Stopwatch timer = Stopwatch.StartNew();
    private uint rbstart, tcr, rcr, rxMissed, timerInt;
    private int readPtr, writePtr;
    private byte chipCmd, cfg9346, config0, config1, config3, config4, config5, hltClk;
    private ushort imr, isr, multiIntr, bmcr, anar, cscr;

    public Rtl8139Nic(MacAddress mac)
        : base(Identity, mac, new PciBar(RegisterSpace, IsIo: true), new PciBar(RegisterSpace, IsIo: false))
    {
        eeprom = new MicrowireEeprom(MicrowireEeprom.WithMac([0x8129, 0x10EC, 0x8139], 7, mac));
        lock (Sync)
            ResetDevice();
    }

    private int RingSize => 8192 << (int)((rcr >> 11) & 3);

    private bool Unlocked => (cfg9346 & EepromModeMask) == ConfigUnlock;

    protected override bool InterruptPending => (isr & imr) != 0;

    // No doorbells: each register the 8139too writes per frame (a transmit status, CAPR) is followed at once by a read
    // (the status read back to flush it, ChipCmd), so a doorbell saves no wait, and the eventfds it adds to every wait
    // of the server cost more than the message (README, "Doorbells and mapped pages": 8139too transmitted 10-20 % less
    // with them, for 15-30 % more processor time per frame).

    protected override uint ReadBar(int bar, ulong offset, int size)
    {
        uint value = 0;
        for (int i = 0; i < size;)
        {
            int o = (int)offset + i;
            if (o >= RegisterSpace)
                break;
            var (start, width) = At(o);
            int n = Math.Min(start + width - o, size - i);
            uint reg = Get(start) >> (8 * (o - start));
            value |= (reg & Mask(n)) << (8 * i);
            i += n;
        }
        return value;
    }

    protected override void WriteBar(int bar, ulong offset, int size, uint value)
    {
        for (int i = 0; i < size;)
        {
            int o = (int)offset + i;
            if (o >= RegisterSpace)
                break;
            var (start, width) = At(o);
            int n = Math.Min(start + width - o, size - i);
            uint piece = (value >> (8 * i)) & Mask(n);
            int shift = 8 * (o - start);
            if (start == IntrStatus)
                Set(start, piece << shift, n == width);
            else
                Set(start, (Get(start) & ~(Mask(n) << shift)) | (piece << shift), n == width);
            i += n;
        }
        UpdateInterrupt();
    }

    private static uint Mask(int bytes) => bytes >= 4 ? 0xFFFFFFFF : (1u << (8 * bytes)) - 1;

    private uint Get(int r)
    {
        switch (r)
        {
            case < MAR0:
                return r < 6 ? idr[r] : scratch[r];
            case < TxStatus0:
                return mar[r - MAR0];
            case < TxAddr0:
                return tsd[(r - TxStatus0) / 4];
            case < RxBuf:
                return tsad[(r - TxAddr0) / 4];
            case RxBuf:
                return rbstart;
            case ChipCmd:
                return (uint)(chipCmd & (CmdRxEnb | CmdTxEnb)) | (readPtr == writePtr ? RxBufEmpty : 0u);
            case RxBufPtr:
                return (uint)((readPtr - 16) & 0xFFFF);
            case RxBufAddr:
                return (uint)writePtr;
            case IntrMask:
                return imr;
            case IntrStatus:
                return isr;
            case TxConfig:
                return tcr;
            case RxConfig:
                return rcr;
            case TimerCount:
                // 33 MHz PCI clock counts (datasheet TCTR); TimeSpan ticks are 100 ns, so ×3.3 cannot overflow.
                return (uint)(timer.Elapsed.Ticks * 33 / 10);
            case RxMissed:
                return rxMissed;
            case Cfg9346:
                uint dataOut = (cfg9346 & EepromModeMask) == EepromProgram && eeprom.DataOut ? EEDO : 0u;
                return (cfg9346 & ~(uint)EEDO) | dataOut;
            case Config0:
                return config0;
            case Config1:
                return config1;
            case TimerInt:
                return timerInt;
            case MediaStatus:
                return LinkUpRaw ? 0xD0u : 0xD4u;
            case Config3:
                return config3;
            case Config4:
                return config4;
            case HltClk:
                return hltClk;
            case MultiIntr:
                return multiIntr;
            case TxSummary:
                return TxSummaryBits();
            case BasicModeCtrl:
                return bmcr;
            case BasicModeStatus:
                return LinkUpRaw ? 0x782Du : 0x7829u;
            case NWayAdvert:
                return anar;
            case NWayLPAR:
                return LinkUpRaw ? 0x05E1u : 0u;
            case NWayExpansion:
                return 0x0001;
            case CSCR:
                return cscr;
            case Config5:
                return config5;
            default:
                return scratch[r];
        }
    }

    private void Set(int r, uint v, bool whole)
    {
        switch (r)
        {
            case < MAR0:
                if (r < 6)
                    idr[r] = (byte)v;
                else
                    scratch[r] = (byte)v;
                break;
            case < TxStatus0:
                mar[r - MAR0] = (byte)v;
                break;
            case < TxAddr0:
                if (whole) // TSD takes dword writes only
                    StartTransmit((r - TxStatus0) / 4, v);
                break;
            case < RxBuf:
                tsad[(r - TxAddr0) / 4] = v;
                break;
            case RxBuf:
                rbstart = v;
                break;
            case ChipCmd:
                WriteChipCmd((byte)v);
                break;
            case RxBufPtr:
                readPtr = (int)((v + 16) & 0xFFFF) % RingSize;
                ReleaseHeldFrames();
                break;
            case IntrMask:
                imr = (ushort)v;
                break;
            case IntrStatus:
                isr &= (ushort)~v; // write 1 to clear
                break;
            case TxConfig:
                tcr = (v & ~ChipVersionMask) | ChipVersion8139C;
                break;
            case RxConfig:
                rcr = v;
                // The buffer address counters wrap modulo the ring length (rtl8139.md, "Receive ring": the
                // next write position wraps modulo the size, a CAPR write is taken modulo the size), so a
                // ring made smaller sees both pointers reduced modulo its new length, never past its end.
                readPtr %= RingSize;
                writePtr %= RingSize;
                break;
            case TimerCount:
                timer.Restart();
                break;
            case RxMissed:
                rxMissed = 0;
                break;
            case Cfg9346:
                WriteCfg9346((byte)v);
                break;
            case Config0 when Unlocked:
                config0 = (byte)v;
                break;
            case Config1 when Unlocked:
                config1 = (byte)v;
                break;
            case TimerInt:
                timerInt = v;
                break;
            case Config3 when Unlocked:
                config3 = (byte)v;
                break;
            case Config4 when Unlocked:
                config4 = (byte)v;
                break;
            case HltClk:
                hltClk = (byte)v;
                break;
            case MultiIntr:
                multiIntr = (ushort)v;
                break;
            case BasicModeCtrl when Unlocked:
                bmcr = (ushort)(v & ~0x8200u); // reset (b15) and restart autonegotiation (b9) complete at once
                break;
            case NWayAdvert:
                anar = (ushort)v;
                break;
            case CSCR:
                cscr = (ushort)v;
                break;
            case Config5:
                config5 = (byte)v;
                break;
            case RxBufAddr or MediaStatus or TxSummary or BasicModeStatus or NWayLPAR or NWayExpansion:
                break; // read-only
            case Config0 or Config1 or Config3 or Config4 or BasicModeCtrl:
                break; // locked
            default:
                scratch[r] = (byte)v;
                break;
        }
    }

    private bool LinkUpRaw { get; set; } = true;

    private void WriteChipCmd(byte v)
    {
        if ((v & CmdReset) != 0)
        {
            SoftReset();
            return;
        }
        bool rxWasOn = (chipCmd & CmdRxEnb) != 0;
        chipCmd = (byte)(v & (CmdRxEnb | CmdTxEnb));
        if (!rxWasOn && (chipCmd & CmdRxEnb) != 0)
        {
            // receive pointers restart on an RE 0->1 edge (8139too's rx_err resync relies on it)
            readPtr = 0;
            writePtr = 0;
        }
        if ((chipCmd & CmdRxEnb) != 0)
            ReleaseHeldFrames();
    }

    private void WriteCfg9346(byte v)
    {
        int mode = v & EepromModeMask;
        if (mode == EepromAutoLoad)
        {
            FullReset(); // auto-load: reload from the EEPROM, then back to normal mode
            return;
        }
        cfg9346 = (byte)(v & ~EEDO);
        if (mode == EepromProgram)
            eeprom.SetPins((v & EECS) != 0, (v & EESK) != 0, (v & EEDI) != 0);
        else
            eeprom.SetPins(false, false, false);
    }

    private uint TxSummaryBits()
    {
        uint s = 0;
        for (int i = 0; i < 4; i++)
        {
            if ((tsd[i] & TxStatOK) != 0)
                s |= 1u << (12 + i);
            if ((tsd[i] & TxUnderrun) != 0)
                s |= 1u << (8 + i);
            if ((tsd[i] & TxAborted) != 0)
                s |= 1u << (4 + i);
            if ((tsd[i] & TxHostOwns) != 0)
                s |= 1u << i;
        }
        return s;
    }

    private void StartTransmit(int i, uint v)
    {
        // Writing SIZE clears the status bits; OWN = 0 hands the buffer to the chip.
        tsd[i] = v & (TxSizeMask | TxEarlyThreshold | TxHostOwns);
        if ((v & TxHostOwns) != 0 || (chipCmd & CmdTxEnb) == 0)
            return;
        int size = (int)(v & TxSizeMask);
        if (size > MaxTxSize)
        {
            tsd[i] |= TxHostOwns | TxAborted;
            isr |= TxErr;
            return;
        }
        var frame = new byte[size];
        if (!DmaRead(tsad[i], frame))
        {
            tsd[i] |= TxHostOwns | TxAborted;
            isr |= TxErr;
            return;
        }
        Transmit(frame);
        tsd[i] |= TxHostOwns | TxStatOK;
        isr |= TxOK;
    }

    protected override ReceiveOutcome ReceiveFrame(ReadOnlySpan<byte> frame)
    {
        if ((chipCmd & CmdRxEnb) == 0 || frame.Length < 14 || frame.Length > MaxFrame)
            return ReceiveOutcome.Dropped;
        ushort status = Filter(frame);
        if (status == 0)
            return ReceiveOutcome.Dropped;

        int padded = Math.Max(frame.Length, MinFrame);
        int length = padded + 4; // the header's length counts the CRC
        int total = (4 + length + 3) & ~3;
        int ring = RingSize;
        readPtr %= ring; // already inside after RCR and CAPR writes; the same wrap rule, kept where the ring is indexed
        writePtr %= ring;
        int avail = ((readPtr - writePtr) % ring + ring) % ring;
        if (avail != 0 && total >= avail)
        {
            isr |= RxOverflow;
            rxMissed = (rxMissed + 1) & 0xFFFFFF;
            return ReceiveOutcome.NoRoom;
        }

        var packet = new byte[4 + length];
        BinaryPrimitives.WriteUInt16LittleEndian(packet, status);
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(2), (ushort)length);
        frame.CopyTo(packet.AsSpan(4));
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(4 + padded), EthernetCrc.Fcs(packet.AsSpan(4, padded)));

        bool ok;
        if ((rcr & RxNoWrap) != 0 || writePtr + packet.Length <= ring)
        {
            ok = DmaWrite(rbstart + (uint)writePtr, packet); // WRAP: run on into the pad after the ring
        }
        else
        {
            int first = ring - writePtr;
            ok = DmaWrite(rbstart + (uint)writePtr, packet.AsSpan(0, first)) && DmaWrite(rbstart, packet.AsSpan(first));
        }
        if (!ok)
        {
            isr |= RxErr;
            return ReceiveOutcome.Dropped;
        }
        writePtr = (writePtr + total) % ring;
        isr |= RxOK;
        return ReceiveOutcome.Delivered;
    }

    // Every frame the full buffer turns away raises RxOverflow (the driver then empties the ring); one
    // the FIFO cannot hold either is lost, counted in RxMissed, with RxFIFOOver.
    protected override void OnNoRoom(bool lost)
    {
        isr |= RxOverflow;
        if (lost)
        {
            isr |= RxFIFOOver;
            rxMissed = (rxMissed + 1) & 0xFFFFFF;
        }
    }

    /// <summary>The receive status the address filter gives (RCR accept bits), 0 to drop.</summary>
    private ushort Filter(ReadOnlySpan<byte> frame)
    {
        var dest = frame[..6];
        bool promiscuous = (rcr & AcceptAllPhys) != 0;
        if (dest.IndexOfAnyExcept((byte)0xFF) < 0)
            return (rcr & AcceptBroadcast) != 0 || promiscuous ? (ushort)(RxStatusOK | RxBroadcast) : (ushort)0;
        if ((dest[0] & 1) != 0)
        {
            int bit = (int)(EthernetCrc.EtherCrc(dest) >> 26);
            bool hashed = (mar[bit >> 3] & (1 << (bit & 7))) != 0;
            return ((rcr & AcceptMulticast) != 0 && hashed) || promiscuous ? (ushort)(RxStatusOK | RxMulticast) : (ushort)0;
        }
        if (dest.SequenceEqual(idr))
            return (rcr & AcceptMyPhys) != 0 || promiscuous ? (ushort)(RxStatusOK | RxPhysical) : (ushort)0;
        return promiscuous ? RxStatusOK : (ushort)0;
    }

    protected override void OnLinkChanged(bool up)
    {
        LinkUpRaw = up;
        cscr |= CscrLinkChange;
        isr |= LinkChange;
    }

    /// <summary>ChipCmd.RST: transmitter and receiver off, buffers empty; IDR, MAR and configuration stay.</summary>
    private void SoftReset()
    {
        chipCmd = 0;
        isr = 0;
        imr = 0;
        readPtr = 0;
        writePtr = 0;
        rcr = 0;
        tcr = ChipVersion8139C;
        for (int i = 0; i < 4; i++)
            tsd[i] = TxHostOwns;
        ClearHeldFrames();
    }

    /// <summary>Power-on / auto-load state: the MAC comes from the EEPROM again.</summary>
    private void FullReset()
    {
        SoftReset();
        for (int i = 0; i < 3; i++)
        {
            idr[2 * i] = (byte)eeprom[7 + i];
            idr[2 * i + 1] = (byte)(eeprom[7 + i] >> 8);
        }
        Array.Clear(mar);
        Array.Clear(tsad);
        Array.Clear(scratch);
        rbstart = 0;
        rxMissed = 0;
        timerInt = 0;
        multiIntr = 0;
        cfg9346 = 0;
        config0 = 0;
        config1 = 0x0C;
        config3 = 0x01;
        config4 = 0;
        config5 = 0;
        hltClk = 0;
        cscr = 0x0340;
        bmcr = 0x1000;
        anar = 0x05E1;
        eeprom.SetPins(false, false, false);
    }

    protected override void ResetDevice() => FullReset();
}
