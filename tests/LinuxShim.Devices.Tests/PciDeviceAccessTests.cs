// SPDX-License-Identifier: MIT
// Test side. How PciDevice splits region accesses of any size and offset into the naturally aligned
// 1/2/4-byte register accesses models see, and configuration space accesses of any size.
using LinuxShim.Devices.Pci;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed class PciDeviceAccessTests
{
    /// <summary>A function with a 2 MiB memory BAR whose byte at offset a reads (a * 7 + 3), recording every access.</summary>
    private sealed class RecordingDevice : PciDevice
    {
        public const uint BarSize = 2 << 20;

        public RecordingDevice()
            : base(new PciIdentity(0x1234, 0x5678, 1, 0xFF0000, 0x1234, 0x5678), new PciBar(BarSize, IsIo: false))
        {
        }

        public List<(ulong Offset, int Size)> Reads { get; } = [];

        public List<(ulong Offset, int Size, uint Value)> Writes { get; } = [];

        public static byte Pattern(ulong at) => (byte)(at * 7 + 3);

        protected override uint ReadBar(int bar, ulong offset, int size)
        {
            Reads.Add((offset, size));
            uint v = 0;
            for (int b = 0; b < size; b++)
                v |= (uint)Pattern(offset + (ulong)b) << (8 * b);
            return v;
        }

        protected override void WriteBar(int bar, ulong offset, int size, uint value) => Writes.Add((offset, size, value));

        protected override void ResetDevice()
        {
        }

        protected override bool InterruptPending => false;
    }

    [Theory]
    [InlineData(0, 1, "0:1")]
    [InlineData(0, 2, "0:2")]
    [InlineData(0, 4, "0:4")]
    [InlineData(0, 8, "0:4 4:4")]
    [InlineData(1, 3, "1:1 2:2")]
    [InlineData(2, 4, "2:2 4:2")]
    [InlineData(3, 2, "3:1 4:1")]
    [InlineData(1, 8, "1:1 2:2 4:4 8:1")]
    [InlineData(6, 7, "6:2 8:4 12:1")]
    [InlineData(0x10, 16, "16:4 20:4 24:4 28:4")]
    [InlineData(RecordingDevice.BarSize - 3, 3, "2097149:1 2097150:2")]
    public void Accesses_are_split_into_naturally_aligned_register_accesses(uint offset, int length, string expected)
    {
        var device = new RecordingDevice();
        var data = new byte[length];
        device.ReadRegion(0, offset, data);
        Assert.Equal(expected, string.Join(' ', device.Reads.Select(a => $"{a.Offset}:{a.Size}")));
        for (int i = 0; i < length; i++)
            Assert.Equal(RecordingDevice.Pattern(offset + (ulong)i), data[i]);

        var written = Enumerable.Range(0, length).Select(i => (byte)(0xA0 + i)).ToArray();
        device.WriteRegion(0, offset, written);
        Assert.Equal(expected, string.Join(' ', device.Writes.Select(a => $"{a.Offset}:{a.Size}")));
        foreach (var (at, size, value) in device.Writes)
        {
            for (int b = 0; b < size; b++)
                Assert.Equal(written[(int)(at - offset) + b], (byte)(value >> (8 * b))); // little-endian, each byte once
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(0x12345)]
    public void A_1_MiB_access_is_covered_by_aligned_accesses_in_order(uint offset)
    {
        var device = new RecordingDevice();
        var data = new byte[1 << 20];
        device.ReadRegion(0, offset, data);
        ulong next = offset;
        foreach (var (at, size) in device.Reads)
        {
            Assert.Equal(next, at);
            Assert.Contains(size, new[] { 1, 2, 4 });
            Assert.Equal(0ul, at % (ulong)size);
            next += (ulong)size;
        }
        Assert.Equal(offset + (1ul << 20), next);
        Assert.True(device.Reads.Count(a => a.Size != 4) <= 4); // only the ragged ends are narrower
        for (int i = 0; i < data.Length; i += 4093)
            Assert.Equal(RecordingDevice.Pattern(offset + (ulong)i), data[i]);
    }

    [Fact]
    public void Bytes_outside_the_bar_read_as_ones_and_are_not_written()
    {
        var device = new RecordingDevice();
        var data = new byte[4];
        device.ReadRegion(0, RecordingDevice.BarSize - 2, data);
        Assert.Equal([RecordingDevice.Pattern(RecordingDevice.BarSize - 2), RecordingDevice.Pattern(RecordingDevice.BarSize - 1), 0xFF, 0xFF], data);
        device.ReadRegion(0, ulong.MaxValue - 1, data);
        device.ReadRegion(3, 0, data); // no BAR 3
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], data);
        Assert.Single(device.Reads);
        device.WriteRegion(0, RecordingDevice.BarSize - 2, [1, 2, 3, 4]);
        device.WriteRegion(3, 0, [1, 2, 3, 4]);
        Assert.Equal((RecordingDevice.BarSize - 2ul, 2, 0x0201u), Assert.Single(device.Writes));
    }

    [Fact]
    public void Configuration_space_takes_accesses_of_any_size()
    {
        var device = new RecordingDevice();
        var whole = new byte[256];
        device.ReadRegion(VfioAbi.RegionConfig, 0, whole);
        var one = new byte[1];
        for (int i = 0; i < 256; i++)
        {
            device.ReadRegion(VfioAbi.RegionConfig, (ulong)i, one);
            Assert.Equal(whole[i], one[0]);
        }
        var three = new byte[3];
        device.ReadRegion(VfioAbi.RegionConfig, 1, three);
        Assert.Equal([0x12, 0x78, 0x56], three); // vendor high byte, device id

        // 0x3B..0x3F in one write: only the interrupt line (0x3C) is writable
        device.WriteRegion(VfioAbi.RegionConfig, 0x3B, [0x11, 0x22, 0x33, 0x44, 0x55]);
        var after = new byte[5];
        device.ReadRegion(VfioAbi.RegionConfig, 0x3B, after);
        Assert.Equal([whole[0x3B], 0x22, whole[0x3D], whole[0x3E], whole[0x3F]], after);

        // BAR sizing written a byte at a time and read back as three bytes at an odd offset
        for (int i = 0; i < 4; i++)
            device.WriteRegion(VfioAbi.RegionConfig, 0x10 + (ulong)i, [0xFF]);
        device.ReadRegion(VfioAbi.RegionConfig, 0x11, three);
        Assert.Equal([0x00, 0xE0, 0xFF], three); // 2 MiB: address bits 21-31

        // the tail past the 256-byte space reads as ones and writes nowhere
        var tail = new byte[4];
        device.ReadRegion(VfioAbi.RegionConfig, 254, tail);
        Assert.Equal([whole[254], whole[255], 0xFF, 0xFF], tail);
        device.WriteRegion(VfioAbi.RegionConfig, ulong.MaxValue, [1, 2]);
        device.ReadRegion(VfioAbi.RegionConfig, 0, whole.AsSpan(0, 2));
        Assert.Equal([0x34, 0x12], whole[..2]);
    }
}
