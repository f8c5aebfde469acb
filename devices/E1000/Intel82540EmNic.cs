// SPDX-License-Identifier: MIT
// Managed side. Intel 82540EM as e1000 drives it: MMIO registers in BAR0 and the same registers
// through IOADDR/IODATA in the I/O BAR, Microwire EEPROM (EECD bit-banging and EERD) with the
// 0xBABA checksum, the M88E1011 PHY through MDIC, legacy/TCP-IP descriptor rings, interrupt
// cause/mask, receive address and multicast filters, clear-on-read statistics. Facts from the
// 8254x Software Developer's Manual as summarised in shared/specs/82540em.md.
using System.Buffers.Binary;
using LinuxShim.Devices.Eeprom;
using LinuxShim.Devices.Pci;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Posix;
using static LinuxShim.Devices.E1000.E1000Registers;

namespace LinuxShim.Devices.E1000;

public sealed class Intel82540EmNic : NetworkDevice
{
    public static readonly PciIdentity Identity = new(0x8086, 0x100E, 0x03, 0x020000, 0x8086, 0x001E);

    private const int MaxPacket = 64 * 1024;
    private const int DescriptorSize = 16;

    private readonly uint[] regs = new uint[RegisterSpace / 4];

    // Page 0x5000 holds storage the device only reads when a frame arrives and that no read or write acts on: receive
    // checksum control, the multicast table, the receive addresses, the VLAN filter table, wake-up and manageability
    // registers. It lives in memory shared with the client, which maps it (sparse mmap) and sets a multicast list or
    // the VLAN table with plain stores instead of a message per register (8254x manual, register summary).
    private const int FilterPage = 0x5000, PageSize = 0x1000;
    private readonly SharedMemory filters = SharedMemory.Create("82540em-filters", FilterPage + PageSize);
    private readonly MicrowireEeprom eeprom;
    private readonly M88E1011Phy phy = new();
    private readonly List<byte> txPacket = [];
    private byte[] receiveBuffer = new byte[2048]; // a received frame as it goes to the ring (under Sync)
    private OffloadContext context;
    private bool txTso, txIpChecksum, txL4Checksum, txFirst = true, txDiscard;
    private uint ioAddress;

    public Intel82540EmNic(MacAddress mac)
        : base(Identity, mac, new PciBar(RegisterSpace, IsIo: false), new PciBar(IoSpace, IsIo: true))
    {
        eeprom = new MicrowireEeprom(EepromImage(mac));
        lock (Sync)
            ResetDevice();
    }

    /// <summary>
    /// The 64-word EEPROM: MAC in words 0-2, default LEDs, full flow control, the PCI ids the function loads
    /// its configuration space from (8254x manual, EEPROM map: 0Bh subsystem ID, 0Ch subsystem vendor ID,
    /// 0Dh device ID, 0Eh vendor ID), checksum 0xBABA.
    /// </summary>
    public static ushort[] EepromImage(MacAddress mac)
    {
        var w = MicrowireEeprom.WithMac([], 0, mac);
        w[0x04] = 0xFFFF; // ID LED settings: use defaults
        w[0x0A] = 0x4408; // initialization control 1
        (w[0x0B], w[0x0C], w[0x0D], w[0x0E]) = (Identity.SubsystemId, Identity.SubsystemVendorId, Identity.DeviceId, Identity.VendorId);
        w[0x0F] = 0x3000; // initialization control 2: pause bits = full flow control
        ushort sum = 0;
        for (int i = 0; i < 0x3F; i++)
            sum += w[i];
        w[0x3F] = (ushort)(0xBABA - sum);
        return w;
    }

    protected override bool InterruptPending => (Reg(ICR) & Reg(IMS)) != 0;

    // The ring tails are the 82540EM's doorbells: a write hands descriptors to the device, which takes them when
    // it gets to them (a later tail value covers an earlier one), and nothing the driver reads depends on when.
    private static readonly VfioDoorbell[] TailDoorbells = [new(TDT, 4), new(RDT, 4)];

    public override IReadOnlyList<VfioDoorbell> Doorbells(int region) => region == 0 ? TailDoorbells : [];

    private ref uint Reg(int offset) => ref (offset & ~(PageSize - 1)) == FilterPage ? ref FilterRegister(offset) : ref regs[offset >> 2];

    private unsafe ref uint FilterRegister(int offset) => ref *(uint*)(filters.Address + (offset & ~3));

    public override VfioMappedAreas? MappedAreas(int region) => region == 0 ? new VfioMappedAreas(filters.Handle, [(FilterPage, PageSize)]) : null;

    protected override void DisposeModel() => filters.Dispose();

    protected override uint ReadBar(int bar, ulong offset, int size)
    {
        uint value;
        if (bar == 1)
        {
            int o = (int)offset & ~3;
            value = o == 0 ? ioAddress : o == 4 ? ReadRegister((int)(ioAddress & (RegisterSpace - 4))) : 0;
        }
        else
        {
            value = ReadRegister((int)offset & ~3);
        }
        int shift = 8 * ((int)offset & 3);
        return size == 4 ? value : (value >> shift) & ((1u << (8 * size)) - 1);
    }

    protected override void WriteBar(int bar, ulong offset, int size, uint value)
    {
        if (size != 4 || (offset & 3) != 0)
            return; // the 82540EM's registers take 32-bit accesses only
        if (bar == 1)
        {
            if (offset == 0)
                ioAddress = value;
            else if (offset == 4)
                WriteRegister((int)(ioAddress & (RegisterSpace - 4)), value);
            return;
        }
        WriteRegister((int)offset, value);
    }

    private uint ReadRegister(int r)
    {
        switch (r)
        {
            case STATUS:
                return StatusNow();
            case EECD:
                return (Reg(EECD) & ~EecdDo) | (eeprom.DataOut ? EecdDo : 0);
            case ICR:
                uint icr = Reg(ICR);
                Reg(ICR) = 0; // clear on read
                UpdateInterrupt();
                return icr;
            case ICS or IMC:
                return 0;
            case >= StatsStart and < StatsEnd:
                uint v = Reg(r);
                Reg(r) = 0; // statistics clear on read
                return v;
            default:
                return Reg(r);
        }
    }

    private uint StatusNow()
    {
        uint s = StatusFd | StatusSpeed1000 | StatusAsdv1000 | StatusMtxckok | 0x80080000;
        return LinkUp ? s | StatusLu : s;
    }

    private void WriteRegister(int r, uint v)
    {
        switch (r)
        {
            case CTRL:
                if ((v & CtrlRst) != 0)
                {
                    ResetDevice();
                    break;
                }
                if ((v & CtrlPhyRst) != 0)
                    phy.Reset();
                Reg(CTRL) = v & ~(CtrlRst | CtrlPhyRst);
                break;
            case STATUS:
                break;
            case EECD:
                uint eecd = (v & (EecdSk | EecdCs | EecdDi | EecdReq)) | EecdPres;
                if ((v & EecdReq) != 0)
                    eecd |= EecdGnt;
                Reg(EECD) = eecd;
                eeprom.SetPins((v & EecdCs) != 0, (v & EecdSk) != 0, (v & EecdDi) != 0);
                break;
            case EERD:
                int word = (int)(v >> 8) & 0xFF;
                Reg(EERD) = (v & EerdStart) == 0 ? v
                    : ((uint)(word < MicrowireEeprom.WordCount ? eeprom[word] : 0) << 16) | ((uint)word << 8) | EerdDone;
                break;
            case MDIC:
                Reg(MDIC) = Mdio(v);
                if ((v & MdicInterrupt) != 0)
                    Reg(ICR) |= MDAC;
                break;
            case ICR:
                Reg(ICR) &= ~v;
                break;
            case ICS:
                Reg(ICR) |= v;
                break;
            case IMS:
                Reg(IMS) |= v;
                break;
            case IMC:
                Reg(IMS) &= ~v;
                break;
            case RCTL:
                Reg(RCTL) = v;
                if ((v & RctlEn) != 0)
                    ReleaseHeldFrames();
                break;
            case TCTL:
                Reg(TCTL) = v;
                ProcessTransmit();
                break;
            case RDLEN or TDLEN:
                Reg(r) = v & 0xFFF80;
                break;
            case RDH or RDT or TDH or TDT:
                Reg(r) = v & 0xFFFF;
                if (r == TDT)
                    ProcessTransmit();
                else if (r == RDT)
                    ReleaseHeldFrames();
                break;
            case >= StatsStart and < StatsEnd:
                break;
            default:
                if (r < RegisterSpace)
                    Reg(r) = v;
                break;
        }
        UpdateInterrupt();
    }

    private uint Mdio(uint v)
    {
        int reg = (int)(v >> 16) & 0x1F;
        int addr = (int)(v >> 21) & 0x1F;
        uint result = (v & 0x3FFF0000) | MdicReady;
        if (addr != M88E1011Phy.Address)
            return result | MdicError;
        if ((v & 0x0C000000) == MdicOpRead)
            return phy.TryRead(reg, out ushort data) ? result | data : result | MdicError;
        if ((v & 0x0C000000) == MdicOpWrite)
            return phy.TryWrite(reg, (ushort)v) ? result | (v & 0xFFFF) : result | MdicError;
        return result | MdicError;
    }

    protected override void OnLinkChanged(bool up)
    {
        phy.LinkUp = up;
        Reg(ICR) |= LSC;
    }

    protected override void ResetDevice()
    {
        Array.Clear(regs);
        filters.AsSpan(FilterPage, PageSize).Clear();
        Reg(EECD) = EecdPres;
        Reg(VET) = 0x8100;
        Reg(LEDCTL) = 0x07068302;
        Reg(PBA) = 0x00100030;
        Reg(TIPG) = 0x0060200A;
        for (int i = 0; i < 2; i++)
            Reg(RA) |= (uint)eeprom[i] << (16 * i); // the station address loads from the EEPROM
        Reg(RA + 4) = eeprom[2] | RahAv;
        phy.Reset();
        eeprom.SetPins(false, false, false);
        ioAddress = 0;
        txPacket.Clear();
        txFirst = true;
        txDiscard = false;
        context = default;
        ClearHeldFrames();
    }

    private ulong RingBase(int low) => ((ulong)Reg(low + 4) << 32 | Reg(low)) & ~0xFul;

    // ---- transmit -------------------------------------------------------------------------

    private void ProcessTransmit()
    {
        if ((Reg(TCTL) & TctlEn) == 0)
            return;
        uint count = Reg(TDLEN) / DescriptorSize;
        if (count == 0 || Reg(TDH) >= count || Reg(TDT) >= count)
            return; // a ring the driver described wrongly: do nothing rather than walk outside it
        ulong ring = RingBase(TDBAL);
        Span<byte> d = stackalloc byte[DescriptorSize];
        bool wroteBack = false;
        for (uint guard = 0; Reg(TDH) != Reg(TDT) && guard < count; guard++)
        {
            ulong at = ring + Reg(TDH) * DescriptorSize;
            if (!DmaRead(at, d))
                break;
            byte cmd = TransmitDescriptor(d);
            if ((cmd & (TxCmdRs | TxCmdRps)) != 0)
            {
                DmaWrite(at + 12, [(byte)(d[12] | TxStaDd)]);
                wroteBack = true;
            }
            Reg(TDH) = (Reg(TDH) + 1) % count;
        }
        if (wroteBack)
            Reg(ICR) |= TXDW;
        if (Reg(TDH) == Reg(TDT))
            Reg(ICR) |= TXQE;
    }

    /// <summary>Handles one descriptor; returns its command byte (for the RS write-back).</summary>
    private byte TransmitDescriptor(ReadOnlySpan<byte> d)
    {
        ulong address = BinaryPrimitives.ReadUInt64LittleEndian(d);
        uint lower = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
        byte cmd = (byte)(lower >> 24);
        bool extended = (cmd & TxCmdDext) != 0;
        int dtyp = (int)(lower >> 20) & 0xF;
        if (extended && dtyp == 0)
        {
            context = new OffloadContext(d[0], d[1], BinaryPrimitives.ReadUInt16LittleEndian(d[2..]), d[4], d[5],
                BinaryPrimitives.ReadUInt16LittleEndian(d[6..]), (int)(lower & 0xFFFFF), (byte)(lower >> 24),
                d[13], BinaryPrimitives.ReadUInt16LittleEndian(d[14..]));
            return cmd;
        }
        int length = extended ? (int)(lower & 0xFFFFF) : (int)(lower & 0xFFFF);
        if (txFirst)
        {
            txTso = extended && (cmd & TxCmdTse) != 0;
            txIpChecksum = extended && (d[13] & TxPoptsIxsm) != 0;
            txL4Checksum = extended && (d[13] & TxPoptsTxsm) != 0;
            txFirst = false;
        }
        // A packet longer than the model buffers, or one whose data cannot be fetched, is malformed: its
        // descriptors still complete, but no frame with a piece missing goes on the wire.
        if (!txDiscard)
        {
            var data = txPacket.Count + length <= MaxPacket ? new byte[length] : null;
            if (data is not null && DmaRead(address, data))
                txPacket.AddRange(data);
            else
                txDiscard = true;
        }
        if ((cmd & TxCmdEop) == 0)
            return cmd;

        byte[] packet = [.. txPacket];
        bool discard = txDiscard;
        txPacket.Clear();
        txFirst = true;
        txDiscard = false;
        if (discard)
            return cmd;
        ushort vlan = BinaryPrimitives.ReadUInt16LittleEndian(d[14..]);
        bool insertVlan = (cmd & TxCmdVle) != 0 && (Reg(CTRL) & CtrlVme) != 0;
        // Legacy descriptor: CSO is bits 23:16 of the lower dword (byte 10; byte 11 is CMD), CSS byte 13,
        // and the sum runs from CSS to the end of the packet (82540em.md, "Transmit").
        if (!extended && (cmd & TxCmdIc) != 0)
            TransmitOffload.InsertChecksum(packet, d[13], d[10], 0);
        if (txTso)
        {
            foreach (var segment in TransmitOffload.Segment(packet, context, txIpChecksum, txL4Checksum))
                Send(segment, insertVlan, vlan);
            return cmd;
        }
        if (extended)
            TransmitOffload.Checksum(packet, context, txIpChecksum, txL4Checksum);
        Send(packet, insertVlan, vlan);
        return cmd;
    }

    private void Send(byte[] frame, bool insertVlan, ushort tag)
    {
        if (frame.Length < 14)
            return;
        if (insertVlan)
        {
            var tagged = new byte[frame.Length + 4];
            frame.AsSpan(0, 12).CopyTo(tagged);
            BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(12), (ushort)Reg(VET));
            BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(14), tag);
            frame.AsSpan(12).CopyTo(tagged.AsSpan(16));
            frame = tagged;
        }
        Transmit(frame);
        Count(GPTC, 1);
        Count(TPT, 1);
        Count(GOTCL, (ulong)frame.Length + 4);
        Count(TOTL, (ulong)frame.Length + 4);
        if ((frame[0] & 1) != 0)
            Count(frame.AsSpan(0, 6).IndexOfAnyExcept((byte)0xFF) < 0 ? BPTC : MPTC, 1);
        Count(PTC64 + 4 * SizeBin(frame.Length + 4), 1);
    }

    private static int SizeBin(int length) => length switch { <= 64 => 0, <= 127 => 1, <= 255 => 2, <= 511 => 3, <= 1023 => 4, _ => 5 };

    /// <summary>Adds to a statistics counter (a low/high pair for the octet counters), saturating.</summary>
    private void Count(int reg, ulong add)
    {
        if (reg is GORCL or GOTCL or TORL or TOTL)
        {
            ulong v = ((ulong)Reg(reg + 4) << 32 | Reg(reg)) + add;
            Reg(reg) = (uint)v;
            Reg(reg + 4) = (uint)(v >> 32);
            return;
        }
        Reg(reg) = (uint)Math.Min(uint.MaxValue, Reg(reg) + add);
    }

    // ---- receive --------------------------------------------------------------------------

    protected override ReceiveOutcome ReceiveFrame(ReadOnlySpan<byte> frame)
    {
        uint rctl = Reg(RCTL);
        if (!LinkUp || (rctl & RctlEn) == 0 || frame.Length < 14)
            return ReceiveOutcome.Dropped;
        if (!Accept(frame, rctl))
            return ReceiveOutcome.Dropped;

        ushort special = 0;
        byte status = RxStaDd | RxStaEop | RxStaIxsm;
        bool stripTag = false;
        if ((Reg(CTRL) & CtrlVme) != 0 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == (ushort)Reg(VET) && frame.Length >= 18)
        {
            special = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
            if ((rctl & RctlVfe) != 0 && (Reg(VFTA + 4 * ((special & 0xFFF) >> 5)) & (1u << (special & 31))) == 0)
                return ReceiveOutcome.Dropped;
            stripTag = true;
            status |= RxStaVp;
        }
        int length = stripTag ? frame.Length - 4 : frame.Length;
        if (length > 1518 && (rctl & (RctlLpe | RctlSbp)) == 0)
            return ReceiveOutcome.Dropped;
        int padded = Math.Max(length, 60);
        bool keepCrc = (rctl & RctlSecrc) == 0;
        // Built once in the model's own buffer (the receive FIFO's copy), tag stripped, padded, FCS appended.
        int total = padded + (keepCrc ? 4 : 0);
        if (receiveBuffer.Length < total)
            receiveBuffer = new byte[total];
        var packet = receiveBuffer.AsSpan(0, total);
        if (stripTag)
        {
            frame[..12].CopyTo(packet);
            frame[16..].CopyTo(packet[12..]);
        }
        else
        {
            frame.CopyTo(packet);
        }
        packet[length..padded].Clear();
        if (keepCrc)
            BinaryPrimitives.WriteUInt32LittleEndian(packet[padded..], EthernetCrc.Fcs(packet[..padded]));

        uint count = Reg(RDLEN) / DescriptorSize;
        if (count == 0 || Reg(RDH) >= count || Reg(RDT) >= count)
            return ReceiveOutcome.Dropped;
        int bufferSize = BufferSize(rctl);
        int needed = (packet.Length + bufferSize - 1) / bufferSize;
        uint free = (Reg(RDT) + count - Reg(RDH)) % count;
        if (free < needed)
        {
            Reg(ICR) |= RXO;
            Count(RNBC, 1);
            Count(MPC, 1);
            return ReceiveOutcome.NoRoom;
        }

        ulong ring = RingBase(RDBAL);
        Span<byte> d = stackalloc byte[DescriptorSize];
        Span<byte> wb = stackalloc byte[8];
        for (int offset = 0; offset < packet.Length; offset += bufferSize)
        {
            ulong at = ring + Reg(RDH) * DescriptorSize;
            int chunk = Math.Min(bufferSize, packet.Length - offset);
            bool last = offset + chunk == packet.Length;
            if (!DmaRead(at, d) || !DmaWrite(BinaryPrimitives.ReadUInt64LittleEndian(d), packet.Slice(offset, chunk)))
                return ReceiveOutcome.Dropped;
            wb.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(wb, (ushort)chunk);
            wb[4] = 0; // status last, so DD never shows before the length
            BinaryPrimitives.WriteUInt16LittleEndian(wb[6..], special);
            DmaWrite(at + 8, wb);
            wb[0] = last ? status : (byte)(status & ~RxStaEop);
            DmaWrite(at + 12, wb[..1]);
            Reg(RDH) = (Reg(RDH) + 1) % count;
        }

        Reg(ICR) |= RXT0;
        uint left = (Reg(RDT) + count - Reg(RDH)) % count;
        int rdmts = (int)(rctl >> 8) & 3;
        if (left * DescriptorSize <= Reg(RDLEN) >> (rdmts + 1))
            Reg(ICR) |= RXDMT0;
        Count(GPRC, 1);
        Count(TPR, 1);
        Count(GORCL, (ulong)padded + 4);
        Count(TORL, (ulong)padded + 4);
        if ((frame[0] & 1) != 0)
            Count(frame[..6].IndexOfAnyExcept((byte)0xFF) < 0 ? BPRC : MPRC, 1);
        Count(PRC64 + 4 * SizeBin(padded + 4), 1);
        return ReceiveOutcome.Delivered;
    }

    private static int BufferSize(uint rctl)
    {
        int size = ((rctl >> 16) & 3) switch { 0 => 2048, 1 => 1024, 2 => 512, _ => 256 };
        return (rctl & RctlBsex) != 0 && size != 2048 ? size * 16 : size;
    }

    /// <summary>The receive address filter: broadcast, promiscuous modes, exact RA match, MTA hash.</summary>
    private bool Accept(ReadOnlySpan<byte> frame, uint rctl)
    {
        var dest = frame[..6];
        bool multicast = (dest[0] & 1) != 0;
        if (dest.IndexOfAnyExcept((byte)0xFF) < 0)
            return (rctl & RctlBam) != 0 || (rctl & RctlMpe) != 0;
        if (multicast ? (rctl & RctlMpe) != 0 : (rctl & RctlUpe) != 0)
            return true;
        for (int i = 0; i < 16; i++)
        {
            uint high = Reg(RA + 8 * i + 4);
            if ((high & RahAv) == 0)
                continue;
            uint low = Reg(RA + 8 * i);
            if (BinaryPrimitives.ReadUInt32LittleEndian(dest) == low && BinaryPrimitives.ReadUInt16LittleEndian(dest[4..]) == (ushort)high)
                return true;
        }
        int shift = ((rctl >> 12) & 3) switch { 0 => 4, 1 => 3, 2 => 2, _ => 0 };
        int hash = ((dest[5] << 8 | dest[4]) >> shift) & 0xFFF;
        return (Reg(MTA + 4 * (hash >> 5)) & (1u << (hash & 31))) != 0;
    }
}
