// SPDX-License-Identifier: MIT
// Test side. The 82540EM model over a real vfio-user socket, driven the way e1000 drives it:
// identity, reset values, EEPROM (EECD bit-banging, EERD, 0xBABA), PHY over MDIC, reset through
// the I/O BAR, receive and transmit rings, checksum offload, TSO, interrupts, statistics.
using System.Buffers.Binary;
using LinuxShim.Devices.E1000;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Devices.Tests;

public sealed class Intel82540EmTests : IDisposable
{
    private const int Mmio = 0, Io = 1;
    private const int CTRL = 0x0, STATUS = 0x8, EECD = 0x10, EERD = 0x14, MDIC = 0x20, ICR = 0xC0, ICS = 0xC8, IMS = 0xD0,
        IMC = 0xD8, RCTL = 0x100, TCTL = 0x400, RDBAL = 0x2800, RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818,
        TDBAL = 0x3800, TDLEN = 0x3808, TDH = 0x3810, TDT = 0x3818, GPRC = 0x4074, GPTC = 0x4080, RNBC = 0x40A0,
        MTA = 0x5200, RA = 0x5400;
    private const uint RXT0 = 0x80, TXDW = 0x01, LSC = 0x04, RXO = 0x40;
    private const ulong RxRing = DeviceHarness.DmaBase, TxRing = DeviceHarness.DmaBase + 0x1000;
    private const ulong RxBuffers = DeviceHarness.DmaBase + 0x10000, TxBuffers = DeviceHarness.DmaBase + 0x40000;
    private const int Descriptors = 8;

    private static readonly MacAddress Mac = MacAddress.Parse("52:54:00:AB:CD:EF");
    private readonly DeviceHarness h = new(new Intel82540EmNic(Mac));

    public void Dispose() => h.Dispose();

    private uint R(int reg) => h.Read(Mmio, reg, 4);

    private void W(int reg, uint value) => h.Write(Mmio, reg, 4, value);

    [Fact]
    public void Identity_bars_and_reset_values()
    {
        Assert.Equal(0x100E8086u, h.Client.ReadConfig(0, 4));
        Assert.Equal(0x03u, h.Client.ReadConfig(8, 1));
        Assert.Equal(new PciBarInfo(0, 0x20000, false, false), h.Client.Bars[0]);
        Assert.Equal(new PciBarInfo(1, 0x40, true, false), h.Client.Bars[1]);
        Assert.Equal(0x80080783u, R(STATUS));
        Assert.Equal(0x100u, R(EECD) & 0x300); // EEPROM present, 64 words
        Assert.Equal(0x8100u, R(0x38));
        Assert.Equal(0xAB005452u, R(RA));
        Assert.Equal(0x8000EFCDu, R(RA + 4)); // address valid
        Assert.Equal(0u, R(ICR));
    }

    private uint Mdic(uint op, int phy, int reg, ushort data = 0)
    {
        W(MDIC, op | (uint)phy << 21 | (uint)reg << 16 | data);
        uint v = R(MDIC);
        Assert.NotEqual(0u, v & (1u << 28)); // ready at once
        return v;
    }

    [Fact]
    public void The_phy_answers_at_address_1_only()
    {
        const uint Read = 0x08000000, Write = 0x04000000, Error = 1u << 30;
        Assert.Equal(0x0141u, Mdic(Read, 1, 2) & 0xFFFF);
        Assert.Equal(0x0C20u, Mdic(Read, 1, 3) & 0xFFF0);
        Assert.Equal(0x796Du, Mdic(Read, 1, 1) & 0xFFFF);
        Assert.Equal(0x1140u, Mdic(Read, 1, 0) & 0xFFFF);
        Assert.NotEqual(0u, Mdic(Read, 2, 2) & Error);
        Assert.NotEqual(0u, Mdic(Read, 1, 0x1F) & Error);
        Assert.Equal(0u, Mdic(Write, 1, 0, 0x1200) & Error); // restart autonegotiation: self-clearing
        Assert.Equal(0x1000u, Mdic(Read, 1, 0) & 0xFFFF);
        h.Device.LinkUp = false;
        Assert.Equal(0u, Mdic(Read, 1, 1) & 0x4);
        Assert.Equal(0u, R(STATUS) & 2);
    }

    /// <summary>e1000_read_eeprom for Microwire: request, opcode 110 and 6 address bits, 16 data bits.</summary>
    private ushort ReadEepromWord(int address)
    {
        const uint SK = 1, CS = 2, DI = 4, DO = 8, REQ = 0x40, GNT = 0x80;
        uint eecd = R(EECD) | REQ;
        W(EECD, eecd);
        Assert.NotEqual(0u, R(EECD) & GNT);
        eecd &= ~(DI | SK);
        W(EECD, eecd);
        eecd |= CS;
        W(EECD, eecd);
        void ShiftOut(int data, int count)
        {
            for (int mask = 1 << (count - 1); mask != 0; mask >>= 1)
            {
                eecd = (data & mask) != 0 ? eecd | DI : eecd & ~DI;
                W(EECD, eecd);
                W(EECD, eecd | SK);
                W(EECD, eecd);
            }
            eecd &= ~DI;
            W(EECD, eecd);
        }
        ShiftOut(0b110, 3);
        ShiftOut(address, 6);
        int value = 0;
        for (int i = 0; i < 16; i++)
        {
            W(EECD, eecd | SK);
            value = value << 1 | ((R(EECD) & DO) != 0 ? 1 : 0);
            W(EECD, eecd);
        }
        eecd &= ~(CS | DI | SK | REQ);
        W(EECD, eecd);
        return (ushort)value;
    }

    [Fact]
    public void Eeprom_holds_the_mac_and_sums_to_0xbaba()
    {
        Assert.Equal(0x5452, ReadEepromWord(0));
        Assert.Equal(0xAB00, ReadEepromWord(1));
        Assert.Equal(0xEFCD, ReadEepromWord(2));
        ushort sum = 0;
        for (int i = 0; i < 64; i++)
            sum += ReadEepromWord(i);
        Assert.Equal(0xBABA, sum);
        W(EERD, 2u << 8 | 1);
        Assert.Equal(0xEFCD0000u | 2u << 8 | 0x10, R(EERD));
    }

    [Fact]
    public void Ctrl_rst_through_the_io_bar_resets_the_registers()
    {
        W(IMS, 0x9D);
        W(RA, 0x11111111);
        h.Write(Io, 0, 4, CTRL); // IOADDR
        Assert.Equal(0x9Du, (uint)(h.Read(Mmio, IMS, 4)));
        h.Write(Io, 0, 4, IMS);
        Assert.Equal(0x9Du, h.Read(Io, 4, 4)); // IODATA reads the register IOADDR names
        h.Write(Io, 0, 4, CTRL);
        h.Write(Io, 4, 4, 1u << 26); // CTRL.RST
        Assert.Equal(0u, R(IMS));
        Assert.Equal(0xAB005452u, R(RA));
        Assert.Equal(0u, R(CTRL) & (1u << 26));
    }

    private void OpenReceive(uint rctl = 0x00008002) // EN | BAM, 2048-byte buffers
    {
        for (int i = 0; i < Descriptors; i++)
        {
            var d = h.Dma(RxRing + (ulong)(16 * i), 16);
            d.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(d, RxBuffers + (ulong)(2048 * i));
        }
        W(RDBAL, (uint)RxRing);
        W(RDLEN, Descriptors * 16);
        W(RDH, 0);
        W(RDT, Descriptors - 1);
        W(IMS, 0x9D);
        W(RCTL, rctl);
    }

    [Fact]
    public void A_received_frame_is_written_with_fcs_and_status_and_raises_rxt0()
    {
        OpenReceive();
        var frame = Frames.To(Mac.ToArray(), 100, seed: 9);
        h.Peer.Send(frame);
        Assert.True(h.WaitIntx());
        Assert.Equal(RXT0, R(ICR) & RXT0);
        Assert.Equal(0u, R(ICR)); // read cleared it
        Assert.False(h.Device.InterruptAsserted);
        var d = h.Dma(RxRing, 16);
        Assert.Equal(104, BinaryPrimitives.ReadUInt16LittleEndian(d[8..])); // frame + FCS
        Assert.Equal(0x07, d[12]); // DD | EOP | IXSM
        Assert.True(h.Dma(RxBuffers, 100).SequenceEqual(frame));
        Assert.Equal(~EthernetCrc.Raw(frame), BinaryPrimitives.ReadUInt32LittleEndian(h.Dma(RxBuffers + 100, 4)));
        Assert.Equal(1u, R(RDH));
        Assert.Equal(1u, R(GPRC));
        Assert.Equal(0u, R(GPRC)); // statistics clear on read
    }

    [Fact]
    public void The_address_filter_takes_own_broadcast_and_hashed_multicast_only()
    {
        OpenReceive();
        byte[] group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x01];
        h.Peer.Send(Frames.To(Frames.OtherStation));
        h.Peer.Send(Frames.To(group));
        h.Peer.Send(Frames.To(Frames.Broadcast));
        h.Peer.Send(Frames.To(Frames.Broadcast)); // sentinel: the wire keeps order, so the first three were judged before it
        Assert.True(DeviceHarness.Eventually(() => h.Device.FramesReceived >= 2));
        Assert.Equal(2, h.Device.FramesReceived); // the two broadcasts only
        int hash = ((group[5] << 8 | group[4]) >> 4) & 0xFFF; // MO = 0
        W(MTA + 4 * (hash >> 5), 1u << (hash & 31));
        h.Peer.Send(Frames.To(group));
        Assert.True(DeviceHarness.Eventually(() => h.Device.FramesReceived == 3));
    }

    [Fact]
    public void No_free_descriptor_raises_rxo_and_holds_the_frame_until_rdt_moves()
    {
        OpenReceive();
        W(RDT, 2); // two free descriptors
        for (int i = 0; i < 3; i++)
            h.Peer.Send(Frames.To(Mac.ToArray(), 80, seed: (byte)i));
        Assert.True(DeviceHarness.Eventually(() => (R(ICR) & RXO) != 0));
        Assert.Equal(2, h.Device.FramesReceived);
        Assert.True(R(RNBC) >= 1);
        W(RDT, 5);
        Assert.True(DeviceHarness.Eventually(() => h.Device.FramesReceived == 3));
        Assert.True(h.Dma(RxBuffers + 2 * 2048 + 14, 10).SequenceEqual(Frames.To(Mac.ToArray(), 80, seed: 2).AsSpan(14, 10)));
    }

    private void OpenTransmit()
    {
        W(TDBAL, (uint)TxRing);
        W(TDLEN, Descriptors * 16);
        W(TDH, 0);
        W(TDT, 0);
        W(IMS, 0x9D);
        W(TCTL, 0x0103F0FA); // EN | PSP | CT | COLD, as e1000 sets it
    }

    private void Descriptor(int index, ulong address, uint lower, uint upper)
    {
        var d = h.Dma(TxRing + (ulong)(16 * index), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], lower);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], upper);
    }

    [Fact]
    public void A_legacy_descriptor_sends_a_frame_and_reports_done()
    {
        OpenTransmit();
        var frame = Frames.To(Frames.OtherStation, 200, seed: 4);
        frame.CopyTo(h.Dma(TxBuffers, 200));
        Descriptor(0, TxBuffers, 0x0B000000 | 200, 0); // EOP | IFCS | RS
        W(TDT, 1);
        Assert.Equal(frame, h.NextSent());
        Assert.True(h.WaitIntx());
        Assert.Equal(0x01, h.Dma(TxRing + 12, 1)[0]); // DD
        Assert.Equal(TXDW, R(ICR) & TXDW);
        Assert.Equal(1u, R(TDH));
        Assert.Equal(1u, R(GPTC));
    }

    /// <summary>
    /// An Ethernet + IPv4 + TCP packet with zero IP checksum and the TCP pseudo-header sum in place, as
    /// Linux leaves it for offload: with the TCP length for checksum offload, without it for TSO.
    /// </summary>
    private static byte[] TcpPacket(int payload, bool forTso, byte flags = 0x18)
    {
        var p = new byte[14 + 20 + 20 + payload];
        Frames.OtherStation.CopyTo(p, 0);
        Mac.ToArray().CopyTo(p, 6);
        p[12] = 0x08;
        p[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(16), (ushort)(40 + payload));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(18), 0x1234);
        p[22] = 64;
        p[23] = 6;
        byte[] src = [10, 0, 0, 1], dst = [10, 0, 0, 2];
        src.CopyTo(p, 26);
        dst.CopyTo(p, 30);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(34), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), 80);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(38), 1000);
        p[46] = 0x50;
        p[47] = flags;
        for (int i = 0; i < payload; i++)
            p[54 + i] = (byte)(i * 7);
        uint pseudo = 0x0A00 + 0x0001 + 0x0A00 + 0x0002 + 6 + (forTso ? 0u : 20u + (uint)payload);
        pseudo = (pseudo & 0xFFFF) + (pseudo >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(50), (ushort)pseudo);
        return p;
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        uint sum = initial;
        for (int i = 0; i + 1 < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | data[i + 1]);
        if ((data.Length & 1) != 0)
            sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    private static void AssertValidTcp(byte[] f)
    {
        Assert.Equal(0xFFFF, Checksum(f.AsSpan(14, 20))); // IPv4 header checksum verifies
        int tcpLength = f.Length - 34;
        uint pseudo = 0x0A00 + 0x0001 + 0x0A00 + 0x0002 + 6u + (uint)tcpLength;
        Assert.Equal(0xFFFF, Checksum(f.AsSpan(34), pseudo));
        Assert.Equal(f.Length - 14, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(16)));
    }

    /// <summary>The context descriptor e1000_tx_csum / e1000_tso write for IPv4 + TCP.</summary>
    private void Context(int index, bool tso, int payloadLength = 0, int mss = 0)
    {
        var d = h.Dma(TxRing + (ulong)(16 * index), 16);
        d[0] = 14; d[1] = 24; BinaryPrimitives.WriteUInt16LittleEndian(d[2..], 33);
        d[4] = 34; d[5] = 50; BinaryPrimitives.WriteUInt16LittleEndian(d[6..], 0);
        uint tucmd = 0x20 | 0x08 | 0x02 | 0x01 | (tso ? 0x04u : 0u); // DEXT | RS | IP | TCP (| TSE)
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], tucmd << 24 | (uint)payloadLength);
        d[12] = 0; d[13] = 54; BinaryPrimitives.WriteUInt16LittleEndian(d[14..], (ushort)mss);
    }

    [Fact]
    public void Checksum_offload_fills_in_ip_and_tcp_checksums()
    {
        OpenTransmit();
        var packet = TcpPacket(300, forTso: false);
        packet.CopyTo(h.Dma(TxBuffers, packet.Length));
        Context(0, tso: false);
        Descriptor(1, TxBuffers, 0x2B100000 | (uint)packet.Length, 0x03u << 8); // DEXT | RS | IFCS | EOP, DTYP=1; IXSM | TXSM
        W(TDT, 2);
        var sent = h.NextSent();
        Assert.NotNull(sent);
        AssertValidTcp(sent);
        Assert.Equal(0x01, h.Dma(TxRing + 16 + 12, 1)[0] & 1);
    }

    [Fact]
    public void Tso_cuts_a_large_packet_into_mss_sized_segments()
    {
        OpenTransmit();
        const int payload = 2500, mss = 1000;
        var packet = TcpPacket(payload, forTso: true, flags: 0x19); // ACK | PSH | FIN
        packet.CopyTo(h.Dma(TxBuffers, packet.Length));
        Context(0, tso: true, payload, mss);
        // header and payload in two data descriptors, the way e1000_tx_map splits skb->data
        Descriptor(1, TxBuffers, 0x2C100000 | 54u, 0x03u << 8);                        // DEXT | TSE, DTYP=1
        Descriptor(2, TxBuffers + 54, 0x2F100000 | (uint)payload, 0x03u << 8);          // + RS | IFCS | EOP
        W(TDT, 3);
        for (int n = 0; n < 3; n++)
        {
            var f = h.NextSent();
            Assert.NotNull(f);
            int size = Math.Min(mss, payload - n * mss);
            Assert.Equal(54 + size, f.Length);
            AssertValidTcp(f);
            Assert.Equal(0x1234 + n, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(18)));
            Assert.Equal(1000u + (uint)(n * mss), BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(38)));
            Assert.Equal(n == 2 ? 0x19 : 0x10, f[47]);
            Assert.True(f.AsSpan(54).SequenceEqual(packet.AsSpan(54 + n * mss, size)));
        }
        Assert.Null(h.NextSent(50));
    }

    /// <summary>A context descriptor with every field given (the offsets e1000 uses are 14, 24, 33, 34, 50, 0; HDRLEN 54).</summary>
    private void RawContext(int index, int ipcss, int ipcso, int ipcse, int tucss, int tucso, int tucse, bool tso, int payloadLength,
        int hdrlen, int mss)
    {
        var d = h.Dma(TxRing + (ulong)(16 * index), 16);
        d[0] = (byte)ipcss; d[1] = (byte)ipcso; BinaryPrimitives.WriteUInt16LittleEndian(d[2..], (ushort)ipcse);
        d[4] = (byte)tucss; d[5] = (byte)tucso; BinaryPrimitives.WriteUInt16LittleEndian(d[6..], (ushort)tucse);
        uint tucmd = 0x20 | 0x08 | 0x02 | 0x01 | (tso ? 0x04u : 0u);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], tucmd << 24 | (uint)payloadLength);
        d[12] = 0; d[13] = (byte)hdrlen; BinaryPrimitives.WriteUInt16LittleEndian(d[14..], (ushort)mss);
    }

    /// <summary>After a malformed offload request: the descriptors completed, the device works and sends the next frame.</summary>
    private void AssertStillTransmits(int tdt)
    {
        Assert.Equal((uint)tdt, R(TDH));
        Assert.Equal(0x01, h.Dma(TxRing + (ulong)(16 * (tdt - 1)) + 12, 1)[0] & 1); // DD on the EOP descriptor
        Assert.Null(h.Device.Fault);
        var frame = Frames.To(Frames.OtherStation, 100, seed: 8);
        frame.CopyTo(h.Dma(TxBuffers + 0x8000, 100));
        Descriptor(tdt, TxBuffers + 0x8000, 0x0B000000 | 100, 0);
        W(TDT, (uint)tdt + 1);
        byte[]? sent;
        do
            sent = h.NextSent();
        while (sent is not null && !sent.AsSpan().SequenceEqual(frame));
        Assert.NotNull(sent);
        Assert.Equal((uint)tdt + 1, R(TDH));
    }

    [Theory]
    [InlineData(14, 255, 33, 34, 50, 54, 50, "IPCSO beyond every segment")]
    [InlineData(14, 53, 33, 34, 50, 54, 50, "IPCSO straddling the header's end")]
    [InlineData(14, 24, 33, 34, 255, 54, 50, "TUCSO beyond every segment")]
    [InlineData(14, 24, 33, 250, 50, 54, 50, "TUCSS beyond the header")]
    [InlineData(250, 24, 33, 34, 50, 54, 50, "IPCSS beyond the header")]
    [InlineData(14, 24, 33, 34, 50, 255, 50, "HDRLEN beyond the packet")]
    [InlineData(14, 24, 33, 34, 50, 0, 50, "HDRLEN 0")]
    [InlineData(14, 24, 33, 34, 50, 54, 0, "MSS 0")]
    [InlineData(14, 24, 2, 34, 50, 54, 50, "IPCSE before IPCSS")]
    public void A_malformed_tso_context_never_stops_the_transmitter(int ipcss, int ipcso, int ipcse, int tucss, int tucso, int hdrlen,
        int mss, string what)
    {
        OpenTransmit();
        const int payload = 100;
        var packet = TcpPacket(payload, forTso: true);
        packet.CopyTo(h.Dma(TxBuffers, packet.Length));
        RawContext(0, ipcss, ipcso, ipcse, tucss, tucso, 0, tso: true, payload, hdrlen, mss);
        Descriptor(1, TxBuffers, 0x2C100000 | 54u, 0x03u << 8);
        Descriptor(2, TxBuffers + 54, 0x2F100000 | payload, 0x03u << 8);
        W(TDT, 3); // before the fix: the model threw, this write and every later TDT write answered EIO
        Assert.True(h.Device.FaultCount == 0, what);
        AssertStillTransmits(3);
    }

    [Fact]
    public void Checksum_offsets_outside_the_header_are_not_inserted_into_tso_segments()
    {
        OpenTransmit();
        const int payload = 100, mss = 50;
        var packet = TcpPacket(payload, forTso: true);
        packet.CopyTo(h.Dma(TxBuffers, packet.Length));
        RawContext(0, 14, 60, 33, 34, 50, 0, tso: true, payload, 54, mss); // IPCSO inside the payload
        Descriptor(1, TxBuffers, 0x2C100000 | 54u, 0x03u << 8);
        Descriptor(2, TxBuffers + 54, 0x2F100000 | payload, 0x03u << 8);
        W(TDT, 3);
        for (int n = 0; n < 2; n++)
        {
            var f = h.NextSent();
            Assert.NotNull(f);
            Assert.True(f.AsSpan(54).SequenceEqual(packet.AsSpan(54 + n * mss, mss))); // payload untouched
            Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(24))); // no IP checksum either
        }
        AssertStillTransmits(3);
    }

    [Theory]
    [InlineData(250, 50, "TUCSS beyond the frame")]
    [InlineData(34, 255, "TUCSO beyond the frame")]
    public void A_checksum_context_beyond_the_frame_sends_it_without_the_checksum(int tucss, int tucso, string what)
    {
        OpenTransmit();
        var packet = TcpPacket(10, forTso: false);
        packet.CopyTo(h.Dma(TxBuffers, packet.Length));
        RawContext(0, 14, 24, 33, tucss, tucso, 0, tso: false, 0, 0, 0);
        Descriptor(1, TxBuffers, 0x2B100000 | (uint)packet.Length, 0x03u << 8);
        W(TDT, 2);
        var sent = h.NextSent();
        Assert.NotNull(sent);
        Assert.True(sent.AsSpan(34).SequenceEqual(packet.AsSpan(34)), what); // TCP part as given
        Assert.Equal(0xFFFF, Checksum(sent.AsSpan(14, 20)));               // the IP checksum still inserted
        AssertStillTransmits(2);
    }

    [Fact]
    public void A_legacy_descriptor_inserts_its_checksum_at_cso_from_css()
    {
        OpenTransmit();
        var frame = Frames.To(Frames.OtherStation, 80, seed: 2);
        frame[40] = 0;
        frame[41] = 0;
        frame.CopyTo(h.Dma(TxBuffers, 80));
        // lower dword: length 80, CSO 40 (bits 16-23), CMD EOP | IFCS | IC | RS; upper: CSS 20 (bits 8-15)
        Descriptor(0, TxBuffers, 0x0F000000 | 40u << 16 | 80, 20u << 8);
        W(TDT, 1);
        var sent = h.NextSent();
        Assert.NotNull(sent);
        Assert.Equal(0xFFFF, Checksum(sent.AsSpan(20)));        // the sum from CSS to the end verifies
        Assert.True(sent.AsSpan(0, 40).SequenceEqual(frame.AsSpan(0, 40))); // nothing else changed
        Assert.True(sent.AsSpan(42).SequenceEqual(frame.AsSpan(42)));
    }

    [Fact]
    public void A_legacy_checksum_offset_beyond_the_frame_is_ignored()
    {
        OpenTransmit();
        var frame = Frames.To(Frames.OtherStation, 60, seed: 2);
        frame.CopyTo(h.Dma(TxBuffers, 60));
        Descriptor(0, TxBuffers, 0x0F000000 | 200u << 16 | 60, 250u << 8);
        W(TDT, 1);
        Assert.Equal(frame, h.NextSent());
        AssertStillTransmits(1);
    }

    [Fact]
    public void Descriptor_lengths_past_the_packet_limit_drop_the_packet_not_the_device()
    {
        OpenTransmit();
        Frames.To(Frames.OtherStation, 100).CopyTo(h.Dma(TxBuffers, 100));
        Descriptor(0, TxBuffers, 0x20100000 | 100, 0);      // data, DEXT
        Descriptor(1, TxBuffers, 0x20100000 | 0xFFFFF, 0);  // 1 MiB - 1: more than the 64 KiB a packet may hold
        Descriptor(2, TxBuffers, 0x2B100000 | 100, 0);      // EOP | IFCS | RS
        W(TDT, 3);
        Assert.Null(h.NextSent(100)); // not a frame with its middle missing
        Descriptor(3, TxBuffers, 0x0B000000, 0);             // a legacy EOP of length 0: nothing to send
        W(TDT, 4);
        Assert.Null(h.NextSent(100));
        AssertStillTransmits(4);
    }

    [Fact]
    public void A_bogus_ring_is_not_walked()
    {
        OpenTransmit();
        W(TDLEN, 0);
        W(TDT, 5);
        W(TDLEN, Descriptors * 16);
        W(TDH, 100); // head beyond the ring
        W(TDT, 1);
        Assert.Null(h.NextSent(50));
        Assert.Equal(0, h.Device.FramesSent);
    }

    [Fact]
    public void Interrupt_causes_are_masked_set_and_cleared()
    {
        W(IMC, 0xFFFFFFFF);
        W(ICS, LSC);
        Assert.False(h.WaitIntx(100)); // masked
        W(IMS, LSC);
        Assert.True(h.WaitIntx());
        Assert.Equal(LSC, R(ICR) & LSC); // read clears
        h.Client.UnmaskIntx();
        Assert.False(h.WaitIntx(100));
        W(ICS, LSC);
        Assert.True(h.WaitIntx());
        W(ICR, LSC); // write-1-to-clear too
        Assert.False(h.Device.InterruptAsserted);
        h.Client.UnmaskIntx();
        h.Device.LinkUp = false; // link change raises LSC
        Assert.True(h.WaitIntx());
        Assert.Equal(LSC, R(ICR) & LSC);
    }
}
