// SPDX-License-Identifier: MIT
// Tests of the shim's allocator over physical memory: the block an inner address lies in, which
// page_frag_free() needs (e1000 frees its receive fragments by data pointer, past its headroom).
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Host;

public sealed class HeapAllocatorTests : IDisposable
{
    private readonly PhysicalMemory _memory = new(1 << 20);
    private readonly HeapAllocator _heap;

    public HeapAllocatorTests() => _heap = new HeapAllocator(_memory);

    public void Dispose() => _memory.Dispose();

    [Theory]
    [InlineData(24, 8)]      // a small size class
    [InlineData(2048, 2047)] // the largest small class, at its last byte
    [InlineData(2368, 66)]   // one page: e1000's fragment for a 1522-byte buffer, data past NET_SKB_PAD + NET_IP_ALIGN
    [InlineData(9000, 8191)] // a run of pages, inside its third page
    public void InnerAddressFindsItsBlock(long size, int offset)
    {
        nint block = _heap.Allocate(size);
        nint neighbour = _heap.Allocate(size);
        Assert.Equal(block, _heap.BlockContaining(block));
        Assert.Equal(block, _heap.BlockContaining(block + offset));
        Assert.Equal(neighbour, _heap.BlockContaining(neighbour + offset));
        Assert.True(_heap.Free(block));
        Assert.Equal(0, _heap.BlockContaining(block + offset)); // freed: nothing contains it any more
    }

    [Fact]
    public void AddressOutsideEveryBlockIsNone()
    {
        Assert.Equal(0, _heap.BlockContaining(0x1000));
        Assert.Equal(0, _heap.BlockContaining(_memory.HostBase + 12345)); // nothing allocated yet
    }
}
