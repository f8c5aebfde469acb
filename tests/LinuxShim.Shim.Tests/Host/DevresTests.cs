// SPDX-License-Identifier: MIT
// Tests of the shim's managed device resources (drivers/base/devres.c) and of the block alignment
// of its DMA pools (mm/dmapool.c): what tulip and e100 rely on when their probe fails or they go.
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Host;

public sealed class DevresTests
{
    [Fact]
    public void ReleasesRunLastFirstAndOnlyOnce()
    {
        nint dev = 0x1000 + Random.Shared.Next(1, 1 << 20) * 16, other = dev + 8;
        var order = new List<int>();
        Devres.Add(dev, () => order.Add(1));
        Devres.Add(dev, () => order.Add(2));
        Devres.Add(other, () => order.Add(9));
        Devres.Add(dev, () => order.Add(3));
        Assert.Equal(3, Devres.Count(dev));
        Devres.ReleaseAll(dev);
        Assert.Equal(new[] { 3, 2, 1 }, order);
        Assert.Equal(0, Devres.Count(dev));
        Devres.ReleaseAll(dev); // detached already: nothing left to run
        Assert.Equal(new[] { 3, 2, 1 }, order);
        Assert.Equal(1, Devres.Count(other)); // another device's resources stay
        Devres.ReleaseAll(other);
        Assert.Equal(new[] { 3, 2, 1, 9 }, order);
    }

    [Theory]
    [InlineData(64, 8, 0, 8)]       // no boundary: the requested alignment
    [InlineData(24, 1, 0, 8)]       // at least a word
    [InlineData(48, 16, 4096, 64)]  // a block aligned to its rounded size never crosses 4 KiB
    [InlineData(4096, 32, 4096, 4096)]
    [InlineData(100, 3, 0, 0)]      // alignment not a power of two: refused
    [InlineData(8192, 8, 4096, 0)]  // a block larger than its boundary: refused
    [InlineData(0, 8, 0, 0)]        // empty blocks: refused
    public void PoolBlocksNeverCrossTheirBoundary(ulong size, ulong align, ulong boundary, ulong expected)
    {
        ulong alignment = DmaPool.Alignment(size, align, boundary);
        Assert.Equal(expected, alignment);
        if (alignment != 0 && boundary != 0)
            for (ulong start = 0; start < 4 * boundary; start += alignment)
                Assert.Equal(start / boundary, (start + size - 1) / boundary);
    }
}
