// SPDX-License-Identifier: MIT
// Test side. The DesignWare GMAC 3.70a model as a vfio-user platform device, driven the way stmmac's
// dwmac1000 code drives it: identity and HW features, software reset, MDIO to the PHY, transmit and
// receive rings of extended (ATDS) enhanced descriptors, the receive watchdog, the address filter, and
// descriptors that point where no memory is.
using System.Buffers.Binary;
using LinuxShim.Devices.Dwmac;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

/// <summary>The GMAC behind a real vfio-user server, a VfioUserClient on the other end, shared DMA memory, its cable.</summary>
internal sealed class DwmacHarness : IDisposable
{
    public const ulong DmaBase = 0x1000_0000;
    public const int DmaSize = 1 << 20;

    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;
    private readonly SemaphoreSlim irq = new(0);
    private readonly System.Collections.Concurrent.BlockingCollection<byte[]> fromDevice = [];

    public DwmacHarness(DwmacNic device)
    {
        Device = device;
        Server = new VfioUserServer(device);
        var (clientEnd, serverEnd) = UnixSocket.CreatePair();
        serving = Server.ServeAsync(serverEnd, stop.Token);
        Client = new VfioUserClient(clientEnd);
        Memory = SharedMemory.Create("dwmac-dma", DmaSize);
        Client.MapDma(DmaBase, DmaSize, Memory.Handle, 0, Memory.Address, writable: true);
        var (deviceEnd, farEnd) = InProcessWire.CreatePair();
        DeviceWire = deviceEnd;
        Peer = farEnd;
        Peer.Received += f => fromDevice.Add(f.ToArray());
        device.Connect(deviceEnd);
        Client.SetIrqHandler(PciIrqKind.Intx, 0, () => irq.Release());
    }

    public DwmacNic Device { get; }

    public VfioUserServer Server { get; }

    public VfioUserClient Client { get; }

    public SharedMemory Memory { get; }

    public InProcessWire DeviceWire { get; }

    public InProcessWire Peer { get; }

    public uint Read(int offset) => (uint)Client.ReadBar(0, (ulong)offset, 4);

    /// <summary>A register write, then a read that returns once the device has done it (writes are posted).</summary>
    public void Write(int offset, uint value)
    {
        Client.WriteBar(0, (ulong)offset, 4, value);
        Read(0x20);
    }

    /// <summary>Waits for the macirq line to fire; false on timeout. The line stays masked until <see cref="Unmask"/>.</summary>
    public bool WaitIrq(int timeoutMs = 2000) => irq.Wait(timeoutMs);

    public void Unmask() => Client.UnmaskIntx();

    public byte[]? NextSent(int timeoutMs = 2000) => fromDevice.TryTake(out var f, timeoutMs) ? f : null;

    public Span<byte> Dma(ulong iova, int length) => Memory.AsSpan((long)(iova - DmaBase), length);

    public uint Word(ulong iova) => BinaryPrimitives.ReadUInt32LittleEndian(Dma(iova, 4));

    public void SetWord(ulong iova, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Dma(iova, 4), value);

    public void Dispose()
    {
        Client.Dispose();
        stop.Cancel();
        serving.Wait(5000);
        Server.Dispose();
        Peer.Dispose();
        DeviceWire.Dispose();
        Device.Dispose();
        Memory.Dispose();
    }
}

public sealed class DwmacTests : IDisposable
{
    // Registers (dwmac1000.h, dwmac_dma.h).
    private const int MacConfig = 0x00, FrameFilter = 0x04, HashHigh = 0x08, HashLow = 0x0C, GmiiAddress = 0x10,
        GmiiData = 0x14, Version = 0x20, IntStatus = 0x38, IntMask = 0x3C, Addr0High = 0x40, Addr0Low = 0x44,
        Addr1High = 0x48, Addr1Low = 0x4C, RgmiiStatus = 0xD8, MmcControl = 0x100, BusMode = 0x1000,
        TxPoll = 0x1004, RxPoll = 0x1008, RxList = 0x100C, TxList = 0x1010, Status = 0x1014, OpMode = 0x1018,
        IntEnable = 0x101C, Missed = 0x1020, Riwt = 0x1024, AxiBusMode = 0x1028, CurTxDesc = 0x1048, HwFeature = 0x1058;

    private const uint Ti = 1, Tu = 1 << 2, Tjt = 1 << 3, Ri = 1 << 6, Ru = 1 << 7, Fbi = 1 << 13, Ais = 1 << 15, Nis = 1 << 16;
    private const uint Own = 1u << 31, TxIc = 1 << 30, TxLs = 1 << 29, TxFs = 1 << 28, TxTer = 1 << 21;
    private const uint RxFs = 1 << 9, RxLs = 1 << 8, RxEs = 1 << 15, RxFt = 1 << 5, RxDic = 1u << 31, RxRer = 1 << 15;

    // stmmac's DMA_INTR_DEFAULT_MASK: NIE, RIE, TIE, AIE, FBE, UNE.
    private const uint DefaultInterrupts = 0x10000 | 0x40 | 0x1 | 0x8000 | 0x2000 | 0x20;

    private const int DescriptorSize = 32; // extended descriptors: the driver sets ATDS on 3.50a and later
    private const ulong TxRing = DwmacHarness.DmaBase;
    private const ulong RxRing = DwmacHarness.DmaBase + 0x1000;
    private const ulong TxBuffers = DwmacHarness.DmaBase + 0x10000;
    private const ulong RxBuffers = DwmacHarness.DmaBase + 0x40000;
    private const int RxBufferSize = 1536;

    private static readonly MacAddress Mac = MacAddress.Parse("02:11:22:33:44:55");
    private readonly DwmacHarness h = new(new DwmacNic(Mac));

    public void Dispose() => h.Dispose();

    [Fact]
    public void Version_hw_features_and_reset_values_are_what_stmmac_probes()
    {
        Assert.Equal(0x37u, h.Read(Version) & 0xFF); // hwif.c: Synopsys ID 0x37 picks the dwmac1000 core
        uint features = h.Read(HwFeature);
        Assert.NotEqual(0u, features); // 0 would mean "no HW feature register"
        Assert.Equal(1u << 24, features & (1u << 24)); // ENHDESSEL: enhanced descriptors
        Assert.Equal(2u, features & 2); // GMIISEL: 1000 Mbit/s
        Assert.Equal(0x800u, features & 0x800); // MMCSEL
        Assert.Equal(0x100u, features & 0x100); // SMASEL: MDIO
        Assert.Equal(0u, features & 0x70000); // no checksum offload either way (not modelled)
        Assert.Equal(0u, features & 0x3000); // no time stamping
        Assert.Equal(0x00020100u, h.Read(BusMode));
        Assert.Equal(0u, h.Read(Status)); // both DMA processes stopped, nothing pending
        // Address 0 holds the station address (AE reads 1); stmmac_get_umac_addr's byte order.
        Assert.Equal(0x80005544u, h.Read(Addr0High));
        Assert.Equal(0x33221102u, h.Read(Addr0Low));
        Assert.Equal(0x0000FFFFu, h.Read(Addr1High));
        Assert.Equal(0x0Du, h.Read(RgmiiStatus)); // link up, 125 MHz, full duplex

        // Software reset: SWR reads back 0 at once and every register is at its reset value again.
        h.Write(FrameFilter, 0x80000001);
        h.Write(IntEnable, 0x1FFFF);
        h.Write(OpMode, 0x2002);
        h.Write(BusMode, h.Read(BusMode) | 1);
        Assert.Equal(0u, h.Read(BusMode) & 1);
        Assert.Equal(0u, h.Read(FrameFilter));
        Assert.Equal(0u, h.Read(IntEnable));
        Assert.Equal(0u, h.Read(OpMode));
        Assert.Equal(0x1E7FFu, WriteRead(IntEnable, 0xFFFFFFFF)); // only bits with a status bit
        Assert.Equal(0u, WriteRead(MacConfig, 1 << 10) & (1 << 10)); // IPC: no receive checksum engine
        Assert.Equal(0u, WriteRead(OpMode, 1 << 20) & (1 << 20)); // FTF: the flush completes at once
        Assert.Equal(0u, WriteRead(MmcControl, 0x3F) & 1); // MMC counters reset self-clears
        Assert.Equal(0u, h.Read(0x114)); // MMC counters read 0
        Assert.Equal(0x00110001u, h.Read(AxiBusMode)); // UNDEF: any burst length
    }

    private uint WriteRead(int offset, uint value)
    {
        h.Write(offset, value);
        return h.Read(offset);
    }

    /// <summary>stmmac_mdio_read (dwmac1000): PA 15:11, GR 10:6, CR 5:2, GB; wait for GB to clear; read the data.</summary>
    private ushort MdioRead(int phy, int reg)
    {
        h.Write(GmiiData, 0);
        h.Write(GmiiAddress, (uint)(phy << 11 | reg << 6 | 1 << 2 | 1));
        Assert.Equal(0u, h.Read(GmiiAddress) & 1);
        return (ushort)h.Read(GmiiData);
    }

    private void MdioWrite(int phy, int reg, ushort value)
    {
        h.Write(GmiiData, value);
        h.Write(GmiiAddress, (uint)(phy << 11 | reg << 6 | 1 << 2 | 2 | 1));
        Assert.Equal(0u, h.Read(GmiiAddress) & 1);
    }

    [Fact]
    public void The_phy_answers_at_mdio_address_1_with_a_generic_id_and_link_at_1000_full()
    {
        Assert.Equal(1, DwmacNic.PhyAddress);
        Assert.Equal(Clause22Phy.Id1, MdioRead(1, 2));
        Assert.Equal(Clause22Phy.Id2, MdioRead(1, 3));
        Assert.Equal(0xFFFF, MdioRead(0, 2)); // no PHY there: MDIO pulled up
        Assert.Equal(0xFFFF, MdioRead(31, 1));
        ushort bmsr = MdioRead(1, 1);
        Assert.Equal(0x796D, bmsr); // link, autonegotiation complete, extended status
        Assert.Equal(0x3000, MdioRead(1, 15)); // 1000BASE-T full and half
        Assert.Equal(0x0800, MdioRead(1, 10) & 0x0800); // partner: 1000 full
        Assert.Equal(0x0100, MdioRead(1, 5) & 0x0100); // partner: 100 full

        // genphy_config_aneg: advertisement, then restart; both self-clearing bits read 0.
        MdioWrite(1, 4, 0x0DE1);
        MdioWrite(1, 0, 0x1200);
        Assert.Equal(0x1000, MdioRead(1, 0));
        MdioWrite(1, 0, 0x8000); // soft reset
        Assert.Equal(0x1140, MdioRead(1, 0));

        // A link drop latches low in BMSR until read once.
        h.Device.LinkUp = false;
        h.Device.LinkUp = true;
        Assert.Equal(0, MdioRead(1, 1) & 0x0004);
        Assert.Equal(0x0004, MdioRead(1, 1) & 0x0004);
    }

    /// <summary>stmmac_hw_setup's order: SWR, bus mode (ATDS), interrupts, lists, address 0, MAC on, DMA on.</summary>
    private void Open(int rxDescriptors = 4, uint riwt = 0, bool rxDic = false, uint filter = 1u << 10)
    {
        h.Write(BusMode, 1);
        Assert.True(DeviceHarness.Eventually(() => (h.Read(BusMode) & 1) == 0));
        h.Write(BusMode, 0x00800000 | 8 << 17 | 8 << 8 | 1 << 7); // USP, RPBL 8, PBL 8, ATDS
        h.Write(IntEnable, DefaultInterrupts);
        for (int i = 0; i < rxDescriptors; i++)
        {
            ulong d = RxRing + (ulong)(i * DescriptorSize);
            h.Dma(d, DescriptorSize).Clear();
            h.SetWord(d + 4, RxBufferSize | (i == rxDescriptors - 1 ? RxRer : 0) | (rxDic ? RxDic : 0));
            h.SetWord(d + 8, (uint)(RxBuffers + (ulong)(i * 2048)));
            h.SetWord(d, Own);
        }
        h.Dma(TxRing, 16 * DescriptorSize).Clear();
        h.Write(RxList, (uint)RxRing);
        h.Write(TxList, (uint)TxRing);
        h.Write(Addr0High, 0x80005544);
        h.Write(Addr0Low, 0x33221102);
        h.Write(MacConfig, 0x00610000 | 1 << 11 | 1 << 3 | 1 << 2); // JD, BE, DCRS, DM, TE, RE
        h.Write(FrameFilter, filter);
        h.Write(Riwt, riwt);
        h.Write(OpMode, 0x00200000 | 0x04 | 1 << 13 | 1 << 1); // TSF, OSF, ST, SR
    }

    private void SetTxDescriptor(int i, ulong buffer, int length, uint flags, ulong buffer2 = 0, int length2 = 0)
    {
        ulong d = TxRing + (ulong)(i * DescriptorSize);
        h.SetWord(d + 4, (uint)length | (uint)length2 << 16);
        h.SetWord(d + 8, (uint)buffer);
        h.SetWord(d + 12, (uint)buffer2);
        h.SetWord(d, flags);
    }

    private void AckStatus()
    {
        h.Write(Status, h.Read(Status) & 0x1FFFF);
        h.Unmask();
    }

    [Fact]
    public void Transmit_ring_sends_frames_gives_descriptors_back_and_raises_ti()
    {
        Open();
        var big = Frames.To(Frames.OtherStation, 1514, seed: 3);
        var small = Frames.To(Frames.OtherStation, 42, seed: 4);
        big.CopyTo(h.Dma(TxBuffers, big.Length));
        small.CopyTo(h.Dma(TxBuffers + 0x800, small.Length));
        SetTxDescriptor(0, TxBuffers, big.Length, Own | TxFs | TxLs);
        SetTxDescriptor(1, TxBuffers + 0x800, small.Length, Own | TxFs | TxLs | TxIc);
        h.Write(TxPoll, 1);

        Assert.Equal(big, h.NextSent());
        var sent = h.NextSent();
        Assert.NotNull(sent);
        Assert.Equal(60, sent.Length); // padded by the MAC
        Assert.Equal(small, sent[..42]);
        Assert.True(sent[42..].All(b => b == 0));
        Assert.Equal(TxFs | TxLs, h.Word(TxRing)); // OWN cleared, no error, control kept
        Assert.Equal(TxFs | TxLs | TxIc, h.Word(TxRing + DescriptorSize));

        Assert.True(h.WaitIrq());
        uint status = h.Read(Status);
        Assert.Equal(Ti | Nis, status & (Ti | Nis));
        Assert.Equal(Tu, status & Tu); // the third descriptor is the CPU's: suspended
        Assert.Equal(6u, (status >> 20) & 7);
        Assert.Equal((uint)(TxRing + 2 * DescriptorSize), h.Read(CurTxDesc));
        AckStatus();
        Assert.Equal(0u, h.Read(Status) & 0x1FFFF);
        Assert.False(h.Device.InterruptAsserted);
        Assert.False(h.WaitIrq(100));

        // Without IC, no interrupt; the next frame goes out from where the ring stopped, after the poll demand.
        SetTxDescriptor(2, TxBuffers, 100, Own | TxFs | TxLs);
        h.Write(TxPoll, 1);
        Assert.Equal(big[..100], h.NextSent());
        Assert.Equal(0u, h.Read(Status) & Ti);
        Assert.Equal(3, h.Device.FramesSent);
    }

    [Fact]
    public void A_frame_over_several_descriptors_and_second_buffers_goes_out_as_one_and_the_ring_wraps()
    {
        Open();
        var frame = Frames.To(Frames.Broadcast, 1000, seed: 9);
        frame.CopyTo(h.Dma(TxBuffers, frame.Length));
        // Descriptor 0 (the ring's last by TER... no: 0 and 1 carry the frame, 1 has end of ring).
        SetTxDescriptor(1, TxBuffers + 300, 200, Own | TxLs | TxIc | TxTer, TxBuffers + 500, 500);
        SetTxDescriptor(0, TxBuffers, 100, Own | TxFs, TxBuffers + 100, 200); // first segment last, as stmmac does
        h.Write(TxPoll, 1);
        Assert.Equal(frame, h.NextSent());
        Assert.Equal(TxFs, h.Word(TxRing));
        Assert.Equal(TxLs | TxIc | TxTer, h.Word(TxRing + DescriptorSize));
        // End of ring: the next descriptor is the first again.
        SetTxDescriptor(0, TxBuffers, 64, Own | TxFs | TxLs | TxTer);
        h.Write(TxPoll, 1);
        Assert.Equal(frame[..64], h.NextSent());
    }

    [Fact]
    public void Receive_writes_frame_fcs_length_and_status_and_raises_ri()
    {
        Open();
        var frame = Frames.To(Mac.ToArray(), 200, seed: 5);
        h.Peer.Send(frame);
        Assert.True(h.WaitIrq());
        uint rdes0 = h.Word(RxRing);
        Assert.Equal(0u, rdes0 & Own);
        Assert.Equal(RxFs | RxLs | RxFt, rdes0 & (RxFs | RxLs | RxFt | RxEs));
        Assert.Equal(204u, (rdes0 >> 16) & 0x3FFF); // the FCS is counted, and in the buffer (stmmac strips it)
        Assert.Equal(frame, h.Dma(RxBuffers, 200).ToArray());
        Assert.Equal(EthernetCrc.Fcs(frame), BinaryPrimitives.ReadUInt32LittleEndian(h.Dma(RxBuffers + 200, 4)));
        Assert.Equal(Ri | Nis, h.Read(Status) & (Ri | Nis));
        AckStatus();

        // A short frame is padded to 60 before its FCS; the next descriptor takes it.
        var small = Frames.To(Frames.Broadcast, 42, seed: 6);
        h.Peer.Send(small);
        Assert.True(h.WaitIrq());
        Assert.Equal(64u, (h.Word(RxRing + DescriptorSize) >> 16) & 0x3FFF);
        Assert.Equal(small, h.Dma(RxBuffers + 2048, 42).ToArray());
        Assert.Equal(2, h.Device.FramesReceived);
    }

    [Fact]
    public void A_frame_larger_than_a_buffer_spans_descriptors_first_to_last()
    {
        Open();
        for (int i = 0; i < 4; i++)
            h.SetWord(RxRing + (ulong)(i * DescriptorSize) + 4, 1024 | (i == 3 ? RxRer : 0));
        var frame = Frames.To(Mac.ToArray(), 1514, seed: 7);
        h.Device.Receive(frame);
        Assert.Equal(RxFs, h.Word(RxRing)); // first, not last, OWN cleared
        uint last = h.Word(RxRing + DescriptorSize);
        Assert.Equal(RxLs, last & (RxFs | RxLs | Own | RxEs));
        Assert.Equal(1518u, (last >> 16) & 0x3FFF);
        Assert.Equal(frame[..1024], h.Dma(RxBuffers, 1024).ToArray());
        Assert.Equal(frame[1024..], h.Dma(RxBuffers + 2048, 490).ToArray());
    }

    [Fact]
    public void With_dic_set_ri_waits_for_the_receive_watchdog()
    {
        Open(rxDic: true, riwt: 0); // the driver's use_riwt descriptors, but no watchdog programmed
        h.Device.Receive(Frames.To(Mac.ToArray(), 100));
        Assert.Equal(0u, h.Word(RxRing) & Own);
        Assert.False(h.WaitIrq(200)); // no RI without the watchdog
        Assert.Equal(0u, h.Read(Status) & Ri);

        h.Write(Riwt, 0xA0); // DEF_DMA_RIWT: 160 × 256 cycles at 125 MHz, under a millisecond
        h.Device.Receive(Frames.To(Mac.ToArray(), 100));
        Assert.True(h.WaitIrq());
        Assert.Equal(Ri | Nis, h.Read(Status) & (Ri | Nis));
    }

    [Fact]
    public void A_full_ring_suspends_with_ru_holds_frames_and_counts_the_ones_it_loses()
    {
        Open(rxDescriptors: 1);
        h.Device.Receive(Frames.To(Mac.ToArray(), 100, seed: 1));
        Assert.Equal(0u, h.Word(RxRing) & Own);
        for (int i = 0; i < PlatformNic.HeldFrameLimit + 3; i++)
            h.Device.Receive(Frames.To(Mac.ToArray(), 100, seed: (byte)(2 + i)));
        uint status = h.Read(Status);
        Assert.Equal(Ru, status & Ru);
        Assert.Equal(4u, (status >> 17) & 7); // receive suspended
        Assert.Equal(3, h.Device.FramesOverflowed);
        Assert.Equal(3u, h.Read(Missed) & 0xFFFF); // missed for want of a host buffer
        Assert.Equal(0u, h.Read(Missed)); // cleared by the read

        // The driver gives the descriptor back (no poll demand, as stmmac on this core): the DMA looks again by itself.
        h.SetWord(RxRing, Own);
        Assert.True(DeviceHarness.Eventually(() => (h.Word(RxRing) & Own) == 0));
        Assert.Equal((byte)(2 + 14), h.Dma(RxBuffers + 14, 1)[0]); // the first frame held, in order
        h.SetWord(RxRing, Own);
        h.Write(RxPoll, 1);
        Assert.True(DeviceHarness.Eventually(() => (h.Word(RxRing) & Own) == 0));
        Assert.Equal((byte)(3 + 14), h.Dma(RxBuffers + 14, 1)[0]);
    }

    [Fact]
    public void Receive_stopped_holds_frames_in_the_fifo_until_started()
    {
        Open();
        h.Write(OpMode, h.Read(OpMode) & ~2u); // SR off
        Assert.Equal(0u, (h.Read(Status) >> 17) & 7);
        h.Device.Receive(Frames.To(Mac.ToArray(), 80));
        Assert.Equal(Own, h.Word(RxRing));
        h.Write(OpMode, h.Read(OpMode) | 2);
        Assert.Equal(0u, h.Word(RxRing) & Own);
        Assert.Equal(84u, (h.Word(RxRing) >> 16) & 0x3FFF);
    }

    [Fact]
    public void The_address_filter_passes_own_broadcast_hashed_multicast_and_everything_promiscuous()
    {
        Open(rxDescriptors: 8);
        bool Delivered(byte[] destination)
        {
            long n = h.Device.FramesReceived;
            h.Device.Receive(Frames.To(destination, 64));
            return h.Device.FramesReceived == n + 1;
        }
        byte[] multicast = [0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB];
        Assert.True(Delivered(Mac.ToArray()));
        Assert.True(Delivered(Frames.Broadcast));
        Assert.False(Delivered(Frames.OtherStation));
        Assert.False(Delivered(multicast)); // HMC off: perfect filter only

        // dwmac1000_set_filter's hash: bitrev32(~crc32_le(~0, addr)) >> 26; bit 5 picks the high register.
        int bit = (int)(~EthernetCrc.EtherCrc(multicast) >> 26);
        h.Write(FrameFilter, 1 << 10 | 1 << 2); // HPF, HMC
        h.Write(bit >= 32 ? HashHigh : HashLow, 1u << (bit & 31));
        Assert.True(Delivered(multicast));
        Assert.False(Delivered([0x01, 0x00, 0x5E, 0x00, 0x00, 0xFC]));
        Assert.True(Delivered(Mac.ToArray())); // HPF: the perfect filter still passes our address

        h.Write(FrameFilter, 1 << 10 | 1 << 5); // DBF: broadcast refused
        Assert.False(Delivered(Frames.Broadcast));
        h.Write(FrameFilter, 1 << 4); // PM: every multicast
        Assert.True(Delivered([0x33, 0x33, 0, 0, 0, 1]));

        // A second unicast address (stmmac's perfect filter entries) with AE.
        h.Write(Addr1High, 0x80000000 | 0xCCBB);
        h.Write(Addr1Low, 0xAA000002);
        h.Write(FrameFilter, 1 << 10);
        Assert.True(Delivered(Frames.OtherStation));

        h.Write(FrameFilter, 1); // PR
        Assert.True(Delivered([0x02, 9, 9, 9, 9, 9]));
    }

    [Fact]
    public void A_descriptor_list_where_no_memory_is_is_a_fatal_bus_error_and_the_server_keeps_serving()
    {
        Open();
        h.Write(OpMode, h.Read(OpMode) & ~(1u << 13)); // ST off, to move the list
        AckStatus();
        h.Write(TxList, 0x7000_0000); // nobody mapped it
        h.Write(OpMode, h.Read(OpMode) | 1 << 13);
        Assert.True(h.WaitIrq());
        uint status = h.Read(Status);
        Assert.Equal(Fbi | Ais, status & (Fbi | Ais));
        Assert.Equal(7u, (status >> 23) & 7); // transmit DMA, read, descriptor
        Assert.Equal(0u, (status >> 20) & 7); // transmit process stopped
        Assert.True(h.Device.DmaFaults > 0);
        h.Write(TxPoll, 1); // stopped until the driver restarts it: nothing happens
        Assert.Equal(0x37u, h.Read(Version) & 0xFF); // the server still answers
        Assert.Null(h.Device.Fault);

        // stmmac_tx_err: stop, reinitialise the ring, start again.
        AckStatus();
        h.Write(OpMode, h.Read(OpMode) & ~(1u << 13));
        h.Write(TxList, (uint)TxRing);
        var frame = Frames.To(Frames.OtherStation, 80);
        frame.CopyTo(h.Dma(TxBuffers, frame.Length));
        SetTxDescriptor(0, TxBuffers, frame.Length, Own | TxFs | TxLs);
        h.Write(OpMode, h.Read(OpMode) | 1 << 13);
        Assert.Equal(frame, h.NextSent());
    }

    [Fact]
    public void Buffers_where_no_memory_is_absurd_lengths_and_endless_rings_do_not_crash_or_hang_the_device()
    {
        Open();
        // A transmit buffer past the DMA window: fatal bus error on a data read by the transmit DMA.
        SetTxDescriptor(0, 0x7000_0000, 100, Own | TxFs | TxLs);
        h.Write(TxPoll, 1);
        uint status = h.Read(Status);
        Assert.Equal(Fbi, status & Fbi);
        Assert.Equal(3u, (status >> 23) & 7);
        AckStatus();

        // A receive buffer past the window: fatal bus error on a data write by the receive DMA; frames then wait.
        h.SetWord(RxRing + 8, 0x7000_0000);
        h.Device.Receive(Frames.To(Mac.ToArray(), 100));
        status = h.Read(Status);
        Assert.Equal(Fbi, status & Fbi);
        Assert.Equal(0u, (status >> 23) & 7);
        Assert.Equal(0u, (status >> 17) & 7); // receive process stopped
        AckStatus();

        // Restart both; a frame whose three descriptors' buffers add up to 49 KiB, past any frame the MAC sends:
        // cut off as by the jabber timer, flushed, ES and JT in its last descriptor, TJT in the status.
        h.Write(OpMode, h.Read(OpMode) & ~(1u << 13 | 2));
        h.Write(TxList, (uint)TxRing);
        h.Write(RxList, (uint)RxRing);
        h.SetWord(RxRing + 8, (uint)RxBuffers);
        for (int i = 0; i < 3; i++)
            SetTxDescriptor(i, TxBuffers, 8191, Own | (i == 0 ? TxFs : 0) | (i == 2 ? TxLs : 0), TxBuffers, 8191);
        h.Write(OpMode, h.Read(OpMode) | 1 << 13 | 2);
        Assert.Equal(Tjt, h.Read(Status) & Tjt);
        uint last = h.Word(TxRing + 2 * DescriptorSize);
        Assert.Equal(0u, last & Own);
        Assert.Equal(1u << 15 | 1u << 14, last & (1u << 15 | 1u << 14)); // ES, JT
        Assert.Null(h.NextSent(100));
        AckStatus();

        // A ring without end: the window's last 512 KiB all owned, empty descriptors, no TER. The DMA walks a
        // bounded number of them (8192) per start or poll demand, so each returns, and at the window's end
        // (16384 descriptors on) meets a bus error.
        const ulong endless = DwmacHarness.DmaBase + 0x80000, end = DwmacHarness.DmaBase + DwmacHarness.DmaSize;
        h.Write(OpMode, h.Read(OpMode) & ~(1u << 13));
        AckStatus();
        h.Write(TxList, (uint)endless);
        for (ulong d = endless; d < end; d += DescriptorSize)
        {
            h.Dma(d, DescriptorSize).Clear();
            h.SetWord(d, Own | TxFs | TxLs);
        }
        var started = Environment.TickCount64;
        h.Write(OpMode, h.Read(OpMode) | 1 << 13);
        Assert.Equal(0u, h.Read(Status) & Fbi);
        h.Write(TxPoll, 1);
        Assert.Equal(0u, h.Read(Status) & Fbi);
        Assert.Equal(0u, h.Word(end - DescriptorSize) & Own); // walked to the last one
        h.Write(TxPoll, 1);
        Assert.Equal(Fbi, h.Read(Status) & Fbi);
        Assert.True(Environment.TickCount64 - started < 10_000);
        Assert.Null(h.NextSent(100)); // empty frames put nothing on the wire
        Assert.Equal(0x37u, h.Read(Version) & 0xFF);

        // Receive still works after all this.
        h.Device.Receive(Frames.To(Mac.ToArray(), 100));
        Assert.Equal(0u, h.Word(RxRing) & Own);
        Assert.Equal(RxFs | RxLs, h.Word(RxRing) & (RxFs | RxLs | RxEs));
        Assert.Null(h.Device.Fault);
        Assert.Equal(0, h.Server.InternalErrors);
    }

    [Fact]
    public void The_mac_interrupt_follows_its_mask_and_the_link_change_is_acknowledged_by_reading_rgmii_status()
    {
        Open();
        h.Write(IntMask, 0); // the RGMII link interrupt unmasked (the driver masks it: no PCS here)
        h.Device.LinkUp = false;
        Assert.True(h.WaitIrq());
        Assert.Equal(1u, h.Read(IntStatus) & 1);
        Assert.Equal(1u << 26, h.Read(Status) & (1u << 26)); // GLI
        Assert.Equal(0u, h.Read(RgmiiStatus) & 8); // link down
        Assert.Equal(0u, h.Read(IntStatus) & 1);
        Assert.False(h.Device.InterruptAsserted);
        h.Unmask();
        h.Write(IntMask, 0x60F); // stmmac's GMAC_INT_DEFAULT_MASK and more: a change raises nothing
        h.Device.LinkUp = true;
        Assert.False(h.WaitIrq(100));
        // With the link down the MAC neither receives nor transmits onto the wire.
        h.Device.LinkUp = false;
        h.Device.Receive(Frames.To(Mac.ToArray(), 100));
        Assert.Equal(Own, h.Word(RxRing));
    }

    [Fact]
    public void Over_vfio_user_it_is_a_platform_device_with_one_region_and_one_level_triggered_line()
    {
        Assert.True(h.Client.IsPlatformDevice);
        Span<byte> reply = stackalloc byte[64];
        Span<byte> request = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(request, 16);
        int n = h.Client.Transact(VfioUserCommand.DeviceGetInfo, request, default, reply);
        Assert.Equal(16, n);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(reply[4..]);
        Assert.Equal(VfioAbi.DeviceFlagsPlatform | VfioAbi.DeviceFlagsReset, flags); // not PCI
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(reply[8..])); // regions
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(reply[12..])); // IRQ indexes

        // Region 0: the register block, 0x2000 bytes, readable and writable.
        Span<byte> region = stackalloc byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(region, 32);
        n = h.Client.Transact(VfioUserCommand.DeviceGetRegionInfo, region, default, reply);
        Assert.Equal(32, n);
        Assert.Equal(VfioAbi.RegionInfoFlagRead | VfioAbi.RegionInfoFlagWrite, BinaryPrimitives.ReadUInt32LittleEndian(reply[4..]));
        Assert.Equal(0x2000ul, BinaryPrimitives.ReadUInt64LittleEndian(reply[16..]));

        // IRQ 0: one vector, eventfd, maskable, automasked (level).
        request.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(request, 16);
        n = h.Client.Transact(VfioUserCommand.DeviceGetIrqInfo, request, default, reply);
        Assert.Equal(16, n);
        Assert.Equal(VfioAbi.IrqInfoEventFd | VfioAbi.IrqInfoMaskable | VfioAbi.IrqInfoAutomasked,
            BinaryPrimitives.ReadUInt32LittleEndian(reply[4..]));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(reply[12..]));
        Assert.Equal(1, h.Client.IrqCount(PciIrqKind.Intx));
        Assert.Equal(0, h.Client.IrqCount(PciIrqKind.Msi));

        // What only a PCI function has is refused: configuration space (region 7), BAR 1, MSI (IRQ index 1).
        BinaryPrimitives.WriteUInt32LittleEndian(region[8..], 7);
        AssertRefused(VfioUserCommand.DeviceGetRegionInfo, region);
        AssertRefused(VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 4));
        AssertRefused(VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(1, 0, 4));
        AssertRefused(VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, 0x2000, 4)); // past the block
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1);
        AssertRefused(VfioUserCommand.DeviceGetIrqInfo, request);
        Span<byte> setIrqs = stackalloc byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(setIrqs, 20);
        BinaryPrimitives.WriteUInt32LittleEndian(setIrqs[4..], VfioAbi.IrqSetDataNone | VfioAbi.IrqSetActionTrigger);
        BinaryPrimitives.WriteUInt32LittleEndian(setIrqs[8..], 1); // index 1 (MSI on PCI)
        BinaryPrimitives.WriteUInt32LittleEndian(setIrqs[16..], 1);
        AssertRefused(VfioUserCommand.DeviceSetIrqs, setIrqs);
        BinaryPrimitives.WriteUInt32LittleEndian(setIrqs[16..], 0); // "disable all" of an index it lacks, too
        BinaryPrimitives.WriteUInt32LittleEndian(setIrqs[4..], VfioAbi.IrqSetDataNone | VfioAbi.IrqSetActionTrigger);
        AssertRefused(VfioUserCommand.DeviceSetIrqs, setIrqs);

        // And it is still served: the version register over REGION_READ, reset over DEVICE_RESET.
        Assert.Equal(0x37u, h.Read(Version) & 0xFF);
        h.Write(FrameFilter, 1);
        h.Client.Reset();
        Assert.Equal(0u, h.Read(FrameFilter));
    }

    private void AssertRefused(VfioUserCommand command, ReadOnlySpan<byte> payload)
    {
        byte[] bytes = payload.ToArray();
        var e = Assert.Throws<VfioUserException>(() => h.Client.Transact(command, bytes, default, new byte[64]));
        Assert.Equal(22, e.Errno.Value);
    }

    [Fact]
    public async Task Linuxshim_device_dwmac_serves_it_at_a_socket_and_the_list_names_it()
    {
        var list = new StringWriter();
        Assert.Equal(0, LinuxShim.Tools.DeviceCommand.Run(["--list"], list, TextWriter.Null, CancellationToken.None));
        Assert.Matches(@"(?m)^dwmac\s+platform\s.*snps,dwmac-3\.70a", list.ToString());

        string socket = Path.Combine(Path.GetTempPath(), $"ls-{Guid.NewGuid():N}"[..20] + ".sock");
        using var stop = new CancellationTokenSource();
        var text = new StringWriter();
        var output = TextWriter.Synchronized(text);
        var run = Task.Run(() => LinuxShim.Tools.DeviceCommand.Run(
            ["gmac", "--socket", socket, "--mac", "02:11:22:33:44:55", "--wire", "inproc"], output, TextWriter.Null, stop.Token));
        try
        {
            Assert.True(DeviceHarness.Eventually(() => { lock (output) return text.ToString().Contains(" on "); }, 10000));
            using var client = VfioUserClient.Connect(socket);
            Assert.True(client.IsPlatformDevice);
            Assert.Equal(0x37u, (uint)client.ReadBar(0, 0x20, 4) & 0xFF);
            Assert.Equal(0x33221102u, (uint)client.ReadBar(0, 0x44, 4)); // address 0 low: the --mac
        }
        finally
        {
            stop.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.Equal(0, await run);
        Assert.Contains("dwmac 02:11:22:33:44:55", text.ToString());
    }

    [Fact]
    public void Device_models_name_it_dwmac_or_gmac()
    {
        Assert.Equal("dwmac", DeviceModels.ModelName("dwmac"));
        Assert.Equal("dwmac", DeviceModels.ModelName("gmac"));
        using var nic = DeviceModels.CreateNic("gmac", Mac, _ => { });
        Assert.IsType<DwmacNic>(nic);
        Assert.True(nic.IsPlatform);
        Assert.Equal(1, nic.RegionCount);
    }
}
