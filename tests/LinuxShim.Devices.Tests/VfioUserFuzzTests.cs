// SPDX-License-Identifier: MIT
// Test side. Fuzzes the vfio-user server with well-framed random and mutated messages (the requests
// and mutations of tools/Adversary/Requests.cs; every one must be answered, in order, and none may
// make a device model throw), then with raw garbage streams on fresh connections (each must end
// promptly, and the next client must be served).
using System.Buffers.Binary;
using System.Diagnostics;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.Tools.Adversary;
using LinuxShim.VfioUser;
using Xunit.Abstractions;

namespace LinuxShim.Devices.Tests;

public sealed class VfioUserFuzzTests(ITestOutputHelper output)
{
    private const int FramedMessages = 100_000;
    private const int GarbageStreams = 300;

    // The RTL8139's regions: BAR0 (I/O) and BAR1 (memory) of 256 bytes, config space of 256.
    private static readonly ulong[] RegionSizes = [256, 256, 0, 0, 0, 0, 0, 256, 0];

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
                (command, payload) = Requests.Valid(rng, RegionSizes);
                if (kind < 8)
                    payload = Requests.Mutate(rng, payload);
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
