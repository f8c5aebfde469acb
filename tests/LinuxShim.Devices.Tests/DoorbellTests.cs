// SPDX-License-Identifier: MIT
// Test side. Doorbells over vfio-user (DEVICE_GET_REGION_IO_FDS, shadow ioeventfds in libvfio-user's
// 48-byte layout) as a client without our client library sees them: what the reply carries, that a rung
// doorbell reaches the device before a later read, that malformed requests are refused, and that the
// doorbells of a client that left ring nothing.
using System.Buffers.Binary;
using LinuxShim.Posix;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed unsafe class DoorbellTests : IDisposable
{
    private const int EINVAL = 22;
    private const int RxBufPtr = 0x38, Bar1 = 1;
    private readonly RawVfioUser peer = new();

    public void Dispose() => peer.Dispose();

    private static byte[] IoFdsRequest(uint argsz, uint index, uint count = 0, uint flags = 0)
    {
        var p = new byte[VfioUserRegionIoFds.FixedSize];
        BinaryPrimitives.WriteUInt32LittleEndian(p, argsz);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), index);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(12), count);
        return p;
    }

    private static string Link(int fd)
    {
        byte* b = stackalloc byte[128];
        nint n = Libc.ReadLink($"/proc/self/fd/{fd}", b, 128);
        return n > 0 ? System.Text.Encoding.UTF8.GetString(b, (int)n) : "?";
    }

    // The doorbells of BAR 1 (the RTL8139's memory BAR): the reply and its descriptors, kept by the peer.
    private List<VfioUserSubRegionIoFd> Doorbells(out List<int> fds)
    {
        var sizeOnly = peer.Call(1, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar1));
        Assert.False(sizeOnly.Header.IsError);
        Assert.True(VfioUserRegionIoFds.TryDecode(sizeOnly.Payload, 0, out var first, out var none, out string? why), why);
        Assert.Equal(5u, first.Count); // TSD0-3 and CAPR
        Assert.Equal((uint)(16 + 5 * 48), first.Argsz);
        Assert.True(none.IsEmpty); // too small a request: the size it needs, no sub-region, no descriptor
        peer.KeepFds = true;
        var full = peer.Call(2, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(first.Argsz, Bar1));
        Assert.False(full.Header.IsError);
        fds = [.. peer.ReplyFds];
        Assert.True(VfioUserRegionIoFds.TryDecode(full.Payload, fds.Count, out var r, out var subs, out why), why);
        Assert.Equal(5u, r.Count);
        var list = new List<VfioUserSubRegionIoFd>();
        for (int i = 0; i < r.Count; i++)
        {
            Assert.True(VfioUserSubRegionIoFd.TryDecode(subs.Slice(i * 48, 48), out var s, out why), why);
            list.Add(s);
        }
        return list;
    }

    // The CAPR doorbell of BAR 1 as a client uses it: its shadow page mapped, its eventfd, its slot's offset.
    private (SharedMemory Shadow, EventFd Bell, long Offset) CaprDoorbell()
    {
        var capr = Doorbells(out var fds).Single(s => s.Offset == RxBufPtr);
        var shadow = SharedMemory.Map(fds[(int)capr.ShadowFdIndex], 0, 4096, writable: true);
        return (shadow, new EventFd(Libc.Fcntl(fds[(int)capr.FdIndex], Libc.F_DUPFD_CLOEXEC, 0)), (long)capr.ShadowOffset);
    }

    [Fact]
    public void A_bar_s_doorbells_are_shadow_ioeventfds_with_their_descriptors()
    {
        var subs = Doorbells(out var fds);
        Assert.Equal([0x10ul, 0x14, 0x18, 0x1C, RxBufPtr], subs.Select(s => s.Offset));
        Assert.Equal([4ul, 4, 4, 4, 2], subs.Select(s => s.Size));
        Assert.All(subs, s => Assert.Equal(VfioAbi.IoFdTypeIoeventfdShadow, s.Type));
        Assert.Equal(6, fds.Count); // five eventfds and the shadow memory
        Assert.Equal([0u, 1, 2, 3, 4], subs.Select(s => s.FdIndex));
        Assert.All(subs, s => Assert.Equal(5u, s.ShadowFdIndex));
        Assert.Equal(5, subs.Select(s => s.ShadowOffset).Distinct().Count());
        Assert.All(fds.Take(5), fd => Assert.Equal("anon_inode:[eventfd]", Link(fd)));
        Assert.StartsWith("/memfd:", Link(fds[5]));
        int seals = Libc.Fcntl(fds[5], Libc.F_GET_SEALS, 0);
        Assert.True((seals & Libc.F_SEAL_SHRINK) != 0 && (seals & Libc.F_SEAL_GROW) != 0, $"shadow memory seals 0x{seals:x}");
    }

    [Fact]
    public void A_rung_doorbell_reaches_the_device_before_a_later_read_and_the_last_value_counts()
    {
        var (shadow, bell, offset) = CaprDoorbell();
        using var memory = shadow;
        using var signal = bell;
        var slot = shadow.AsSpan(offset, 2);
        BinaryPrimitives.WriteUInt16LittleEndian(slot, 0x0200);
        bell.Signal();
        BinaryPrimitives.WriteUInt16LittleEndian(slot, 0x0300); // written again before the device looked: one write, the last value
        bell.Signal();
        long before = peer.Server.Messages;
        var read = peer.Call(3, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(Bar1, RxBufPtr, 2));
        Assert.False(read.Header.IsError);
        Assert.Equal(0x0300, BinaryPrimitives.ReadUInt16LittleEndian(read.Payload.AsSpan(16)));
        Assert.Equal(before + 1, peer.Server.Messages); // the doorbell was no message
    }

    [Fact]
    public void A_doorbell_rung_with_no_message_after_it_still_reaches_the_device()
    {
        var (shadow, bell, offset) = CaprDoorbell();
        using var memory = shadow;
        using var signal = bell;
        BinaryPrimitives.WriteUInt16LittleEndian(shadow.AsSpan(offset, 2), 0x0400);
        bell.Signal();
        // The server's thread rings it once its socket has nothing more; the device's own value shows it.
        var deadline = Environment.TickCount64 + 5000;
        Span<byte> value = stackalloc byte[2];
        do
        {
            Thread.Sleep(5);
            value.Clear();
            peer.Device.ReadRegion(Bar1, RxBufPtr, value);
        }
        while (BinaryPrimitives.ReadUInt16LittleEndian(value) != 0x0400 && Environment.TickCount64 < deadline);
        Assert.Equal(0x0400, BinaryPrimitives.ReadUInt16LittleEndian(value));
    }

    [Fact]
    public void Malformed_io_fds_requests_are_refused_and_the_server_keeps_serving()
    {
        AssertRefused(peer.Call(1, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar1, count: 1)));
        AssertRefused(peer.Call(2, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar1, flags: 1)));
        AssertRefused(peer.Call(3, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, VfioAbi.RegionConfig)));
        AssertRefused(peer.Call(4, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, 5))); // no BAR 5
        AssertRefused(peer.Call(5, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar1)[..12]));
        AssertRefused(peer.Call(6, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(8, Bar1)));
        peer.AssertAlive();
        Assert.Equal(5, Doorbells(out _).Count); // and a good request still gets its answer
    }

    private static void AssertRefused((VfioUserHeader Header, byte[] Payload) reply)
    {
        Assert.True(reply.Header.IsError, "expected an error reply");
        Assert.Equal((uint)EINVAL, reply.Header.Error);
    }

    [Fact]
    public void The_doorbells_of_a_client_that_left_ring_nothing()
    {
        var (shadow, bell, offset) = CaprDoorbell();
        using var memory = shadow;
        using var signal = bell;
        peer.KeepFds = false;
        peer.Reconnect();
        BinaryPrimitives.WriteUInt16LittleEndian(shadow.AsSpan(offset, 2), 0x0500);
        bell.Signal(); // the server closed its end: nobody listens
        var read = peer.Call(7, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(Bar1, RxBufPtr, 2));
        Assert.False(read.Header.IsError);
        Assert.NotEqual(0x0500, BinaryPrimitives.ReadUInt16LittleEndian(read.Payload.AsSpan(16)));
    }
}
