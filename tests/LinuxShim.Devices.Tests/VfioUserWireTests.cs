// SPDX-License-Identifier: MIT
// Test side. The vfio-user decoders generated from vfio-user/vfio-user.wire.json: what each accepts
// and refuses, and that each error names the message part and field, so that a refusal can be
// traced to the byte that caused it.
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed class VfioUserWireTests
{
    [Fact]
    public void Encoded_parts_decode_to_themselves()
    {
        var map = new VfioUserDmaMap(VfioUserDmaMap.FixedSize, 3, 0x1000, 0xFFFF_F000, 0x2000);
        var p = new byte[VfioUserDmaMap.FixedSize];
        Assert.Equal(32, map.Encode(p));
        Assert.True(VfioUserDmaMap.TryDecode(p, 1, out var back, out string? error), error);
        Assert.Equal(map, back);

        var data = new byte[] { 1, 2, 3 };
        var w = new byte[VfioUserRegionData.FixedSize + 3];
        new VfioUserRegionData(0x10, 7, 3).Encode(w, data);
        Assert.True(VfioUserRegionData.TryDecode(w, 0, out var rd, out var tail, out error), error);
        Assert.Equal((0x10UL, 7U, 3U), (rd.Offset, rd.Region, rd.Count));
        Assert.Equal(data, tail.ToArray());
    }

    [Theory]
    [InlineData(16u, 3u, 1u, 0, "DMA_MAP.argsz: 16, but the payload is 32 bytes")]
    [InlineData(32u, 4u, 1u, 0, "DMA_MAP.flags: 0x4 has bits outside 0x3")]
    [InlineData(32u, 3u, 0u, 0, "DMA_MAP.size: 0 is below 1")]
    [InlineData(32u, 3u, 1u, 2, "DMA_MAP: 2 descriptors, expected 0 to 1")]
    public void Dma_map_errors_name_the_field(uint argsz, uint flags, ulong size, int fds, string expected)
    {
        var p = new byte[VfioUserDmaMap.FixedSize];
        new VfioUserDmaMap(argsz, flags, 0, 0x1000, size).Encode(p);
        Assert.False(VfioUserDmaMap.TryDecode(p, fds, out _, out string? error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Sizes_tails_and_headers_are_checked()
    {
        string? error;
        Assert.False(VfioUserDmaMap.TryDecode(new byte[31], 0, out _, out error));
        Assert.Equal("DMA_MAP: payload of 31 bytes, expected 32", error);

        var w = new byte[VfioUserRegionData.FixedSize + 2];
        new VfioUserRegionData(0, 0, 4).Encode(w);
        Assert.False(VfioUserRegionData.TryDecode(w, 0, out _, out _, out error));
        Assert.Equal("REGION_READ/WRITE data.data: 2 bytes, but count says 4", error);

        var h = new byte[16];
        new VfioUserHeader(1, 2, 15, 0, 0).Encode(h);
        Assert.False(VfioUserHeader.TryDecode(h, out _, out error));
        Assert.Equal("header.message_size: 15 is below 16", error);
        new VfioUserHeader(1, 2, 16, 0x40, 0).Encode(h);
        Assert.False(VfioUserHeader.TryDecode(h, out _, out error));
        Assert.Equal("header.flags: 0x40 has bits outside 0x3f", error);
        Assert.Equal(1, VfioUserHeader.ReadUnchecked(h).MessageId); // enough to address an error reply

        var v = new byte[VfioUserVersion.FixedSize + VfioUserVersion.MaxTail + 1];
        Assert.False(VfioUserVersion.TryDecode(v, 0, out _, out _, out error));
        Assert.Equal("VERSION.json: 4097 bytes, at most 4096", error);
    }
}
