// SPDX-License-Identifier: MIT
// Managed side. Synopsys DesignWare GMAC 3.70a (the DWMAC1000 core of Linux's stmmac, device tree
// compatible "snps,dwmac-3.70a"), served as a platform device: one register block (MAC, MMC counters,
// DMA), one interrupt line (the SoC's macirq), a clause 22 PHY on its MDIO bus at address 1.
//
// The DMA walks descriptor lists in the enhanced (alternate) format the HW feature register advertises,
// 16 bytes each or 32 with the bus mode's ATDS (Linux's extended descriptors on cores from 3.50a), in
// ring mode (DES3 a second buffer, the next descriptor after this one's end plus the skip length, back to
// the list's base after one with end of ring) or chain mode (DES3 the next descriptor). Transmit runs from
// a poll demand (or a start) until it meets a descriptor the CPU owns; receive takes the next frame into
// the descriptors it owns, writing FCS and frame length. Interrupts follow the status register as the
// databook defines it: normal (TI, TU, RI, ERI) and abnormal events are collected in the sticky NIS and AIS
// when enabled, and the line is up while an enabled summary, or an unmasked MAC interrupt, is set. A
// descriptor or buffer the DMA cannot reach is a fatal bus error: FBI with the error bits, that DMA engine
// stopped until its start bit is cleared (the driver's recovery), as the databook has it.
using System.Buffers.Binary;
using static LinuxShim.Devices.Dwmac.DwmacRegisters;

namespace LinuxShim.Devices.Dwmac;

public sealed class DwmacNic : PlatformNic
{
    /// <summary>The PHY's address on the MDIO bus; the others answer all ones, as an empty bus does.</summary>
    public const int PhyAddress = 1;

    /// <summary>The CSR clock the receive watchdog counts (in units of 256 cycles): 125 MHz.</summary>
    public const int CsrClockMHz = 125;

    /// <summary>The longest frame the model moves (a descriptor chain's worth of jumbo frame); longer is cut.</summary>
    public const int MaxFrame = 16384;

    private const int MinFrame = 60;
    private const int Fcs = 4;

    /// <summary>Descriptors one poll demand walks at most; the rest wait for the next (a ring never ends, memory does).</summary>
    private const int TransmitBudget = 8192;

    private readonly Clause22Phy phy = new();
    private readonly uint[] addressHigh = new uint[AddressCount];
    private readonly uint[] addressLow = new uint[AddressCount];
    private readonly uint[] extendedHash = new uint[8];
    private readonly byte[] txFrame = new byte[MaxFrame];
    private readonly List<(ulong At, uint Des0)> txDescriptors = [];
    private uint macConfig, frameFilter, hashHigh, hashLow, gmiiAddress, gmiiData, flowControl, vlanTag, pmt, lpiControl,
        lpiTimer, macInterruptStatus, macInterruptMask, mmcControl, mmcRxMask, mmcTxMask, mmcIpcMask;
    private uint busMode, rxListAddress, txListAddress, status, operationMode, interruptEnable, riwt, axiBusMode;
    private uint rxState, txState, errorBits, missedHost, missedFifo;
    private bool missedHostOverflow, missedFifoOverflow, txHalted, rxHalted;
    private ulong currentTx, currentRx, txDescriptorRegister;
    private uint currentTxBuffer, currentRxBuffer;
    private Timer? watchdog, refetch;
    private int watchdogGeneration;
    private bool watchdogArmed, refetchArmed;

    public DwmacNic(MacAddress mac)
        : base(mac, RegisterSpace)
    {
        lock (Sync)
            ResetDevice();
    }

    /// <summary>What a device tree node for this device says (for documentation and `device --list`).</summary>
    public const string Compatible = "snps,dwmac-3.70a";

    private uint DescriptorSize => ((busMode & BmAtds) != 0 ? 32u : 16u) + 4 * ((busMode & BmDslMask) >> BmDslShift);

    /// <summary>The descriptor after <paramref name="at"/> in a ring: its size and the skip length on, in the 32-bit address space.</summary>
    private ulong NextInRing(ulong at) => (at + DescriptorSize) & 0xFFFFFFFF;

    private bool MacInterrupt => (macInterruptStatus & ~macInterruptMask & IsRgmii) != 0;

    protected override bool InterruptPending =>
        ((status & Nis) != 0 && (interruptEnable & Nie) != 0) ||
        ((status & Ais) != 0 && (interruptEnable & Aie) != 0) ||
        MacInterrupt;

    // ---- registers ----

    protected override uint ReadRegister(int region, ulong offset)
    {
        int r = (int)offset;
        switch (r)
        {
            case MacConfig:
                return macConfig;
            case FrameFilter:
                return frameFilter;
            case HashHigh:
                return hashHigh;
            case HashLow:
                return hashLow;
            case GmiiAddress:
                return gmiiAddress; // the operation completed when it was written: GB reads 0
            case GmiiData:
                return gmiiData;
            case FlowControl:
                return flowControl;
            case VlanTag:
                return vlanTag;
            case MacVersion:
                return VersionValue;
            case Debug:
                return 0; // receive and transmit paths idle, FIFOs empty
            case Pmt:
                return pmt;
            case LpiControl:
                return lpiControl;
            case LpiTimer:
                return lpiTimer;
            case InterruptStatus:
                return macInterruptStatus;
            case InterruptMask:
                return macInterruptMask;
            case >= Address0High and < Address0High + 16 * 8:
                return AddressRegister((r - Address0High) / 8, r);
            case >= Address16High and < Address16High + 16 * 8:
                return AddressRegister(16 + (r - Address16High) / 8, r);
            case RgmiiStatus:
                macInterruptStatus &= ~IsRgmii; // reading the status acknowledges its change
                // link mode full duplex (0), speed 125 MHz (2:1 = 2), link up (3)
                return phy.LinkUp ? 0x0Du : 0u;
            case MmcControl:
                return mmcControl;
            case MmcRxInterruptMask:
                return mmcRxMask;
            case MmcTxInterruptMask:
                return mmcTxMask;
            case MmcIpcInterruptMask:
                return mmcIpcMask;
            case >= ExtendedHash and < ExtendedHashEnd:
                return extendedHash[(r - ExtendedHash) / 4];
            case BusMode:
                return busMode;
            case RxListAddress:
                return rxListAddress;
            case TxListAddress:
                return txListAddress;
            case Status:
                return status | (rxState << RsShift) | (txState << TsShift) | (errorBits << EbShift) | (MacInterrupt ? Gli : 0);
            case OperationMode:
                return operationMode;
            case InterruptEnable:
                return interruptEnable;
            case MissedFrames:
                return ReadMissedFrames();
            case RxWatchdog:
                return riwt;
            case AxiBusMode:
                return axiBusMode;
            case CurrentTxDescriptor:
                return (uint)txDescriptorRegister;
            case CurrentRxDescriptor:
                return (uint)currentRx;
            case CurrentTxBuffer:
                return currentTxBuffer;
            case CurrentRxBuffer:
                return currentRxBuffer;
            case HwFeature:
                return HwFeatureValue;
            default:
                // The wake-up filter (write-only), the PCS, the MMC interrupt status and counters (none counts
                // here), the timestamp unit (not present), and the reserved rest read 0.
                return 0;
        }
    }

    private uint AddressRegister(int index, int r) =>
        (r & 4) != 0 ? addressLow[index] : index == 0 ? addressHigh[0] | AddressEnable : addressHigh[index];

    private uint ReadMissedFrames()
    {
        // CSR8 clears when read.
        uint v = missedHost | (missedHostOverflow ? MissedHostOverflow : 0) | (missedFifo << (int)MissedFifoShift) |
            (missedFifoOverflow ? MissedFifoOverflow : 0);
        missedHost = missedFifo = 0;
        missedHostOverflow = missedFifoOverflow = false;
        return v;
    }

    protected override void WriteRegister(int region, ulong offset, uint value, uint enables)
    {
        int r = (int)offset;
        uint Merge(uint old, uint writable) => (old & ~(enables & writable)) | (value & enables & writable);
        switch (r)
        {
            case MacConfig:
                bool transmitterWasOn = (macConfig & McTe) != 0;
                macConfig = Merge(macConfig, McWritable);
                if (!transmitterWasOn && (macConfig & McTe) != 0)
                    RunTransmit(); // frames the DMA had waiting for the transmitter go now
                break;
            case FrameFilter:
                frameFilter = Merge(frameFilter, FfWritable);
                break;
            case HashHigh:
                hashHigh = Merge(hashHigh, ~0u);
                break;
            case HashLow:
                hashLow = Merge(hashLow, ~0u);
                break;
            case GmiiAddress:
                gmiiAddress = Merge(gmiiAddress, 0xFFFF);
                if ((gmiiAddress & GmiiBusy) != 0)
                    MdioTransaction();
                break;
            case GmiiData:
                gmiiData = Merge(gmiiData, 0xFFFF);
                break;
            case FlowControl:
                flowControl = Merge(flowControl, FlowControlWritable); // FCB/BPA: the pause frame goes at once
                break;
            case VlanTag:
                vlanTag = Merge(vlanTag, 0x0001FFFF);
                break;
            case Pmt:
                pmt = Merge(pmt, 0x00000207);
                break;
            case LpiControl:
                lpiControl = Merge(lpiControl, 0x000F0000);
                break;
            case LpiTimer:
                lpiTimer = Merge(lpiTimer, 0x03FFFFFF);
                break;
            case InterruptMask:
                macInterruptMask = Merge(macInterruptMask, InterruptMaskWritable);
                break;
            case >= Address0High and < Address0High + 16 * 8:
                WriteAddress((r - Address0High) / 8, r, Merge);
                break;
            case >= Address16High and < Address16High + 16 * 8:
                WriteAddress(16 + (r - Address16High) / 8, r, Merge);
                break;
            case MmcControl:
                mmcControl = Merge(mmcControl, 0x3E); // counter reset (bit 0) completes at once
                break;
            case MmcRxInterruptMask:
                mmcRxMask = Merge(mmcRxMask, 0x03FFFFFF);
                break;
            case MmcTxInterruptMask:
                mmcTxMask = Merge(mmcTxMask, 0x03FFFFFF);
                break;
            case MmcIpcInterruptMask:
                mmcIpcMask = Merge(mmcIpcMask, 0x3FFF3FFF);
                break;
            case >= ExtendedHash and < ExtendedHashEnd:
                extendedHash[(r - ExtendedHash) / 4] = Merge(extendedHash[(r - ExtendedHash) / 4], ~0u);
                break;
            case BusMode:
                if ((value & enables & BmSwr) != 0)
                {
                    SoftwareReset(); // completes at once: SWR reads 0 again
                    break;
                }
                busMode = Merge(busMode, ~BmSwr);
                break;
            case TxPollDemand:
                if (txState == TxSuspended)
                    txState = TxRunning;
                RunTransmit();
                break;
            case RxPollDemand:
                if (rxState == RxSuspended)
                    rxState = RxWaiting;
                ReleaseHeldFrames();
                break;
            case RxListAddress:
                rxListAddress = Merge(rxListAddress, ~3u); // word aligned on the 32-bit bus
                if ((operationMode & OmSr) == 0)
                    currentRx = rxListAddress; // taken when the receive DMA starts
                break;
            case TxListAddress:
                txListAddress = Merge(txListAddress, ~3u);
                if ((operationMode & OmSt) == 0)
                    currentTx = txListAddress;
                break;
            case Status:
                status &= ~(value & enables & StatusWriteOneToClear);
                UpdateSummaries(); // a summary whose event is still set and enabled is set again
                break;
            case OperationMode:
                WriteOperationMode(Merge(operationMode, ~OmFtf)); // FTF: the transmit FIFO is empty, the flush done
                break;
            case InterruptEnable:
                interruptEnable = Merge(interruptEnable, InterruptEnableWritable);
                UpdateSummaries();
                break;
            case RxWatchdog:
                riwt = Merge(riwt, 0xFF);
                break;
            case AxiBusMode:
                axiBusMode = Merge(axiBusMode, AxiWritable);
                break;
            // Read-only: version, debug, interrupt status, RGMII status, MMC status and counters, missed frames,
            // current descriptor and buffer addresses, HW feature. The wake-up filter and PCS are not modelled.
        }
    }

    // The transmit process running (CSR5 22:20 = 3: reading data from host memory into the FIFO).
    private const uint TxRunning = 3;

    private void WriteAddress(int index, int r, Func<uint, uint, uint> merge)
    {
        if ((r & 4) != 0)
            addressLow[index] = merge(addressLow[index], ~0u);
        else
            addressHigh[index] = merge(addressHigh[index], index == 0 ? 0xFFFFu : 0xFF00FFFFu);
    }

    private void WriteOperationMode(uint value)
    {
        uint old = operationMode;
        operationMode = value;
        if ((old & OmSt) != 0 && (value & OmSt) == 0)
        {
            txState = TxStopped;
            txHalted = false;
            SetStatus(Tps);
        }
        if ((old & OmSr) != 0 && (value & OmSr) == 0)
        {
            rxState = RxStopped;
            rxHalted = false;
            SetStatus(Rps);
            StopRefetch();
        }
        if ((old & OmSt) == 0 && (value & OmSt) != 0)
        {
            txState = TxRunning;
            RunTransmit();
        }
        if ((old & OmSr) == 0 && (value & OmSr) != 0)
        {
            rxState = RxWaiting;
            ReleaseHeldFrames();
        }
    }

    /// <summary>Sets status bits and the summaries they feed.</summary>
    private void SetStatus(uint bits)
    {
        status |= bits;
        UpdateSummaries();
    }

    // NIS and AIS are sticky: set while an event they collect is set and enabled, cleared only by writing 1.
    private void UpdateSummaries()
    {
        if ((status & interruptEnable & NormalEvents) != 0)
            status |= Nis;
        if ((status & interruptEnable & AbnormalEvents) != 0)
            status |= Ais;
    }

    /// <summary>A GMII address write with GB set: the MDIO frame to the PHY, complete at once.</summary>
    private void MdioTransaction()
    {
        int phyAddress = (int)((gmiiAddress >> 11) & 31);
        int reg = (int)((gmiiAddress >> 6) & 31);
        if ((gmiiAddress & GmiiWrite) != 0)
        {
            if (phyAddress == PhyAddress)
                phy.Write(reg, (ushort)gmiiData);
        }
        else
        {
            gmiiData = phyAddress == PhyAddress ? phy.Read(reg) : 0xFFFFu; // nobody drives MDIO: pulled up
        }
        gmiiAddress &= ~GmiiBusy;
    }

    /// <summary>A fatal bus error: FBI and the error bits, and the DMA engine that met it stops.</summary>
    private void FatalBusError(bool transmit, bool read, bool descriptor)
    {
        errorBits = (transmit ? EbTxDma : 0) | (read ? EbRead : 0) | (descriptor ? EbDescriptor : 0);
        if (transmit)
        {
            txHalted = true;
            txState = TxStopped;
        }
        else
        {
            rxHalted = true;
            rxState = RxStopped;
            StopRefetch();
        }
        SetStatus(Fbi);
    }

    // ---- transmit ----

    /// <summary>
    /// The transmit DMA from the current descriptor on: each frame (first to last segment) read from its buffers,
    /// put on the wire, its descriptors given back; it suspends (TU) at a descriptor the CPU owns.
    /// </summary>
    private void RunTransmit()
    {
        if ((operationMode & OmSt) == 0 || txHalted || txState == TxSuspended || (macConfig & McTe) == 0)
            return; // stopped, or the MAC's transmitter is off: frames wait in the DMA
        int budget = TransmitBudget;
        while (budget > 0 && TransmitFrame(ref budget))
        {
        }
    }

    /// <summary>One frame; false when the DMA stops or suspends (or the budget ran out) instead.</summary>
    private bool TransmitFrame(ref int budget)
    {
        txDescriptors.Clear();
        ulong at = currentTx;
        int length = 0;
        bool tooLong = false;
        uint first = 0, last;
        Span<byte> d = stackalloc byte[16];
        while (true)
        {
            if (budget-- <= 0)
                return false; // the next poll demand goes on from the frame's first descriptor
            if (!DmaRead(at, d))
            {
                FatalBusError(transmit: true, read: true, descriptor: true);
                return false;
            }
            txDescriptorRegister = at;
            uint des0 = BinaryPrimitives.ReadUInt32LittleEndian(d);
            uint des1 = BinaryPrimitives.ReadUInt32LittleEndian(d[4..]);
            uint des2 = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
            uint des3 = BinaryPrimitives.ReadUInt32LittleEndian(d[12..]);
            if ((des0 & Own) == 0)
            {
                // The CPU's: the DMA suspends, and takes the frame from its first descriptor when polled again.
                txState = TxSuspended;
                SetStatus(Tu);
                return false;
            }
            if (txDescriptors.Count == 0)
                first = des0;
            bool chained = (des0 & TxChained) != 0;
            if (!ReadBuffer(des2, (int)(des1 & BufferSizeMask), ref length, ref tooLong) ||
                (!chained && !ReadBuffer(des3, (int)((des1 >> Buffer2Shift) & BufferSizeMask), ref length, ref tooLong)))
            {
                FatalBusError(transmit: true, read: true, descriptor: false);
                return false;
            }
            txDescriptors.Add((at, des0));
            at = chained ? des3 : (des0 & TxEndOfRing) != 0 ? txListAddress : NextInRing(at);
            if ((des0 & TxLast) != 0)
            {
                last = des0;
                break;
            }
        }

        uint frameStatus = 0;
        bool jabber = tooLong || ((macConfig & McJd) == 0 && length > ((macConfig & McJe) != 0 ? 10240 : 2048));
        if (jabber)
        {
            // Cut off by the jabber timer (or longer than the model moves): flushed, not sent.
            frameStatus = TxEs | TxJt | TxFf;
            SetStatus(Tjt);
        }
        else if (length > 0) // descriptors without data put nothing on the wire
        {
            int sent = length;
            if ((first & TxCrcDisable) != 0)
                sent = Math.Max(0, sent - Fcs); // the frame carries its own FCS, which the wire does not
            if ((first & TxDisablePad) == 0 && sent < MinFrame)
            {
                Array.Clear(txFrame, sent, MinFrame - sent);
                sent = MinFrame;
            }
            if (phy.LinkUp && sent > 0)
                Transmit(txFrame.AsSpan(0, sent)); // full duplex: no carrier to lose, no collision
        }

        Span<byte> word = stackalloc byte[4];
        for (int i = 0; i < txDescriptors.Count; i++)
        {
            var (address, des0) = txDescriptors[i];
            uint back = des0 & ~Own & ~TxStatusMask;
            if (i == txDescriptors.Count - 1)
                back |= frameStatus;
            BinaryPrimitives.WriteUInt32LittleEndian(word, back);
            if (!DmaWrite(address, word))
            {
                FatalBusError(transmit: true, read: false, descriptor: true);
                return false;
            }
        }
        currentTx = at;
        if ((last & TxInterrupt) != 0)
            SetStatus(Ti);
        return true;
    }

    /// <summary>Appends a transmit buffer to the frame; false when the DMA cannot read it.</summary>
    private bool ReadBuffer(uint address, int size, ref int length, ref bool tooLong)
    {
        if (size == 0)
            return true;
        currentTxBuffer = address;
        if (length + size > MaxFrame)
        {
            tooLong = true;
            return true;
        }
        if (!DmaRead(address, txFrame.AsSpan(length, size)))
            return false;
        length += size;
        return true;
    }

    // ---- receive ----

    protected override ReceiveOutcome ReceiveFrame(ReadOnlySpan<byte> frame)
    {
        if ((macConfig & McRe) == 0 || !phy.LinkUp || frame.Length < 14 || frame.Length > MaxFrame - Fcs)
            return ReceiveOutcome.Dropped;
        if (!Filter(frame, out bool daFilterFail))
            return ReceiveOutcome.Dropped;
        if ((operationMode & OmSr) == 0 || rxHalted)
            return ReceiveOutcome.NoRoom; // the receive DMA is stopped: the frame waits in the FIFO

        // What the DMA moves: the frame, padded to the minimum as the sender's MAC pads it, and its FCS.
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        bool vlan = type == 0x8100;
        int padded = Math.Max(frame.Length, MinFrame);
        var packet = new byte[padded + Fcs];
        frame.CopyTo(packet);
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(padded), EthernetCrc.Fcs(packet.AsSpan(0, padded)));
        int total = packet.Length;
        uint frameStatus = type >= 0x600 ? RxFrameType : 0;
        if ((macConfig & McAcs) != 0 && type < 0x600)
            total = Math.Min(padded, 14 + type); // automatic pad and FCS stripping of length-field frames
        if (vlan)
            frameStatus |= RxVlan;
        if (daFilterFail)
            frameStatus |= RxDaFilterFail; // receive-all passed it: the descriptor says the filter did not
        int giant = (macConfig & McJe) != 0 ? 9018 : (macConfig & Mc2K) != 0 ? 2000 : 1518;
        if (total > giant + (vlan ? 4 : 0))
            frameStatus |= RxGiant | RxEs;
        int watchdogLimit = (macConfig & McJe) != 0 ? 10240 : 2048;
        if ((macConfig & McWd) == 0 && total > watchdogLimit)
        {
            total = watchdogLimit; // the receive watchdog cuts it
            frameStatus |= RxWatchdogTimeout | RxEs;
        }
        return StoreFrame(packet.AsSpan(0, total), frameStatus);
    }

    /// <summary>The receive DMA: the frame into the buffers of the descriptors it owns, from the current one on.</summary>
    private ReceiveOutcome StoreFrame(ReadOnlySpan<byte> packet, uint frameStatus)
    {
        ulong at = currentRx;
        int written = 0;
        ulong pending = 0; // a descriptor filled and not yet given back: whether it is the last is not known yet
        uint pendingFirst = 0;
        bool havePending = false;
        Span<byte> d = stackalloc byte[16];
        while (true)
        {
            if (!DmaRead(at, d))
            {
                FatalBusError(transmit: false, read: true, descriptor: true);
                return ReceiveOutcome.Dropped;
            }
            uint des0 = BinaryPrimitives.ReadUInt32LittleEndian(d);
            uint des1 = BinaryPrimitives.ReadUInt32LittleEndian(d[4..]);
            uint des2 = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
            uint des3 = BinaryPrimitives.ReadUInt32LittleEndian(d[12..]);
            if ((des0 & Own) == 0)
            {
                rxState = RxSuspended;
                SetStatus(Ru);
                if (!havePending)
                {
                    ArmRefetch();
                    return ReceiveOutcome.NoRoom; // no buffer: the frame waits in the FIFO
                }
                // The frame does not fit the buffers the DMA owns: truncated, descriptor error in the last one.
                return CloseFrame(pending, pendingFirst | RxLast | RxDe | RxEs | frameStatus, written, lastDes1: 0, at);
            }
            currentRx = at;
            if (havePending && !GiveBack(pending, pendingFirst))
                return ReceiveOutcome.Dropped;
            havePending = false;
            bool chained = (des1 & RxChained) != 0;
            int size1 = (int)(des1 & BufferSizeMask);
            int size2 = chained ? 0 : (int)((des1 >> Buffer2Shift) & BufferSizeMask);
            uint firstBit = written == 0 ? RxFirst : 0;
            ulong next = chained ? des3 : (des1 & RxEndOfRing) != 0 ? rxListAddress : NextInRing(at);
            if (size1 + size2 == 0)
            {
                // A descriptor without a buffer cannot take the frame: it is closed with a descriptor error and
                // the rest of the frame flushed, so a ring of such descriptors still moves on.
                return CloseFrame(at, firstBit | RxLast | RxDe | RxEs | frameStatus, written, des1, next);
            }
            if (!WriteBuffer(des2, packet, ref written, size1) || !WriteBuffer(des3, packet, ref written, size2))
            {
                FatalBusError(transmit: false, read: false, descriptor: false);
                return ReceiveOutcome.Dropped;
            }
            if (written == packet.Length)
                return CloseFrame(at, firstBit | RxLast | frameStatus, written, des1, next);
            pending = at;
            pendingFirst = firstBit;
            havePending = true;
            at = next;
        }
    }

    private bool WriteBuffer(uint address, ReadOnlySpan<byte> packet, ref int written, int size)
    {
        int n = Math.Min(size, packet.Length - written);
        if (n <= 0)
            return true;
        currentRxBuffer = address;
        if (!DmaWrite(address, packet.Slice(written, n)))
            return false;
        written += n;
        return true;
    }

    /// <summary>A descriptor of the frame that is not its last: OWN cleared, FS if it is the first.</summary>
    private bool GiveBack(ulong address, uint firstBit)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, firstBit);
        if (DmaWrite(address, word))
            return true;
        FatalBusError(transmit: false, read: false, descriptor: true);
        return false;
    }

    /// <summary>The frame's last descriptor: status and frame length, then RI (or the watchdog when DIC is set).</summary>
    private ReceiveOutcome CloseFrame(ulong address, uint bits, int length, uint lastDes1, ulong next)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(word, bits | ((uint)length << RxFrameLengthShift & 0x3FFF0000));
        if (!DmaWrite(address, word))
        {
            FatalBusError(transmit: false, read: false, descriptor: true);
            return ReceiveOutcome.Dropped;
        }
        currentRx = next;
        if (rxState == RxSuspended && (bits & RxDe) == 0)
            rxState = RxWaiting;
        if ((lastDes1 & RxDisableInterrupt) == 0)
        {
            SetStatus(Ri);
            StopWatchdog(); // RI set by a descriptor resets the watchdog
        }
        else
        {
            ArmWatchdog();
        }
        return (bits & RxDe) != 0 ? ReceiveOutcome.Dropped : ReceiveOutcome.Delivered;
    }

    // Every frame the ring turns away waits in the FIFO; one the FIFO cannot hold either is lost and counted:
    // for want of a host buffer (CSR8 15:0) while the DMA runs, as a FIFO overflow (27:17, OVF) while it is stopped.
    protected override void OnNoRoom(bool lost)
    {
        if (!lost)
            return;
        if ((operationMode & OmSr) == 0 || rxHalted)
        {
            if (missedFifo == MissedFifoMask)
                missedFifoOverflow = true;
            else
                missedFifo++;
            SetStatus(Ovf);
        }
        else if (missedHost == MissedHostMask)
        {
            missedHostOverflow = true;
        }
        else
        {
            missedHost++;
        }
    }

    /// <summary>The destination address filter (databook "Destination Address Filtering"): pass, and whether it failed.</summary>
    private bool Filter(ReadOnlySpan<byte> frame, out bool daFilterFail)
    {
        daFilterFail = false;
        if ((frameFilter & FfPr) != 0)
            return true;
        var dest = frame[..6];
        bool pass;
        if (dest.IndexOfAnyExcept((byte)0xFF) < 0)
        {
            pass = (frameFilter & FfDbf) == 0;
        }
        else
        {
            bool multicast = (dest[0] & 1) != 0;
            bool hashMode = (frameFilter & (multicast ? FfHmc : FfHuc)) != 0;
            if (multicast && (frameFilter & FfPm) != 0)
                pass = true;
            else if (hashMode)
                pass = HashMatch(dest) || ((frameFilter & FfHpf) != 0 && PerfectMatch(dest));
            else
                pass = PerfectMatch(dest);
            if ((frameFilter & FfDaif) != 0 && !(multicast && (frameFilter & FfPm) != 0))
                pass = !pass;
        }
        if (pass)
            return true;
        daFilterFail = true;
        return (frameFilter & FfRa) != 0;
    }

    // The top 6 bits of the bit-reversed CRC-32 of the destination select a bit of the 64-bit table (Linux computes
    // bitrev32(~crc32_le(~0, addr)) >> 26 for it); bit 5 of the index chooses the high register.
    private bool HashMatch(ReadOnlySpan<byte> dest)
    {
        int bit = (int)(~EthernetCrc.EtherCrc(dest) >> 26);
        uint table = bit >= 32 ? hashHigh : hashLow;
        return (table & (1u << (bit & 31))) != 0;
    }

    // Address 0 always compares; 1-31 when their AE bit is set, as destination addresses (SA clear), with the bytes
    // their MBC bits mask left out.
    private bool PerfectMatch(ReadOnlySpan<byte> dest)
    {
        for (int i = 0; i < AddressCount; i++)
        {
            uint high = addressHigh[i], low = addressLow[i];
            uint mask = 0;
            if (i > 0)
            {
                if ((high & AddressEnable) == 0 || (high & AddressSource) != 0)
                    continue;
                mask = (high >> 24) & 0x3F;
            }
            bool match = true;
            for (int b = 0; b < 6 && match; b++)
            {
                if ((mask & (1u << b)) != 0)
                    continue;
                byte want = b < 4 ? (byte)(low >> (8 * b)) : (byte)(high >> (8 * (b - 4)));
                match = dest[b] == want;
            }
            if (match)
                return true;
        }
        return false;
    }

    // ---- timers ----

    // The receive watchdog (CSR9): after a frame whose descriptor disabled its interrupt (DIC), RI comes when
    // RIWT × 256 CSR clock cycles have passed, unless an RI from a descriptor came first. RIWT 0: no watchdog.
    private void ArmWatchdog()
    {
        if (riwt == 0 || watchdogArmed)
            return;
        watchdogArmed = true;
        int generation = ++watchdogGeneration;
        long microseconds = riwt * 256L / CsrClockMHz;
        int ms = (int)Math.Max(1, (microseconds + 999) / 1000);
        watchdog?.Dispose();
        watchdog = new Timer(_ => RunContained(() => WatchdogExpired(generation)), null, ms, Timeout.Infinite);
    }

    private void WatchdogExpired(int generation)
    {
        if (!watchdogArmed || generation != watchdogGeneration)
            return;
        watchdogArmed = false;
        SetStatus(Ri);
    }

    private void StopWatchdog()
    {
        watchdogArmed = false;
        watchdogGeneration++;
    }

    // The receive DMA suspended for want of a descriptor fetches it again when another frame arrives; the driver
    // writes no poll demand when it refills its ring. Frames already in the FIFO arrive again every millisecond
    // here, so they do not wait for a frame that may never come.
    private void ArmRefetch()
    {
        if (refetchArmed)
            return;
        refetchArmed = true;
        refetch ??= new Timer(_ => RunContained(Refetch));
        refetch.Change(1, Timeout.Infinite);
    }

    private void Refetch()
    {
        if (!refetchArmed)
            return;
        refetchArmed = false;
        if (rxState != RxSuspended || (operationMode & OmSr) == 0 || rxHalted)
            return;
        ReleaseHeldFrames(); // re-arms through NoRoom if the ring is still full
    }

    private void StopRefetch() => refetchArmed = false;

    // ---- link and reset ----

    protected override void OnLinkChanged(bool up)
    {
        phy.LinkUp = up;
        macInterruptStatus |= IsRgmii; // the RGMII in-band link status changed
    }

    /// <summary>DMA bus mode SWR: every MAC and DMA register to its reset value (the PHY is another chip).</summary>
    private void SoftwareReset()
    {
        macConfig = 0;
        frameFilter = 0;
        hashHigh = hashLow = 0;
        gmiiAddress = gmiiData = 0;
        flowControl = vlanTag = pmt = lpiControl = 0;
        lpiTimer = 0x03E80000; // LS 1000 ms, TW 0
        macInterruptStatus = 0;
        macInterruptMask = 0;
        // Address 0 comes back as the board programmed it (the model's strap for the station address); the others
        // to the databook's all ones, disabled.
        addressHigh[0] = (uint)(Mac.B5 << 8 | Mac.B4);
        addressLow[0] = (uint)(Mac.B3 << 24 | Mac.B2 << 16 | Mac.B1 << 8 | Mac.B0);
        for (int i = 1; i < AddressCount; i++)
        {
            addressHigh[i] = 0x0000FFFF;
            addressLow[i] = 0xFFFFFFFF;
        }
        Array.Clear(extendedHash);
        mmcControl = mmcRxMask = mmcTxMask = mmcIpcMask = 0;
        busMode = BusModeReset;
        rxListAddress = txListAddress = 0;
        status = 0;
        operationMode = 0;
        interruptEnable = 0;
        riwt = 0;
        axiBusMode = AxiBusModeReset;
        rxState = RxStopped;
        txState = TxStopped;
        errorBits = 0;
        missedHost = missedFifo = 0;
        missedHostOverflow = missedFifoOverflow = txHalted = rxHalted = false;
        currentTx = currentRx = txDescriptorRegister = 0;
        currentTxBuffer = currentRxBuffer = 0;
        StopWatchdog();
        StopRefetch();
        ClearHeldFrames();
    }

    protected override void ResetDevice()
    {
        SoftwareReset();
        phy.Reset();
    }

    protected override void DisposeModel()
    {
        lock (Sync)
        {
            watchdog?.Dispose();
            watchdog = null;
            refetch?.Dispose();
            refetch = null;
            StopWatchdog();
            StopRefetch();
        }
    }
}
