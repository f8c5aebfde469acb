// SPDX-License-Identifier: MIT
// Test side. Fuzzes the vfio-user server with well-framed random and mutated messages (every one
// must be answered, in order, and none may make a device model throw), then with raw garbage
// streams on fresh connections (each must end promptly, and the next client must be served).
using System.Buffers.Binary;
using System.Diagnostics;
using LinuxShim.Shim.Vfio;
using Xunit.Abstractions;

namespace LinuxShim.Devices.Tests;

public sealed class VfioUserFuzzTests(ITestOutputHelper output)
{
    private const int FramedMessages = 100_000;
    private const int GarbageStreams = 300;

    private static byte[] Words(params uint[] words)
    {
        var p = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4 * i), words[i]);
        return p;
    }

    /// <summary>A valid request of a random kind, as (command, payload).</summary>
    private static (ushort, byte[]) ValidRequest(Random rng)
    {
        int region = rng.Next(10) switch { < 4 => 0, < 6 => 1, < 9 => 7, _ => rng.Next(9) };
        const int regionSize = 256; // config space and both RTL8139 BARs
        int[] sizes = [1, 2, 4, 8];
        int count = region == 7 ? rng.Next(1, 9) : sizes[rng.Next(4)];
        ulong offset = (ulong)rng.Next(regionSize - count + 1);
        switch (rng.Next(11))
        {
            case 0:
                return (1, [1, 0, 0, 0, .. "{\"capabilities\":{}}"u8, 0]);
            case 1:
                return (4, Words(16, 0, 0, 0));
            case 2:
                return (5, Words(32, 0, (uint)rng.Next(10), 0, 0, 0, 0, 0));
            case 3:
                return (7, Words(16, 0, (uint)rng.Next(6), 0));
            case 4:
                uint[] flags = [0x21, 0x11, 0x09, 0x22, 0x24];
                return (8, Words(20, flags[rng.Next(flags.Length)], (uint)rng.Next(3), 0, 1));
            case 5 or 6:
                return (9, RawVfioUser.RegionAccess(region, offset, count));
            case 7 or 8:
                var data = new byte[count];
                rng.NextBytes(data);
                return (10, RawVfioUser.RegionAccess(region, offset, count, data));
            case 9:
                var map = Words(32, 3, 0, 0, (uint)rng.Next(16) << 12, 0, 0x1000, 0);
                return (rng.Next(2) == 0 ? (ushort)2 : (ushort)3, rng.Next(2) == 0 ? map : map[..24]);
            default:
                return (13, []);
        }
    }

    private static byte[] Mutate(Random rng, byte[] payload)
    {
        var p = new List<byte>(payload);
        int edits = rng.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            switch (rng.Next(6))
            {
                case 0 when p.Count > 0:
                    int i = rng.Next(p.Count);
                    p[i] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when p.Count > 0:
                    int from = rng.Next(p.Count);
                    p.RemoveRange(from, Math.Min(rng.Next(1, 9), p.Count - from)); // cut a piece out
                    break;
                case 2:
                    var extra = new byte[rng.Next(1, 16)];
                    rng.NextBytes(extra);
                    p.AddRange(extra);
                    break;
                case 3 when p.Count >= 4:
                    uint[] boundary = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x100, 0xFFF];
                    int at = rng.Next(p.Count - 3);
                    uint v = boundary[rng.Next(boundary.Length)];
                    for (int b = 0; b < 4; b++)
                        p[at + b] = (byte)(v >> (8 * b));
                    break;
                case 4 when p.Count > 0:
                    int cut = rng.Next(p.Count);
                    p.RemoveRange(cut, p.Count - cut); // truncate
                    break;
                default:
                    if (p.Count > 0)
                        p.RemoveAt(p.Count - 1);
                    break;
            }
        }
        return [.. p];
    }

    [Fact]
    public void Random_and_mutated_messages_never_crash_or_hang_the_server()
    {
        int seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        using var peer = new RawVfioUser();
        using var memory = SharedMemory.Create("fuzz-dma", 64 * 1024);
        using var eventFd = new EventFd();
        var clock = Stopwatch.StartNew();
        int errors = 0;
        for (int n = 0; n < FramedMessages; n++)
        {
            ushort id = (ushort)n;
            ushort command;
            byte[] payload;
            int kind = rng.Next(10);
            if (kind < 3)
            {
                command = (ushort)(rng.Next(8) == 0 ? rng.Next(65536) : rng.Next(20));
                payload = new byte[rng.Next(8) == 0 ? rng.Next(600) : rng.Next(48)];
                rng.NextBytes(payload);
            }
            else
            {
                (command, payload) = ValidRequest(rng);
                if (kind < 8)
                    payload = Mutate(rng, payload);
            }
            int[] fds = rng.Next(12) switch
            {
                0 => [memory.Handle],
                1 => [eventFd.Handle],
                2 => [memory.Handle, eventFd.Handle],
                _ => [],
            };
            uint flags = rng.Next(40) == 0 ? VfioUserHeader.NoReply : rng.Next(200) == 0 ? (uint)rng.Next(16) : 0;
            peer.Send(id, command, payload, flags, fds);
            if ((flags & VfioUserHeader.NoReply) != 0 && (flags & VfioUserHeader.TypeMask) == 0)
                continue;
            if ((flags & VfioUserHeader.TypeMask) == VfioUserHeader.TypeReply)
                continue; // a reply to nothing the server asked: ignored, not answered
            var r = peer.Reply();
            Assert.Equal(id, r.Header.MessageId);
            Assert.Equal(command, r.Header.Command);
            Assert.True(r.Header.IsReply);
            if (r.Header.IsError)
                errors++;
            if (n % 5000 == 0)
                peer.AssertAlive();
        }
        peer.AssertAlive();
        Assert.Equal(0, peer.Server.InternalErrors);
        Assert.Equal(0, peer.Device.FaultCount); // model exceptions are contained now, so check the device too
        Assert.True(errors > FramedMessages / 10, $"only {errors} error replies: the fuzzer is too tame");
        output.WriteLine($"{FramedMessages} framed messages, {errors} error replies, {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        for (int s = 0; s < GarbageStreams; s++)
        {
            peer.Reconnect();
            for (int chunk = rng.Next(1, 4); chunk > 0; chunk--)
            {
                var garbage = new byte[rng.Next(1, 200)];
                rng.NextBytes(garbage);
                if (rng.Next(2) == 0 && garbage.Length >= 16)
                    BinaryPrimitives.WriteUInt32LittleEndian(garbage.AsSpan(4), (uint)rng.Next(0, 64)); // plausible small size
                peer.SendRaw(garbage);
            }
        }
        peer.Reconnect();
        peer.AssertAlive();
        Assert.Equal(0, peer.Server.InternalErrors);
        Assert.Equal(0, peer.Device.FaultCount);
        Assert.False(peer.Serving.IsFaulted);
        output.WriteLine($"{GarbageStreams} garbage streams, {clock.Elapsed.TotalSeconds:F1} s");
    }
}
