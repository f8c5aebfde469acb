// SPDX-License-Identifier: MIT
// Test side. The RTL8139 model over a real vfio-user socket, driven the way 8139too drives it:
// identity, reset values, EEPROM bit-banging, receive ring, transmit descriptors, interrupts, link.
using System.Buffers.Binary;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Devices.Tests;

public sealed class Rtl8139Tests : IDisposable
{
    private const int Io = 0, Mmio = 1;
    private const int TSD0 = 0x10, TSAD0 = 0x20, RBSTART = 0x30, ChipCmd = 0x37, CAPR = 0x38, CBR = 0x3A, IMR = 0x3C,
        ISR = 0x3E, TCR = 0x40, RCR = 0x44, Cfg9346 = 0x50, Config1 = 0x52, MediaStatus = 0x58, TSAD = 0x60,
        BMCR = 0x62, BMSR = 0x64, CSCR = 0x74;
    private const ulong RxRing = DeviceHarness.DmaBase;
    private const ulong TxBuffers = DeviceHarness.DmaBase + 0x10000;

    private static readonly MacAddress Mac = MacAddress.Parse("52:54:00:12:34:56");
    private readonly DeviceHarness h = new(new Rtl8139Nic(Mac));

    public void Dispose() => h.Dispose();

    [Fact]
    public void Identity_and_bars_are_what_8139too_probes()
    {
        Assert.Equal(0x813910ECu, h.Client.ReadConfig(0, 4));
        Assert.Equal(0x10u, h.Client.ReadConfig(8, 1)); // below 0x20, or 8139too hands it to 8139cp
        Assert.Equal(0x020000u, h.Client.ReadConfig(9, 4) & 0xFFFFFF);
        Assert.Equal(1u, h.Client.ReadConfig(0x3D, 1)); // INTA
        Assert.Equal(new PciBarInfo(0, 0x100, true, false), h.Client.Bars[0]);
        Assert.Equal(new PciBarInfo(1, 0x100, false, false), h.Client.Bars[1]);
        Assert.Equal(0, h.Client.IrqCount(PciIrqKind.Intx) - 1);

        h.Client.WriteConfig(0x10, 4, 0xFFFFFFFF); // BAR sizing
        Assert.Equal(0xFFFFFF01u, h.Client.ReadConfig(0x10, 4));
        h.Client.WriteConfig(0x14, 4, 0xFFFFFFFF);
        Assert.Equal(0xFFFFFF00u, h.Client.ReadConfig(0x14, 4));
    }

    [Fact]
    public void Reset_values_match_the_datasheet()
    {
        h.Client.Reset();
        Assert.Equal(0x74000000u, h.Read(Io, TCR, 4) & 0x7CC00000); // RTL8139C
        Assert.Equal(0x01u, h.Read(Io, ChipCmd, 1)); // RE/TE off, buffer empty
        Assert.Equal(0xFFF0u, h.Read(Io, CAPR, 2));
        Assert.Equal(0u, h.Read(Io, CBR, 2));
        Assert.Equal(0u, h.Read(Io, ISR, 2));
        Assert.Equal(0u, h.Read(Io, IMR, 2));
        Assert.Equal(0x0Cu, h.Read(Io, Config1, 1));
        Assert.Equal(0x782Du, h.Read(Io, BMSR, 2));
        Assert.Equal(0x1000u, h.Read(Io, BMCR, 2));
        Assert.Equal(0xD0u, h.Read(Io, MediaStatus, 1));
        Assert.Equal(0x0340u, h.Read(Io, CSCR, 2));
        for (int i = 0; i < 4; i++)
            Assert.Equal(0x2000u, h.Read(Io, TSD0 + 4 * i, 4));
        Assert.Equal(0x000Fu, h.Read(Io, TSAD, 2)); // all four OWN
        Assert.Equal(0x12005452u, h.Read(Io, 0, 4));
        Assert.Equal(0x5634u, h.Read(Io, 4, 2));
        // the memory BAR shows the same registers
        Assert.Equal(h.Read(Io, TCR, 4), h.Read(Mmio, TCR, 4));
    }

    /// <summary>8139too's read_eeprom(): Cfg9346 bit-banging, 93C46 READ, 16 bits MSB first.</summary>
    private ushort ReadEeprom(int location, int addressLength)
    {
        int command = location | (6 << addressLength);
        h.Write(Io, Cfg9346, 1, 0x80);
        h.Write(Io, Cfg9346, 1, 0x88);
        for (int i = 4 + addressLength; i >= 0; i--)
        {
            uint di = (command & (1 << i)) != 0 ? 0x02u : 0u;
            h.Write(Io, Cfg9346, 1, 0x88 | di);
            h.Write(Io, Cfg9346, 1, 0x8C | di);
        }
        h.Write(Io, Cfg9346, 1, 0x88);
        int value = 0;
        for (int i = 16; i > 0; i--)
        {
            h.Write(Io, Cfg9346, 1, 0x8C);
            value = (value << 1) | (int)(h.Read(Io, Cfg9346, 1) & 1);
            h.Write(Io, Cfg9346, 1, 0x88);
        }
        h.Write(Io, Cfg9346, 1, 0x00);
        return (ushort)value;
    }

    [Fact]
    public void Eeprom_reads_as_8139too_expects()
    {
        Assert.Equal(0x04A4, ReadEeprom(0, 8)); // not 0x8129: the driver picks 6 address bits
        Assert.Equal(0x8129, ReadEeprom(0, 6));
        Assert.Equal(0x10EC, ReadEeprom(1, 6));
        Assert.Equal(0x8139, ReadEeprom(2, 6));
        Assert.Equal(0x5452, ReadEeprom(7, 6));
        Assert.Equal(0x1200, ReadEeprom(8, 6));
        Assert.Equal(0x5634, ReadEeprom(9, 6));
        Assert.Equal(0u, h.Read(Io, Cfg9346, 1) & 1); // DO low with CS low
    }

    /// <summary>The register writes of rtl8139_hw_start, in its order.</summary>
    private void Open(uint rcr = 0x0000F78A)
    {
        h.Write(Io, ChipCmd, 1, 0x10);
        Assert.True(DeviceHarness.Eventually(() => (h.Read(Io, ChipCmd, 1) & 0x10) == 0));
        h.Write(Io, Cfg9346, 1, 0xC0);
        h.Write(Io, 0, 4, 0x12005452);
        h.Write(Io, 4, 4, 0x5634);
        h.Write(Io, RBSTART, 4, (uint)RxRing);
        h.Write(Io, ChipCmd, 1, 0x0C);
        h.Write(Io, RCR, 4, rcr);
        h.Write(Io, TCR, 4, 0x03000680);
        h.Write(Io, Cfg9346, 1, 0x00);
        for (int i = 0; i < 4; i++)
            h.Write(Io, TSAD0 + 4 * i, 4, (uint)TxBuffers + (uint)(i * 1536));
        h.Write(Io, 0x4C, 4, 0);
        h.Write(Io, IMR, 2, 0xC07F);
    }

    [Fact]
    public void A_received_frame_lands_in_the_ring_with_header_and_crc_and_interrupts()
    {
        Open();
        var frame = Frames.To(Mac.ToArray(), 100, seed: 7);
        h.Peer.Send(frame);
        Assert.True(h.WaitIntx());
        Assert.Equal(0x0001u, h.Read(Io, ISR, 2) & 0x0001);
        Assert.Equal(0u, h.Read(Io, ChipCmd, 1) & 0x01); // BUFE clear: a packet is there

        var header = h.Dma(RxRing, 4);
        ushort status = BinaryPrimitives.ReadUInt16LittleEndian(header);
        ushort length = BinaryPrimitives.ReadUInt16LittleEndian(header[2..]);
        Assert.Equal(0x4001, status); // ROK | PAM (own address)
        Assert.Equal(104, length);     // frame + CRC
        Assert.True(h.Dma(RxRing + 4, 100).SequenceEqual(frame));
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(h.Dma(RxRing + 104, 4));
        Assert.Equal(~EthernetCrc.Raw(frame), crc);
        Assert.Equal(108u, h.Read(Io, CBR, 2));

        // the driver's acknowledgement: CAPR = cur_rx - 16, ISR write-1-to-clear
        h.Write(Io, CAPR, 2, 108 - 16);
        h.Write(Io, ISR, 2, 0x0051);
        Assert.Equal(0x01u, h.Read(Io, ChipCmd, 1) & 0x01);
        Assert.Equal(0u, h.Read(Io, ISR, 2));
        Assert.False(h.Device.InterruptAsserted);
    }

    [Fact]
    public void Short_frames_are_padded_and_filtered_frames_dropped()
    {
        Open();
        h.Peer.Send(Frames.To(Frames.OtherStation, 64)); // another station's unicast: not accepted
        h.Peer.Send(Frames.To(Frames.Broadcast, 42));    // broadcast, short: padded to 60
        Assert.True(h.WaitIntx());
        Assert.Equal(0xA001, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing, 2)) | 0x8000); // ROK | BAR
        Assert.Equal(0x2001, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing, 2)));
        Assert.Equal(64, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing + 2, 2)));
        Assert.Equal(68u, h.Read(Io, CBR, 2));
        Assert.Equal(1, h.Device.FramesReceived);
    }

    [Fact]
    public void Multicast_is_accepted_only_through_the_mar_hash()
    {
        Open(rcr: 0x0000F78E); // + accept multicast
        byte[] group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB];
        h.Peer.Send(Frames.To(group, 64));            // not in the MAR hash
        h.Peer.Send(Frames.To(Frames.Broadcast, 64)); // sentinel: the wire keeps order, so the group frame was judged first
        Assert.True(DeviceHarness.Eventually(() => h.Device.FramesReceived >= 1));
        Assert.Equal(1, h.Device.FramesReceived);
        Assert.Equal(0x2001, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing, 2))); // BAR | ROK: the sentinel
        ulong next = h.Read(Io, CBR, 2); // where the next frame's header goes

        int bit = (int)(EthernetCrc.EtherCrc(group) >> 26);
        h.Write(Io, 0x08 + (bit >> 3), 1, 1u << (bit & 7));
        h.Peer.Send(Frames.To(group, 64));
        Assert.True(DeviceHarness.Eventually(() => h.Device.FramesReceived == 2));
        Assert.Equal(0x8001, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing + next, 2))); // MAR | ROK
    }

    [Fact]
    public void Interrupts_are_masked_by_imr_and_automasked_until_unmask()
    {
        Open();
        h.Write(Io, IMR, 2, 0);
        h.Peer.Send(Frames.To(Mac.ToArray()));
        Assert.True(DeviceHarness.Eventually(() => (h.Read(Io, ISR, 2) & 1) != 0));
        Assert.False(h.WaitIntx(100)); // masked by IMR

        h.Write(Io, IMR, 2, 0x0001);
        Assert.True(h.WaitIntx()); // unmasking raises the level
        h.Write(Io, IMR, 2, 0);
        h.Write(Io, IMR, 2, 0x0001);
        Assert.False(h.WaitIntx(100)); // VFIO automask: nothing until the host unmasks INTx
        h.Client.UnmaskIntx();
        Assert.True(h.WaitIntx()); // still asserted, so it fires again
        h.Write(Io, ISR, 2, 0xFFFF);
        h.Client.UnmaskIntx();
        Assert.False(h.WaitIntx(100)); // cleared: quiet
    }

    [Fact]
    public void A_frame_is_sent_from_a_transmit_descriptor()
    {
        Open();
        var frame = Frames.To(Frames.OtherStation, 60, seed: 3);
        frame.CopyTo(h.Dma(TxBuffers + 1536, 60));
        h.Write(Io, TSD0 + 4, 4, 0x00080000 | 60u);
        Assert.Equal(frame, h.NextSent());
        Assert.True(h.WaitIntx());
        Assert.Equal(0xA03Cu & 0xFFFF, h.Read(Io, TSD0 + 4, 4) & 0xFFFF); // TOK | OWN | size
        Assert.Equal(0x0004u, h.Read(Io, ISR, 2) & 0x0004);
        Assert.Equal(0x200Fu, h.Read(Io, TSAD, 2)); // TOK1, OWN0-3
    }

    [Fact]
    public void Transmit_from_unmapped_memory_aborts_and_the_device_keeps_working()
    {
        Open();
        h.Write(Io, TSAD0, 4, 0x7000_0000);
        h.Write(Io, TSD0, 4, 60);
        Assert.Equal(0x40002000u, h.Read(Io, TSD0, 4) & 0x40002000); // TABT | OWN
        Assert.Equal(0x0008u, h.Read(Io, ISR, 2) & 0x0008);
        Assert.Null(h.NextSent(50));

        Frames.To(Frames.OtherStation).CopyTo(h.Dma(TxBuffers, 64));
        h.Write(Io, TSAD0, 4, (uint)TxBuffers);
        h.Write(Io, TSD0, 4, 64);
        Assert.NotNull(h.NextSent());
    }

    [Fact]
    public void Link_changes_show_in_isr_cscr_bmsr_and_media_status()
    {
        Open();
        h.Device.LinkUp = false;
        Assert.True(h.WaitIntx());
        Assert.Equal(0x0020u, h.Read(Io, ISR, 2) & 0x0020);
        Assert.Equal(0x0800u, h.Read(Io, CSCR, 2) & 0x0800);
        Assert.Equal(0x7829u, h.Read(Io, BMSR, 2));
        Assert.Equal(0x04u, h.Read(Io, MediaStatus, 1) & 0x04);
        h.Device.LinkUp = true;
        Assert.Equal(0x782Du, h.Read(Io, BMSR, 2));
    }

    [Fact]
    public void A_full_ring_raises_overflow_and_holds_frames_until_capr_moves()
    {
        Open(rcr: 0x0000070A); // 8K ring, no WRAP bit
        int sent = 0;
        while (sent < 8)
            h.Peer.Send(Frames.To(Mac.ToArray(), 1500, seed: (byte)sent++)); // 5 fit in 8K
        Assert.True(DeviceHarness.Eventually(() => (h.Read(Io, ISR, 2) & 0x0010) != 0));
        Assert.Equal(5, h.Device.FramesReceived);

        // the driver consumes everything: held frames flow in, the last one wraps round the ring end
        int cur = (int)h.Read(Io, CBR, 2);
        h.Write(Io, CAPR, 2, (uint)(cur - 16));
        Assert.True(DeviceHarness.Eventually(() => h.Device.FramesReceived == 8));
        int sixth = 5 * 1508; // 4-byte header + 1504 (frame + CRC): the 6th packet starts at 7540 and runs past 8192
        Assert.Equal(1504, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing + (ulong)sixth + 2, 2)));
        var expected = Frames.To(Mac.ToArray(), 1500, seed: 5);
        int first = 8192 - sixth - 4;
        Assert.True(h.Dma(RxRing + (ulong)sixth + 4, first).SequenceEqual(expected.AsSpan(0, first)));
        Assert.True(h.Dma(RxRing, 16).SequenceEqual(expected.AsSpan(first, 16)));
    }

    [Fact]
    public void Shrinking_the_ring_below_the_write_pointer_wraps_the_pointers_into_the_new_ring()
    {
        Open(rcr: 0x00001F0A); // 64K ring (RBLEN = 11), no WRAP bit
        for (int i = 0; i < 6; i++)
            h.Device.Receive(Frames.To(Mac.ToArray(), 1500, seed: (byte)i)); // 6 x 1508 bytes
        Assert.Equal(9048u, h.Read(Io, CBR, 2)); // past the end of an 8K ring
        h.Write(Io, CAPR, 2, 9048 - 16);          // the driver took them all

        h.Write(Io, RCR, 4, 0x0000070A);          // 8K ring: both pointers wrap to 9048 mod 8192
        Assert.Equal(856u, h.Read(Io, CBR, 2));
        Assert.Equal(856u - 16, h.Read(Io, CAPR, 2));
        var frame = Frames.To(Mac.ToArray(), 1500, seed: 9);
        h.Device.Receive(frame); // on the test thread: before the fix this threw (on the wire thread it aborted the process)
        Assert.Null(h.Device.Fault);
        Assert.Equal(7, h.Device.FramesReceived);
        Assert.Equal(1504, BinaryPrimitives.ReadUInt16LittleEndian(h.Dma(RxRing + 856 + 2, 2)));
        Assert.True(h.Dma(RxRing + 856 + 4, 1500).SequenceEqual(frame));
        Assert.Equal(856u + 1508, h.Read(Io, CBR, 2));
        Assert.Equal(0u, h.Read(Io, ChipCmd, 1) & 0x01); // BUFE clear
    }

    [Fact]
    public void Ring_pointers_stay_inside_the_ring_whatever_the_driver_writes()
    {
        int seed = Environment.TickCount;
        var rng = new Random(seed);
        Open();
        uint[] sizes = [0x0000, 0x0800, 0x1000, 0x1800];
        for (int n = 0; n < 400; n++)
        {
            switch (rng.Next(4))
            {
                case 0:
                    h.Write(Io, RCR, 4, 0x0000E70A & ~0x1800u | sizes[rng.Next(4)] | (rng.Next(2) == 0 ? 0x80u : 0u));
                    break;
                case 1:
                    h.Write(Io, CAPR, 2, (uint)rng.Next(65536));
                    break;
                case 2:
                    h.Write(Io, RBSTART, 4, (uint)RxRing + (uint)rng.Next(4) * 4);
                    break;
                default:
                    h.Device.Receive(Frames.To(Mac.ToArray(), rng.Next(14, 1519), seed: (byte)n));
                    break;
            }
            int ring = 8192 << (int)((h.Read(Io, RCR, 4) >> 11) & 3);
            Assert.True(h.Read(Io, CBR, 2) < ring, $"seed {seed}, step {n}: CBR outside the ring");
            Assert.True(((h.Read(Io, CAPR, 2) + 16) & 0xFFFF) < ring, $"seed {seed}, step {n}: CAPR outside the ring");
        }
        Assert.Null(h.Device.Fault);
    }

    [Fact]
    public void Msi_replaces_intx_when_enabled()
    {
        Open();
        Assert.Equal(0x05u, h.Client.ReadConfig((int)h.Client.ReadConfig(0x34, 1), 1)); // MSI capability
        h.Client.WriteConfig(0x52, 2, 1); // MSI enable
        h.Peer.Send(Frames.To(Mac.ToArray()));
        Assert.True(h.WaitMsi());
        Assert.False(h.WaitIntx(100));
    }
}
