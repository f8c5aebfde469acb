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
    private const int Rdt = 0x2818, Tdt = 0x3818, Bar0 = 0;
    private readonly RawVfioUser peer = new(device: new LinuxShim.Devices.E1000.Intel82540EmNic(MacAddress.Default));

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

    // The doorbells of BAR 0 (the 82540EM's registers): the reply and its descriptors, kept by the peer.
    private List<VfioUserSubRegionIoFd> Doorbells(out List<int> fds)
    {
        var sizeOnly = peer.Call(1, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar0));
        Assert.False(sizeOnly.Header.IsError);
        Assert.True(VfioUserRegionIoFds.TryDecode(sizeOnly.Payload, 0, out var first, out var none, out string? why), why);
        Assert.Equal(2u, first.Count); // the ring tails
        Assert.Equal((uint)(16 + 2 * 48), first.Argsz);
        Assert.True(none.IsEmpty); // too small a request: the size it needs, no sub-region, no descriptor
        peer.KeepFds = true;
        var full = peer.Call(2, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(first.Argsz, Bar0));
        Assert.False(full.Header.IsError);
        fds = [.. peer.ReplyFds];
        Assert.True(VfioUserRegionIoFds.TryDecode(full.Payload, fds.Count, out var r, out var subs, out why), why);
        Assert.Equal(2u, r.Count);
        var list = new List<VfioUserSubRegionIoFd>();
        for (int i = 0; i < r.Count; i++)
        {
            Assert.True(VfioUserSubRegionIoFd.TryDecode(subs.Slice(i * 48, 48), out var s, out why), why);
            list.Add(s);
        }
        return list;
    }

    // The receive tail's doorbell as a client uses it: its shadow page mapped, its eventfd, its slot's offset.
    private (SharedMemory Shadow, EventFd Bell, long Offset) RdtDoorbell()
    {
        var rdt = Doorbells(out var fds).Single(s => s.Offset == Rdt);
        var shadow = SharedMemory.Map(fds[(int)rdt.ShadowFdIndex], 0, 4096, writable: true);
        return (shadow, new EventFd(Libc.Fcntl(fds[(int)rdt.FdIndex], Libc.F_DUPFD_CLOEXEC, 0)), (long)rdt.ShadowOffset);
    }

    [Fact]
    public void A_bar_s_doorbells_are_shadow_ioeventfds_with_their_descriptors()
    {
        var subs = Doorbells(out var fds);
        Assert.Equal([(ulong)Tdt, Rdt], subs.Select(s => s.Offset));
        Assert.Equal([4ul, 4], subs.Select(s => s.Size));
        Assert.All(subs, s => Assert.Equal(VfioAbi.IoFdTypeIoeventfdShadow, s.Type));
        Assert.Equal(3, fds.Count); // two eventfds and the shadow memory
        Assert.Equal([0u, 1], subs.Select(s => s.FdIndex));
        Assert.All(subs, s => Assert.Equal(2u, s.ShadowFdIndex));
        Assert.Equal(2, subs.Select(s => s.ShadowOffset).Distinct().Count());
        Assert.All(fds.Take(2), fd => Assert.Equal("anon_inode:[eventfd]", Link(fd)));
        Assert.StartsWith("/memfd:", Link(fds[2]));
        int seals = Libc.Fcntl(fds[2], Libc.F_GET_SEALS, 0);
        Assert.True((seals & Libc.F_SEAL_SHRINK) != 0 && (seals & Libc.F_SEAL_GROW) != 0, $"shadow memory seals 0x{seals:x}");
    }

    [Fact]
    public void A_rung_doorbell_reaches_the_device_before_a_later_read_and_the_last_value_counts()
    {
        var (shadow, bell, offset) = RdtDoorbell();
        using var memory = shadow;
        using var signal = bell;
        var slot = shadow.AsSpan(offset, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(slot, 0x0200);
        bell.Signal();
        BinaryPrimitives.WriteUInt32LittleEndian(slot, 0x0300); // written again before the device looked: one write, the last value
        bell.Signal();
        long before = peer.Server.Messages;
        var read = peer.Call(3, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(Bar0, Rdt, 4));
        Assert.False(read.Header.IsError);
        Assert.Equal(0x0300u, BinaryPrimitives.ReadUInt32LittleEndian(read.Payload.AsSpan(16)));
        Assert.Equal(before + 1, peer.Server.Messages); // the doorbell was no message
    }

    [Fact]
    public void A_doorbell_rung_with_no_message_after_it_still_reaches_the_device()
    {
        var (shadow, bell, offset) = RdtDoorbell();
        using var memory = shadow;
        using var signal = bell;
        BinaryPrimitives.WriteUInt32LittleEndian(shadow.AsSpan(offset, 4), 0x0400);
        bell.Signal();
        // The server's thread rings it once its socket has nothing more; the device's own value shows it.
        var deadline = Environment.TickCount64 + 5000;
        Span<byte> value = stackalloc byte[4];
        do
        {
            Thread.Sleep(5);
            value.Clear();
            peer.Device.ReadRegion(Bar0, Rdt, value);
        }
        while (BinaryPrimitives.ReadUInt32LittleEndian(value) != 0x0400 && Environment.TickCount64 < deadline);
        Assert.Equal(0x0400u, BinaryPrimitives.ReadUInt32LittleEndian(value));
    }

    [Fact]
    public void Malformed_io_fds_requests_are_refused_and_the_server_keeps_serving()
    {
        AssertRefused(peer.Call(1, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar0, count: 1)));
        AssertRefused(peer.Call(2, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar0, flags: 1)));
        AssertRefused(peer.Call(3, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, VfioAbi.RegionConfig)));
        AssertRefused(peer.Call(4, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, 5))); // no BAR 5
        AssertRefused(peer.Call(5, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(16, Bar0)[..12]));
        AssertRefused(peer.Call(6, VfioUserCommand.DeviceGetRegionIoFds, IoFdsRequest(8, Bar0)));
        peer.AssertAlive();
        Assert.Equal(2, Doorbells(out _).Count); // and a good request still gets its answer
    }

    private static void AssertRefused((VfioUserHeader Header, byte[] Payload) reply)
    {
        Assert.True(reply.Header.IsError, "expected an error reply");
        Assert.Equal((uint)EINVAL, reply.Header.Error);
    }

    [Fact]
    public void The_doorbells_of_a_client_that_left_ring_nothing()
    {
        var (shadow, bell, offset) = RdtDoorbell();
        using var memory = shadow;
        using var signal = bell;
        peer.KeepFds = false;
        peer.Reconnect();
        BinaryPrimitives.WriteUInt32LittleEndian(shadow.AsSpan(offset, 4), 0x0500);
        bell.Signal(); // the server closed its end: nobody listens
        var read = peer.Call(7, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(Bar0, Rdt, 4));
        Assert.False(read.Header.IsError);
        Assert.NotEqual(0x0500u, BinaryPrimitives.ReadUInt32LittleEndian(read.Payload.AsSpan(16)));
    }
}
