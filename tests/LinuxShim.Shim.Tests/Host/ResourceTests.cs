// SPDX-License-Identifier: MIT
// Tests of the shim's resource regions (kernel/resource.c): claims inside the space, refused overlaps,
// and releases that must name exactly the claim. shimtest.c checks the same through request_region().
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Host;

public sealed class ResourceTests
{
    private readonly RegionMap _ports = new(0, 0xffff);

    [Theory]
    [InlineData(0xc000, 0x20, false)]  // the same range again
    [InlineData(0xc01f, 1, false)]     // the last port of that claim
    [InlineData(0xbff0, 0x11, false)]  // ends on its first port
    [InlineData(0xc020, 0x20, true)]   // right after it
    [InlineData(0xbfe0, 0x20, true)]   // right before it
    [InlineData(0xfff0, 0x20, false)]  // beyond IO_SPACE_LIMIT
    [InlineData(0x100, 0, false)]      // empty
    public void ClaimNextToAClaimedRange(ulong start, ulong n, bool granted)
    {
        Assert.True(_ports.Claim(0xc000, 0x20));
        Assert.Equal(granted, _ports.Claim(start, n));
        Assert.Equal(granted ? 2 : 1, _ports.Count);
    }

    [Fact]
    public void ReleaseMustNameTheClaimExactly()
    {
        Assert.True(_ports.Claim(0xc000, 0x20));
        Assert.False(_ports.Release(0xc000, 0x10)); // part of it: Linux's "nonexistent resource"
        Assert.False(_ports.Release(0xc010, 0x10));
        Assert.False(_ports.Claim(0xc000, 0x20));
        Assert.True(_ports.Release(0xc000, 0x20));
        Assert.False(_ports.Release(0xc000, 0x20)); // already released
        Assert.True(_ports.Claim(0xc010, 0x20));    // free again
    }

    [Fact]
    public void MemorySpaceReachesTheTopOfTheAddressSpace()
    {
        var memory = new RegionMap(0, ulong.MaxValue);
        Assert.True(memory.Claim(ulong.MaxValue - 0xfff, 0x1000));
        Assert.False(memory.Claim(ulong.MaxValue, 2)); // wraps around
    }
}
