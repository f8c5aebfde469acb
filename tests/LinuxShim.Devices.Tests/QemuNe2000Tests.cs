// SPDX-License-Identifier: MIT
// Test side. QEMU's NE2000 (ne2k_pci) served by LinuxShim (issue 16). The ring watch: a driver that
// acknowledges PRX while its receive ring still holds frames keeps hearing of them (PRX reads set, the
// line is raised), as the 8390 would tell it through the frames that follow or its overwrite warning;
// QEMU's model alone drops every frame once the ring is full and says nothing, and receive stops for
// good. Needs qemu-system-x86 (CI installs it).
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

    [Fact]
    public void Frames_left_in_the_ring_when_the_driver_acknowledges_them_keep_it_told_until_it_takes_them()
    {
        using var nic = new QemuNic("ne2k_pci", MacAddress.Parse("52:54:00:ab:cd:ef"), _ => { });
        var line = new Line();
        nic.Attach(line);
        var (nicEnd, far) = InProcessWire.CreatePair();
        using var _n = nicEnd;
        using var _f = far;
        nic.Connect(nicEnd);
        Initialise(nic);

        // Twelve full-size broadcasts: eight fill the ring (six pages each), QEMU drops the rest.
        var frame = new byte[1514];
        frame.AsSpan(0, 6).Fill(0xFF);
        for (int i = 0; i < 12; i++)
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
