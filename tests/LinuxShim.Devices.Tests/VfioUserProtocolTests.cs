// SPDX-License-Identifier: MIT
// Test side. Malformed vfio-user messages get an error reply and the server keeps serving:
// truncated payloads, bad lengths, unknown commands, out-of-range regions, bad DMA windows and
// DMA to unmapped addresses, bad SET_IRQS.
using System.Buffers.Binary;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed class VfioUserProtocolTests : IDisposable
{
    private const int EINVAL = 22, ENOSYS = 38, EEXIST = 17, ENOENT = 2, ENOTSUP = 95;
    private readonly RawVfioUser peer = new();

    public void Dispose() => peer.Dispose();

    private void AssertError(int errno, (VfioUserHeader Header, byte[] Payload) reply)
    {
        Assert.True(reply.Header.IsError, "expected an error reply");
        Assert.Equal((uint)errno, reply.Header.Error);
        Assert.Empty(reply.Payload); // an error reply is the header alone
        peer.AssertAlive();
    }

    private static byte[] Args(params uint[] words)
    {
        var p = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4 * i), words[i]);
        return p;
    }

    [Fact]
    public void Version_is_negotiated_first_and_once_as_0_x_with_a_subset_of_the_proposed_capabilities()
    {
        using var fresh = new RawVfioUser(handshake: false);
        var r = fresh.Handshake("{\"capabilities\":{\"max_data_xfer_size\":65536,\"pgsizes\":4096,\"future_thing\":[1,2]}}");
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(r.Payload));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(r.Payload.AsSpan(2)));
        Assert.Equal(0, r.Payload[^1]);
        var json = System.Text.Encoding.UTF8.GetString(r.Payload, 4, r.Payload.Length - 5);
        var caps = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("capabilities");
        Assert.Equal(1 << 20, caps.GetProperty("max_data_xfer_size").GetInt32());
        Assert.Equal(4096, caps.GetProperty("pgsizes").GetInt32());
        Assert.Equal(["max_data_xfer_size", "pgsizes"], caps.EnumerateObject().Select(c => c.Name).Order()); // nothing not proposed
        AssertError(EINVAL, fresh.Call(2, VfioUserCommand.Version, [0, 0, 1, 0])); // once only
    }

    [Theory]
    [InlineData(1, "{}", 95)] // major 1 is not what libvfio-user and QEMU speak
    [InlineData(0, "{\"capabilities\":{\"max_msg_fds\":\"many\"}}", 22)]
    [InlineData(0, "{\"capabilities\":{\"max_data_xfer_size\":-1}}", 22)]
    [InlineData(0, "{\"capabilities\":[]}", 22)]
    [InlineData(0, "not json", 22)]
    [InlineData(0, "{\"capabilities\":{\"pgsizes\":8192}}", 95)]
    public void A_bad_version_proposal_is_refused_and_the_connection_closed(int major, string json, int errno)
    {
        using var fresh = new RawVfioUser(handshake: false);
        byte[] caps = System.Text.Encoding.UTF8.GetBytes(json + "\0");
        byte[] p = new byte[4 + caps.Length];
        new VfioUserVersion((ushort)major, 0).Encode(p, caps);
        var r = fresh.Call(1, VfioUserCommand.Version, p);
        Assert.True(r.Header.IsError);
        Assert.Equal((uint)errno, r.Header.Error);
        Assert.True(fresh.ServerEnded(5000), "the server kept a connection whose VERSION it refused");
    }

    [Fact]
    public void Commands_before_version_are_refused_and_the_connection_closed()
    {
        using var fresh = new RawVfioUser(handshake: false);
        AssertErrorOnly(EINVAL, fresh.Call(1, VfioUserCommand.DeviceGetInfo, Args(16, 0, 0, 0)));
        Assert.True(fresh.ServerEnded(5000));
    }

    [Fact]
    public void A_connection_that_never_sends_version_is_dropped_after_the_handshake_time()
    {
        using var fresh = new RawVfioUser(handshake: false, new Devices.VfioUser.VfioUserServerOptions { HandshakeTimeoutMs = 300 });
        Assert.True(fresh.ServerEnded(5000), "a silent client held the server");
        Assert.Equal(1, fresh.Server.DroppedClients);
    }

    private static void AssertErrorOnly(int errno, (VfioUserHeader Header, byte[] Payload) reply)
    {
        Assert.True(reply.Header.IsError, "expected an error reply");
        Assert.Equal((uint)errno, reply.Header.Error);
    }

    [Fact]
    public void Truncated_payloads_are_refused()
    {
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.Version, [0, 0]));
        AssertError(EINVAL, peer.Call(2, VfioUserCommand.DeviceGetInfo, Args(16, 0)));
        AssertError(EINVAL, peer.Call(3, VfioUserCommand.DeviceGetRegionInfo, Args(32, 0, 0)));
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.DeviceGetIrqInfo, Args(16)));
        AssertError(EINVAL, peer.Call(5, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 4)[..12]));
        AssertError(EINVAL, peer.Call(6, VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(7, 0, 4, [1, 2])));
        AssertError(EINVAL, peer.Call(7, VfioUserCommand.DmaMap, Args(32, 3, 0, 0)));
        AssertError(EINVAL, peer.Call(8, VfioUserCommand.DmaUnmap, Args(24, 0)));
        AssertError(EINVAL, peer.Call(9, VfioUserCommand.DeviceSetIrqs, Args(20, 0x24, 0)));
        AssertError(EINVAL, peer.Call(10, VfioUserCommand.DeviceReset, [0]));
    }

    [Fact]
    public void Bad_message_sizes_get_an_error_and_the_stream_stays_in_step()
    {
        Span<byte> h = stackalloc byte[16];
        new VfioUserHeader(1, (ushort)VfioUserCommand.DeviceGetInfo, 8, 0, 0).Write(h); // below the header
        peer.SendRaw(h);
        var r = peer.Reply();
        Assert.True(r.Header.IsError);
        Assert.Equal(1, r.Header.MessageId);
        peer.AssertAlive();

        var big = new byte[(1 << 20) + 1000]; // above max_data_xfer_size: read, discarded, refused
        new VfioUserHeader(2, (ushort)VfioUserCommand.RegionWrite, (uint)big.Length, 0, 0).Write(big);
        peer.SendRaw(big);
        r = peer.Reply();
        Assert.True(r.Header.IsError);
        Assert.Equal(2, r.Header.MessageId);
        peer.AssertAlive();
    }

    [Fact]
    public void Unknown_and_unsupported_commands_get_enosys()
    {
        AssertError(ENOSYS, peer.Call(1, (VfioUserCommand)0, []));
        AssertError(ENOSYS, peer.Call(2, (VfioUserCommand)14, []));
        AssertError(ENOSYS, peer.Call(3, (VfioUserCommand)0xFFFF, [1, 2, 3]));
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.DmaRead, Args(0, 0, 0, 0))); // server to client only
        peer.Send(5, (ushort)VfioUserCommand.DeviceGetInfo, Args(16, 0, 0, 0), flags: VfioUserHeader.TypeReply);
        peer.AssertAlive(); // a "reply" to nothing the server asked is ignored
        peer.Send(6, (ushort)VfioUserCommand.DeviceGetInfo, Args(16, 0, 0, 0), flags: 7); // no such type
        var r = peer.Reply();
        Assert.True(r.Header.IsError);
        Assert.Equal(6, r.Header.MessageId);
    }

    [Fact]
    public void Out_of_range_regions_and_accesses_are_refused()
    {
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.DeviceGetRegionInfo, Args(32, 0, 9, 0, 0, 0, 0, 0)));
        AssertError(EINVAL, peer.Call(2, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(9, 0, 4)));
        AssertError(EINVAL, peer.Call(3, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(2, 0, 4))); // BAR2 absent
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, 0xFE, 4))); // past the end
        AssertError(EINVAL, peer.Call(5, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, ulong.MaxValue - 1, 4)));
        AssertError(EINVAL, peer.Call(6, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, 0xFF, 2))); // straddles the end
        AssertError(EINVAL, peer.Call(7, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 0)));
        AssertError(EINVAL, peer.Call(8, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 257)));
        AssertError(EINVAL, peer.Call(9, VfioUserCommand.DeviceGetIrqInfo, Args(16, 0, 5, 0)));

        var whole = peer.Call(10, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 256)); // all of config space
        Assert.False(whole.Header.IsError);
        Assert.Equal(16 + 256, whole.Payload.Length);
    }

    private static byte[] Repeat(int region, ulong offset, int width, int count, ReadOnlySpan<byte> data = default)
    {
        var p = new byte[VfioUserRegionRepeat.FixedSize + data.Length];
        new VfioUserRegionRepeat(offset, (ushort)region, (ushort)width, (uint)count).Encode(p);
        data.CopyTo(p.AsSpan(VfioUserRegionRepeat.FixedSize));
        return p;
    }

    [Fact]
    public void Repeated_accesses_hit_one_register_in_order_and_malformed_ones_are_refused()
    {
        // rep outsb of 1, 2, 3 into MAR0 (0x08, a plain register of the RTL8139): the last write stays.
        var w = peer.Call(1, VfioUserCommand.RegionWriteRepeat, Repeat(0, 0x08, 1, 3, [1, 2, 3]));
        Assert.False(w.Header.IsError);
        Assert.Equal(Repeat(0, 0x08, 1, 3), w.Payload); // the reply repeats the request's fixed part, no data
        peer.Call(2, VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(0, 0x0C, 4, [0xA1, 0xA2, 0xA3, 0xA4]));
        // rep insl of MAR4..7, three times: the same dword thrice, after the fixed part.
        var r = peer.Call(3, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x0C, 4, 12));
        Assert.False(r.Header.IsError);
        Assert.Equal([.. Repeat(0, 0x0C, 4, 12), 0xA1, 0xA2, 0xA3, 0xA4, 0xA1, 0xA2, 0xA3, 0xA4, 0xA1, 0xA2, 0xA3, 0xA4], r.Payload);
        var b = peer.Call(4, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x08, 1, 2));
        Assert.Equal([3, 3], b.Payload[VfioUserRegionRepeat.FixedSize..]);

        AssertError(EINVAL, peer.Call(10, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x0D, 4, 8))); // unaligned
        AssertError(EINVAL, peer.Call(11, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x0C, 4, 6))); // not whole accesses
        AssertError(EINVAL, peer.Call(12, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x0C, 3, 6))); // width 3
        AssertError(EINVAL, peer.Call(13, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x0C, 4, 0))); // nothing
        AssertError(EINVAL, peer.Call(14, VfioUserCommand.RegionReadRepeat, Repeat(7, 0, 4, 8))); // config space has no data port
        AssertError(EINVAL, peer.Call(15, VfioUserCommand.RegionReadRepeat, Repeat(2, 0, 4, 8))); // BAR2 absent
        AssertError(EINVAL, peer.Call(16, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x100, 4, 8))); // past the end
        AssertError(EINVAL, peer.Call(17, VfioUserCommand.RegionReadRepeat, Repeat(0, 0, 4, (1 << 20) + 4))); // above max_data_xfer_size
        AssertError(EINVAL, peer.Call(18, VfioUserCommand.RegionReadRepeat, Repeat(0, 0, 4, 8, [1]))); // a read carries no data
        AssertError(EINVAL, peer.Call(19, VfioUserCommand.RegionWriteRepeat, Repeat(0, 0x08, 1, 3, [1, 2]))); // data shorter than count
        AssertError(EINVAL, peer.Call(20, VfioUserCommand.RegionWriteRepeat, Repeat(0, 0x08, 1, 3, [1, 2, 3, 4]))); // longer
        AssertError(EINVAL, peer.Call(21, VfioUserCommand.RegionWriteRepeat, Repeat(0, 0x08, 1, 3, [1, 2, 3])[..10])); // truncated
        Assert.Equal([3, 3], peer.Call(22, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x08, 1, 2)).Payload[VfioUserRegionRepeat.FixedSize..]);

        // A client that did not name linuxshim_repeated_access in VERSION has no such commands.
        using var plain = new RawVfioUser(handshake: false);
        var v = plain.Handshake("{\"capabilities\":{\"max_msg_fds\":16}}");
        Assert.DoesNotContain(VfioUserCapabilities.RepeatedAccessName, System.Text.Encoding.UTF8.GetString(v.Payload));
        var refused = plain.Call(1, VfioUserCommand.RegionReadRepeat, Repeat(0, 0x0C, 4, 8));
        Assert.True(refused.Header.IsError);
        Assert.Equal((uint)ENOSYS, refused.Header.Error);
        using var named = new RawVfioUser(handshake: false);
        var yes = named.Handshake(); // names it: answered true
        Assert.Contains($"\"{VfioUserCapabilities.RepeatedAccessName}\":true", System.Text.Encoding.UTF8.GetString(yes.Payload));
    }

    [Fact]
    public void Bad_dma_windows_are_refused_and_dma_to_unmapped_addresses_fails_cleanly()
    {
        using var memory = SharedMemory.Create("proto-dma", 64 * 1024);
        byte[] Map(ulong iova, ulong size, uint flags = 3, long offset = 0)
        {
            var p = new byte[32];
            BinaryPrimitives.WriteUInt32LittleEndian(p, 32);
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), flags);
            BinaryPrimitives.WriteInt64LittleEndian(p.AsSpan(8), offset);
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(16), iova);
            BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(24), size);
            return p;
        }
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.DmaMap, Map(0x10000, 0x10000, offset: 4096))); // no descriptor, yet an offset
        AssertError(EINVAL, peer.Call(2, VfioUserCommand.DmaMap, Map(0x10001, 0x1000), [memory.Handle])); // unaligned
        AssertError(EINVAL, peer.Call(3, VfioUserCommand.DmaMap, Map(ulong.MaxValue - 0xFFF, 0x2000), [memory.Handle])); // wraps
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.DmaMap, Map(0x10000, 0x1000, flags: 0x80), [memory.Handle]));
        Assert.False(peer.Call(5, VfioUserCommand.DmaMap, Map(0x10000, 0x10000), [memory.Handle]).Header.IsError);
        AssertError(EEXIST, peer.Call(6, VfioUserCommand.DmaMap, Map(0x18000, 0x1000), [memory.Handle])); // overlaps
        Assert.Equal(1, peer.Server.DmaWindowCount);

        var unmap = new byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(unmap, 24);
        BinaryPrimitives.WriteUInt64LittleEndian(unmap.AsSpan(8), 0x10000);
        BinaryPrimitives.WriteUInt64LittleEndian(unmap.AsSpan(16), 0x8000); // not the mapped size
        AssertError(ENOENT, peer.Call(7, VfioUserCommand.DmaUnmap, unmap));

        // The device DMAs to an address nobody mapped: a transmit abort, not a server failure.
        peer.Call(8, VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(7, 4, 2, [7, 0]));
        peer.Call(9, VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(0, 0x37, 1, [0x0C]));
        peer.Call(10, VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(0, 0x20, 4, [0, 0, 0, 0x40]));
        peer.Call(11, VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(0, 0x10, 4, [60, 0, 0, 0]));
        var tsd = peer.Call(12, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, 0x10, 4));
        Assert.Equal(0x40002000u, BinaryPrimitives.ReadUInt32LittleEndian(tsd.Payload.AsSpan(16)) & 0x40002000);
        Assert.True(peer.Device.DmaFaults > 0);

        BinaryPrimitives.WriteUInt64LittleEndian(unmap.AsSpan(16), 0x10000);
        var ok = peer.Call(13, VfioUserCommand.DmaUnmap, unmap);
        Assert.False(ok.Header.IsError);
        Assert.Equal(unmap, ok.Payload);
        Assert.Equal(0, peer.Server.DmaWindowCount);
        Assert.Equal(0, peer.Server.InternalErrors);
        Assert.Equal(0, peer.Device.FaultCount);
    }

    [Fact]
    public void Bad_set_irqs_requests_are_refused()
    {
        const uint EventFdTrigger = 0x24, NoneUnmask = 0x11, NoneTrigger = 0x21;
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.DeviceSetIrqs, Args(20, 0x26, 0, 0, 1))); // two data types
        AssertError(EINVAL, peer.Call(2, VfioUserCommand.DeviceSetIrqs, Args(20, 0x30, 0, 0, 1))); // two actions
        AssertError(EINVAL, peer.Call(3, VfioUserCommand.DeviceSetIrqs, Args(20, EventFdTrigger, 7, 0, 1))); // no index 7
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.DeviceSetIrqs, Args(20, EventFdTrigger, 0, 1, 1))); // INTx has one vector
        AssertError(EINVAL, peer.Call(5, VfioUserCommand.DeviceSetIrqs, Args(20, NoneUnmask, 1, 1, 1))); // MSI has one vector
        AssertError(EINVAL, peer.Call(6, VfioUserCommand.DeviceSetIrqs, Args(24, NoneTrigger, 0, 0, 1, 0))); // stray data
        AssertError(EINVAL, peer.Call(7, VfioUserCommand.DeviceSetIrqs, Args(99, NoneTrigger, 0, 0, 1))); // argsz lies
        using var a = new EventFd();
        using var b = new EventFd();
        AssertError(EINVAL, peer.Call(8, VfioUserCommand.DeviceSetIrqs, Args(20, EventFdTrigger, 0, 0, 1), [a.Handle, b.Handle]));

        Assert.False(peer.Call(9, VfioUserCommand.DeviceSetIrqs, Args(20, EventFdTrigger, 0, 0, 1), [a.Handle]).Header.IsError);
        Assert.False(peer.Call(10, VfioUserCommand.DeviceSetIrqs, Args(20, NoneTrigger, 0, 0, 1)).Header.IsError);
        Assert.Equal(1ul, a.Wait(1000)); // the client triggered INTx itself
    }

    [Fact]
    public void No_reply_commands_are_not_answered_but_are_executed()
    {
        peer.Send(1, (ushort)VfioUserCommand.RegionWrite, RawVfioUser.RegionAccess(7, 0x3C, 1, [0x0B]), VfioUserHeader.NoReply);
        peer.Send(2, 0x7777, [], VfioUserHeader.NoReply); // unknown, silent
        var r = peer.Call(3, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0x3C, 1));
        Assert.Equal(0x0B, r.Payload[16]);
    }

    [Fact]
    public void A_client_that_goes_away_loses_its_dma_windows_and_the_next_one_is_served()
    {
        using var memory = SharedMemory.Create("proto-dma", 4096);
        var p = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(p, 32);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(24), 4096);
        Assert.False(peer.Call(1, VfioUserCommand.DmaMap, p, [memory.Handle]).Header.IsError);
        Assert.Equal(1, peer.Server.DmaWindowCount);
        peer.Reconnect();
        Assert.Equal(0, peer.Server.DmaWindowCount);
        peer.AssertAlive();
    }
}
