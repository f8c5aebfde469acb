// SPDX-License-Identifier: MIT
// Test side. QEMU's NE2000 (ne2k_pci) served by LinuxShim (issue 16). The ring watch: a driver that
// acknowledges PRX while its receive ring still holds frames keeps hearing of them (PRX reads set, the
// line is raised), as the 8390 would tell it through the frames that follow or its overwrite warning;
// QEMU's model alone drops every frame once the ring is full and says nothing, and receive stops for
// good. The cable's flow control: a frame that would find the ring full waits on the wire until the
// driver makes room, instead of being dropped by QEMU's model. Needs qemu-system-x86 (CI installs it).
using LinuxShim.Devices.Qemu;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;

namespace LinuxShim.Devices.Tests;

public sealed class QemuNe2000Tests
{
    private sealed class Line : IDeviceBus
    {
        private int raised;

        public int Raised => Volatile.Read(ref raised);

        public bool DmaRead(ulong address, Span<byte> data) => false;

        public bool DmaWrite(ulong address, ReadOnlySpan<byte> data) => false;

        public void SetIntx(bool asserted)
        {
            if (asserted)
                Interlocked.Increment(ref raised);
        }

        public void SignalMsi(int vector)
        {
        }
    }

    private const byte RingStart = 0x4C, RingStop = 0x80;

    // QEMU's NE2000 initialised as the 8390 driver does, its line watched, its cable on an in-process wire whose far end the test holds.
    private sealed class Bench : IDisposable
    {
        private readonly InProcessWire nicEnd;

        public Bench()
        {
            Nic = new QemuNic("ne2k_pci", MacAddress.Parse("52:54:00:ab:cd:ef"), _ => { });
            Nic.Attach(Line);
            (nicEnd, Far) = InProcessWire.CreatePair();
            Nic.Connect(nicEnd);
            Initialise(Nic);
        }

        public QemuNic Nic { get; }

        public InProcessWire Far { get; }

        public Line Line { get; } = new();

        public void Dispose()
        {
            Nic.Dispose();
            nicEnd.Dispose();
            Far.Dispose();
        }
    }

    [Fact]
    public void Frames_left_in_the_ring_when_the_driver_acknowledges_them_keep_it_told_until_it_takes_them()
    {
        using var bench = new Bench();
        var (nic, far, line) = (bench.Nic, bench.Far, bench.Line);

        // Eight full-size broadcasts fill the ring (six pages each; what is left is less than QEMU wants for a frame).
        var frame = new byte[1514];
        frame.AsSpan(0, 6).Fill(0xFF);
        for (int i = 0; i < 8; i++)
            far.Send(frame);
        byte current = 0;
        Assert.True(SpinWait.SpinUntil(() => (current = Current(nic)) == RingStart + 1 + 8 * 6, 5000),
            $"CURR 0x{current:x2}: the ring did not fill");
        Assert.Equal(0x01, Read(nic, 0x07) & 0x01);

        // The driver reads a frame's header by remote DMA (ne2k_pci_get_8390_hdr: RDC acknowledged, the command
        // register left at remote read) and acknowledges PRX having taken nothing more (its last look at CURR came
        // before these frames, or it had taken its 9 for this pass): PRX still reads set and the line is raised
        // again; the command register and ISR.RDC are as the driver left them.
        Write(nic, 0x0A, 4);
        Write(nic, 0x0B, 0);
        Write(nic, 0x08, 0);
        Write(nic, 0x09, RingStart + 1);
        Write(nic, 0x00, 0x0A);
        var header = new byte[4];
        nic.ReadRegionRepeated(0, 0x10, 4, header);
        Assert.Equal(0x40, Read(nic, 0x07) & 0x40);
        Write(nic, 0x07, 0x40);
        Assert.Equal(RingStart + 1 + 6, header[1]); // the next frame's page
        int raisedBefore = line.Raised;
        Write(nic, 0x07, 0x05);
        Assert.Equal(0x01, Read(nic, 0x07) & 0x41);
        Assert.True(SpinWait.SpinUntil(() => line.Raised > raisedBefore, 5000), "the line was not raised for the frames left");
        Assert.Equal(0x0A, Read(nic, 0x00));
        Write(nic, 0x00, 0x22);
        Assert.Equal(RingStart, Read(nic, 0x03));

        // The driver unmasks its line still holding frames: raised again.
        raisedBefore = line.Raised;
        nic.IntxUnmasked();
        Assert.True(SpinWait.SpinUntil(() => line.Raised > raisedBefore, 5000), "unmasked with frames left, the line stayed down");

        // It takes them all (BNRY one page behind CURR) and acknowledges: PRX clear, and the ring takes frames again.
        Write(nic, 0x03, (byte)(current - 1));
        Write(nic, 0x07, 0x05);
        Assert.Equal(0, Read(nic, 0x07) & 0x01);
        far.Send(frame);
        Assert.True(SpinWait.SpinUntil(() => Current(nic) == (byte)(current + 6 - (RingStop - RingStart)), 5000), "a frame after the ring was emptied did not arrive");
        Assert.Equal(0x01, Read(nic, 0x07) & 0x01);
        Assert.Null(nic.Fault);
    }

    [Fact]
    public void Frames_that_would_find_the_ring_full_wait_on_the_cable_until_the_driver_makes_room()
    {
        using var bench = new Bench();
        var (nic, far) = (bench.Nic, bench.Far);

        // Twelve full-size broadcasts, numbered, sent at once: eight fill the ring; QEMU's model alone would drop
        // the other four (nothing in its net layer holds a frame back for the NE2000).
        const int Frames = 12;
        for (int i = 0; i < Frames; i++)
        {
            var frame = new byte[1514];
            frame.AsSpan(0, 6).Fill(0xFF);
            frame[14] = (byte)i;
            far.Send(frame);
        }
        Assert.True(SpinWait.SpinUntil(() => Current(nic) == RingStart + 1 + 8 * 6, 5000), "the ring did not fill");
        Thread.Sleep(200);
        Assert.Equal(RingStart + 1 + 8 * 6, Current(nic)); // nothing stored past the full ring, nothing overwritten
        Assert.Equal(8, nic.FramesReceived); // the other four wait on the cable

        // The driver takes frame after frame, moving BNRY: each frame that waited arrives as room is made, in order.
        var taken = new List<int>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (taken.Count < Frames && clock.ElapsedMilliseconds < 10_000)
        {
            if (TakeFrame(nic) is { } number)
                taken.Add(number);
            else
                Thread.Sleep(5);
        }
        Assert.Equal(Enumerable.Range(0, Frames), taken);
        Assert.Equal(Frames, nic.FramesReceived);
        Assert.Null(nic.Fault);
    }

    [Fact]
    public void A_ring_the_driver_never_empties_holds_the_wire_only_for_a_while_then_overflows_as_the_chip_would()
    {
        using var bench = new Bench();
        var (nic, far) = (bench.Nic, bench.Far);

        var frame = new byte[1514];
        frame.AsSpan(0, 6).Fill(0xFF);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 10; i++)
            far.Send(frame);
        Assert.True(SpinWait.SpinUntil(() => Current(nic) == RingStart + 1 + 8 * 6, 5000), "the ring did not fill");
        Assert.Equal(8, nic.FramesReceived);

        // Nobody takes a frame: after the hold the ninth goes to QEMU, which drops it, and the tenth follows at once.
        Assert.True(SpinWait.SpinUntil(() => nic.FramesReceived == 10, QemuCable.HoldMs + 5000), $"{nic.FramesReceived} frames handed over");
        Assert.InRange(clock.ElapsedMilliseconds, QemuCable.HoldMs - 50, QemuCable.HoldMs + 5000);
        Assert.Equal(RingStart + 1 + 8 * 6, Current(nic));

        // The driver empties the ring: frames wait for room again, and arrive.
        while (TakeFrame(nic) is not null)
        {
        }
        for (int i = 0; i < 10; i++)
            far.Send(frame);
        Assert.True(SpinWait.SpinUntil(() => Current(nic) == (byte)(RingStart + 1 + 8 * 6 + 8 * 6 - (RingStop - RingStart)), 5000), "frames after the ring was emptied did not fill it again");
        Thread.Sleep(200);
        Assert.Equal(18, nic.FramesReceived); // the two beyond the ring wait again
        Assert.Null(nic.Fault);
    }

    // As ei_receive: the frame at BNRY + 1 unless that is CURR, its 4-byte header and first bytes by remote DMA
    // (RDC acknowledged), then BNRY to the page before the next frame's. Returns the frame's number (byte 14).
    private static int? TakeFrame(QemuNic nic)
    {
        int boundary = Read(nic, 0x03);
        int page = boundary + 1 >= RingStop ? RingStart : boundary + 1;
        if (page == Current(nic))
            return null;
        var bytes = new byte[20];
        Write(nic, 0x0A, (byte)bytes.Length);
        Write(nic, 0x0B, 0);
        Write(nic, 0x08, 0);
        Write(nic, 0x09, (byte)page);
        Write(nic, 0x00, 0x0A);
        nic.ReadRegionRepeated(0, 0x10, 4, bytes);
        Write(nic, 0x07, 0x40);
        Write(nic, 0x00, 0x22);
        Assert.Equal(0x01, bytes[0] & 0x01); // received intact
        int next = bytes[1];
        Write(nic, 0x03, (byte)(next - 1 < RingStart ? RingStop - 1 : next - 1));
        Write(nic, 0x07, 0x01);
        return bytes[4 + 14];
    }

    // As the 8390 driver's NS8390_init: stopped, word DMA, broadcasts taken, the ring 0x4C-0x80 empty
    // (BNRY 0x4C, CURR 0x4D), every interrupt enabled, started.
    private static void Initialise(QemuNic nic)
    {
        Write(nic, 0x00, 0x21);
        Write(nic, 0x0E, 0x49);
        Write(nic, 0x0C, 0x04);
        Write(nic, 0x01, RingStart);
        Write(nic, 0x02, RingStop);
        Write(nic, 0x03, RingStart);
        Write(nic, 0x07, 0xFF);
        Write(nic, 0x00, 0x61);
        Write(nic, 0x07, RingStart + 1);
        Write(nic, 0x00, 0x21);
        Write(nic, 0x0F, 0x3F);
        Write(nic, 0x00, 0x22);
    }

    private static byte Current(QemuNic nic)
    {
        Write(nic, 0x00, 0x62);
        byte c = Read(nic, 0x07);
        Write(nic, 0x00, 0x22);
        return c;
    }

    private static void Write(QemuNic nic, ulong offset, byte value) => nic.WriteRegion(0, offset, [value]);

    private static byte Read(QemuNic nic, ulong offset)
    {
        Span<byte> b = stackalloc byte[1];
        nic.ReadRegion(0, offset, b);
        return b[0];
    }
}
