// SPDX-License-Identifier: MIT
// Test side. Malformed vfio-user messages get an error reply and the server keeps serving:
// truncated payloads, bad lengths, unknown commands, out-of-range regions, bad DMA windows and
// DMA to unmapped addresses, bad SET_IRQS.
using System.Buffers.Binary;
using LinuxShim.Shim.Vfio;

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
    public void Version_negotiation_answers_0_1_with_capabilities()
    {
        var r = peer.Call(1, VfioUserCommand.Version, [0, 0, 1, 0, (byte)'{', (byte)'}', 0]);
        Assert.False(r.Header.IsError);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(r.Payload));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(r.Payload.AsSpan(2)));
        var json = System.Text.Encoding.UTF8.GetString(r.Payload, 4, r.Payload.Length - 5);
        var caps = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("capabilities");
        Assert.Equal(1 << 20, caps.GetProperty("max_data_xfer_size").GetInt32());
        Assert.Equal(0, r.Payload[^1]);
        AssertError(ENOTSUP, peer.Call(2, VfioUserCommand.Version, [2, 0, 0, 0]));
    }

    [Fact]
    public void Truncated_payloads_are_refused()
    {
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.Version, [1, 0]));
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
        AssertError(ENOSYS, peer.Call(4, VfioUserCommand.DmaRead, Args(0, 0, 0, 0)));
        peer.Send(5, (ushort)VfioUserCommand.DeviceGetInfo, Args(16, 0, 0, 0), flags: VfioUserHeader.TypeReply);
        var r = peer.Reply();
        Assert.True(r.Header.IsError); // a "reply" sent to the server is not a command
        peer.AssertAlive();
    }

    [Fact]
    public void Out_of_range_regions_and_accesses_are_refused()
    {
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.DeviceGetRegionInfo, Args(32, 0, 9, 0, 0, 0, 0, 0)));
        AssertError(EINVAL, peer.Call(2, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(9, 0, 4)));
        AssertError(EINVAL, peer.Call(3, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(2, 0, 4))); // BAR2 absent
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, 0xFE, 4))); // past the end
        AssertError(EINVAL, peer.Call(5, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, ulong.MaxValue - 1, 4)));
        AssertError(EINVAL, peer.Call(6, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(0, 0, 3))); // odd size on a BAR
        AssertError(EINVAL, peer.Call(7, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 0)));
        AssertError(EINVAL, peer.Call(8, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 257)));
        AssertError(EINVAL, peer.Call(9, VfioUserCommand.DeviceGetIrqInfo, Args(16, 0, 5, 0)));

        var whole = peer.Call(10, VfioUserCommand.RegionRead, RawVfioUser.RegionAccess(7, 0, 256)); // all of config space
        Assert.False(whole.Header.IsError);
        Assert.Equal(16 + 256, whole.Payload.Length);
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
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.DmaMap, Map(0x10000, 0x10000))); // no descriptor
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
    }

    [Fact]
    public void Bad_set_irqs_requests_are_refused()
    {
        const uint EventFdTrigger = 0x24, NoneUnmask = 0x11, NoneTrigger = 0x21;
        AssertError(EINVAL, peer.Call(1, VfioUserCommand.DeviceSetIrqs, Args(20, 0x26, 0, 0, 1))); // two data types
        AssertError(EINVAL, peer.Call(2, VfioUserCommand.DeviceSetIrqs, Args(20, 0x0C, 0, 0, 1))); // eventfd + mask
        AssertError(EINVAL, peer.Call(3, VfioUserCommand.DeviceSetIrqs, Args(20, EventFdTrigger, 7, 0, 1))); // no index 7
        AssertError(EINVAL, peer.Call(4, VfioUserCommand.DeviceSetIrqs, Args(20, EventFdTrigger, 0, 1, 1))); // INTx has one vector
        AssertError(EINVAL, peer.Call(5, VfioUserCommand.DeviceSetIrqs, Args(20, NoneUnmask, 1, 0, 1))); // MSI is not maskable
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
