// SPDX-License-Identifier: MIT
// Managed side. Register offsets, bits and descriptor fields of the Synopsys DesignWare GMAC, release 3.70a
// (the "DWMAC1000" core of Linux's stmmac): the MAC (GMAC) registers from offset 0, the MMC counters from
// 0x100, the DMA (CSR0-CSR22) from 0x1000, and the enhanced/alternate descriptor layout (DES0-DES3, with
// DES4-DES7 when the bus mode's ATDS selects 32-byte descriptors).
namespace LinuxShim.Devices.Dwmac;

internal static class DwmacRegisters
{
    /// <summary>The register block: MAC, MMC and DMA, up to and past the HW feature register.</summary>
    public const ulong RegisterSpace = 0x2000;

    // ---- GMAC (MAC) registers ----
    public const int MacConfig = 0x00, FrameFilter = 0x04, HashHigh = 0x08, HashLow = 0x0C, GmiiAddress = 0x10,
        GmiiData = 0x14, FlowControl = 0x18, VlanTag = 0x1C, MacVersion = 0x20, Debug = 0x24, WakeUpFilter = 0x28,
        Pmt = 0x2C, LpiControl = 0x30, LpiTimer = 0x34, InterruptStatus = 0x38, InterruptMask = 0x3C;

    /// <summary>MAC address 0-15 high/low pairs at 0x40 + 8n; 16-31 at 0x800 + 8(n - 16).</summary>
    public const int Address0High = 0x40, Address16High = 0x800, AddressCount = 32;

    public const int PcsBase = 0xC0, RgmiiStatus = 0xD8;

    public const int MmcControl = 0x100, MmcRxInterrupt = 0x104, MmcTxInterrupt = 0x108, MmcRxInterruptMask = 0x10C,
        MmcTxInterruptMask = 0x110, MmcIpcInterruptMask = 0x200, MmcIpcInterrupt = 0x208, MmcEnd = 0x300;

    /// <summary>The extended hash table (128/256 bins), 0x500-0x51C: kept, not used by the filter.</summary>
    public const int ExtendedHash = 0x500, ExtendedHashEnd = 0x520;

    /// <summary>Release 3.70a in the Synopsys-defined byte, user version 0x10 in the next.</summary>
    public const uint VersionValue = 0x1037;

    // MAC configuration (register 0).
    public const uint McRe = 1 << 2, McTe = 1 << 3, McAcs = 1 << 7, McIpc = 1 << 10, McDm = 1 << 11, McLm = 1 << 12,
        McFes = 1 << 14, McPs = 1 << 15, McJe = 1 << 20, McJd = 1 << 22, McWd = 1 << 23, Mc2K = 1 << 27;

    /// <summary>Every bit of register 0 but IPC (no receive checksum engine here, so it stays 0) and 31:28.</summary>
    public const uint McWritable = 0x0FFFFFFF & ~McIpc;

    // Frame filter (register 1).
    public const uint FfPr = 1 << 0, FfHuc = 1 << 1, FfHmc = 1 << 2, FfDaif = 1 << 3, FfPm = 1 << 4, FfDbf = 1 << 5,
        FfHpf = 1 << 10, FfRa = 1u << 31;

    public const uint FfWritable = 0x803107FF;

    // GMII address (register 4): busy, write, clock range 5:2, register 10:6, PHY 15:11.
    public const uint GmiiBusy = 1 << 0, GmiiWrite = 1 << 1;

    /// <summary>Flow control (register 6) bits kept: pause time, DZPQ, PLT, UP, RFE, TFE (FCB/BPA self-clears).</summary>
    public const uint FlowControlWritable = 0xFFFF00BE;

    /// <summary>Interrupt mask (register 15): RGMII, PCS link, PCS AN complete, PMT, timestamp, LPI.</summary>
    public const uint InterruptMaskWritable = 0x60F;

    /// <summary>Interrupt status bit 0: the RGMII/SMII link status changed (cleared by reading register 54).</summary>
    public const uint IsRgmii = 1 << 0;

    /// <summary>MAC address high: AE (address enable, always 1 for address 0), SA, MBC 29:24.</summary>
    public const uint AddressEnable = 1u << 31, AddressSource = 1 << 30;

    // ---- DMA registers (CSR0-CSR22) ----
    public const int BusMode = 0x1000, TxPollDemand = 0x1004, RxPollDemand = 0x1008, RxListAddress = 0x100C,
        TxListAddress = 0x1010, Status = 0x1014, OperationMode = 0x1018, InterruptEnable = 0x101C,
        MissedFrames = 0x1020, RxWatchdog = 0x1024, AxiBusMode = 0x1028, AxiStatus = 0x102C,
        CurrentTxDescriptor = 0x1048, CurrentRxDescriptor = 0x104C, CurrentTxBuffer = 0x1050, CurrentRxBuffer = 0x1054,
        HwFeature = 0x1058;

    // Bus mode (CSR0).
    public const uint BmSwr = 1 << 0, BmDslMask = 0x7C, BmAtds = 1 << 7;
    public const int BmDslShift = 2;

    /// <summary>Bus mode after reset: PBL 1, RPBL 1.</summary>
    public const uint BusModeReset = 0x00020100;

    /// <summary>AXI bus mode after reset: one outstanding read and write, UNDEF (any burst length).</summary>
    public const uint AxiBusModeReset = 0x00110001, AxiWritable = 0xC0FF30FF;

    // Status (CSR5).
    public const uint Ti = 1 << 0, Tps = 1 << 1, Tu = 1 << 2, Tjt = 1 << 3, Ovf = 1 << 4, Unf = 1 << 5, Ri = 1 << 6,
        Ru = 1 << 7, Rps = 1 << 8, Rwt = 1 << 9, Eti = 1 << 10, Fbi = 1 << 13, Eri = 1 << 14, Ais = 1 << 15, Nis = 1 << 16;

    /// <summary>The bits the driver clears by writing 1: 16:0.</summary>
    public const uint StatusWriteOneToClear = 0x1FFFF;

    /// <summary>Events the normal summary collects (TI, TU, RI, ERI) and those the abnormal one does.</summary>
    public const uint NormalEvents = Ti | Tu | Ri | Eri, AbnormalEvents = Tps | Tjt | Ovf | Unf | Ru | Rps | Rwt | Eti | Fbi;

    public const int RsShift = 17, TsShift = 20, EbShift = 23;

    /// <summary>GMAC line interface interrupt (CSR5 bit 26): the MAC's interrupt status has an unmasked bit.</summary>
    public const uint Gli = 1 << 26;

    // Receive process states (CSR5 19:17) and transmit process states (22:20) the model takes.
    public const uint RxStopped = 0, RxWaiting = 3, RxSuspended = 4, TxStopped = 0, TxSuspended = 6;

    // Error bits (CSR5 25:23) with a fatal bus error: 23 transmit DMA (else receive), 24 read (else write),
    // 25 descriptor access (else data buffer).
    public const uint EbTxDma = 1, EbRead = 2, EbDescriptor = 4;

    // Operation mode (CSR6).
    public const uint OmSr = 1 << 1, OmSt = 1 << 13, OmFtf = 1 << 20, OmDff = 1 << 24;

    /// <summary>Interrupt enable (CSR7): every bit that has a status bit, 16:13 and 10:0.</summary>
    public const uint InterruptEnableWritable = 0x1E7FF;

    public const uint Nie = 1 << 16, Aie = 1 << 15;

    // Missed frame counter (CSR8): 15:0 frames missed for want of a host buffer, 16 its overflow; 27:17 frames
    // the FIFO overflowed on, 28 its overflow.
    public const uint MissedHostMask = 0xFFFF, MissedHostOverflow = 1 << 16, MissedFifoShift = 17, MissedFifoMask = 0x7FF,
        MissedFifoOverflow = 1 << 28;

    /// <summary>
    /// HW feature (CSR22): 10/100 (MIISEL) and 1000 (GMIISEL) Mbit/s, the 64-bin hash filter (HASHSEL), more than one
    /// MAC address (ADDMAC), the MDIO interface (SMASEL), the MMC counters (MMCSEL), a receive FIFO over 2 KiB, and the
    /// alternate (enhanced) descriptors (ENHDESSEL); one channel each way, GMII/MII as the PHY interface. No checksum
    /// offload, time stamping, power management, EEE, PCS or half duplex: none of them is modelled.
    /// </summary>
    public const uint HwFeatureValue = 0x1 | 0x2 | 0x10 | 0x20 | 0x100 | 0x800 | 0x80000 | 0x1000000;

    // ---- Descriptors (enhanced/alternate format, ring or chain) ----
    public const uint Own = 1u << 31;

    // TDES0: status 16:0 written back, control 30:20.
    public const uint TxEs = 1 << 15, TxJt = 1 << 14, TxFf = 1 << 13, TxChained = 1 << 20, TxEndOfRing = 1 << 21,
        TxCrcDisable = 1 << 27, TxDisablePad = 1 << 26, TxFirst = 1 << 28, TxLast = 1 << 29, TxInterrupt = 1 << 30;

    /// <summary>The TDES0 status bits the DMA writes back (16:0 and the time-stamp status 17).</summary>
    public const uint TxStatusMask = 0x3FFFF;

    // TDES1 / RDES1 buffer sizes: buffer 1 in 12:0, buffer 2 in 28:16.
    public const uint BufferSizeMask = 0x1FFF;
    public const int Buffer2Shift = 16;

    // RDES0 (written back): FL in 29:16.
    public const uint RxDaFilterFail = 1 << 30, RxEs = 1 << 15, RxDe = 1 << 14, RxLengthError = 1 << 12,
        RxOverflow = 1 << 11, RxVlan = 1 << 10, RxFirst = 1 << 9, RxLast = 1 << 8, RxGiant = 1 << 7,
        RxFrameType = 1 << 5, RxWatchdogTimeout = 1 << 4;

    public const int RxFrameLengthShift = 16;

    // RDES1 control: DIC 31, RER 15, RCH 14.
    public const uint RxDisableInterrupt = 1u << 31, RxEndOfRing = 1 << 15, RxChained = 1 << 14;
}
