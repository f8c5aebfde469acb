// SPDX-License-Identifier: MIT
// Tests of netif (issue 7): the shared-memory frame rings (order, wrap-around, full, no lost wakeup
// between two threads), what a hostile peer can do to them (indices and lengths out of range, a
// descriptor set that is not an area), and the control channel's answers to malformed requests.
using System.Buffers.Binary;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Tests.Netif;

public sealed unsafe partial class NetifTests
{
    private static byte[] Frame(int sequence, int length)
    {
        var f = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(f, sequence);
        for (int i = 4; i < length; i++)
            f[i] = (byte)(sequence + i);
        return f;
    }

    [Fact]
    public void FramesComeOutInOrderAcrossManyWrapArounds()
    {
        using var area = NetifArea.Create(slots: 8, slotSize: 256);
        var ring = area.ToDriver;
        var buffer = new byte[ring.MaxFrame];
        int next = 0, expected = 0;
        for (int round = 0; round < 1000; round++)
        {
            int burst = round % 9; // up to one more than fits
            for (int i = 0; i < burst; i++)
            {
                bool written = ring.TryWrite(Frame(next, 14 + next % 200));
                Assert.Equal(i < 8, written);
                if (written)
                    next++;
            }
            int n;
            while ((n = ring.TryRead(buffer)) >= 0)
            {
                Assert.Equal(14 + expected % 200, n);
                Assert.Equal(Frame(expected, n), buffer[..n]);
                expected++;
            }
        }
        Assert.Equal(next, expected);
        Assert.True(expected > 3000);
    }

    [Fact]
    public void ABatchIsSeenWholeAtItsPublishAndWakesTheConsumerOnce()
    {
        using var area = NetifArea.Create(slots: 16, slotSize: 128);
        var ring = area.FromDriver;
        var buffer = new byte[ring.MaxFrame];
        int woken = 0, read = 0;
        var consumer = new Thread(() =>
        {
            while (read < 10 && ring.WaitForData(5000))
            {
                woken++;
                while (ring.TryRead(buffer) >= 0)
                    read++;
            }
        });
        consumer.Start();
        Thread.Sleep(50); // the consumer is asleep on its eventfd
        for (int i = 0; i < 10; i++)
            Assert.True(ring.TryWrite(Frame(i, 60), publish: false));
        Thread.Sleep(100);
        Assert.False(ring.HasData); // written, not published: the consumer sees nothing yet
        Assert.Equal(0, read);
        ring.Publish();
        Assert.True(consumer.Join(5000));
        Assert.Equal(10, read);
        Assert.Equal(1, woken);
        ring.Publish(); // nothing new: no index change, no wake-up
        Assert.Equal(-1, ring.TryRead(buffer));
    }

    [Fact]
    public void NoWakeupIsLostBetweenAProducerAndABlockingConsumer()
    {
        using var area = NetifArea.Create(slots: 4, slotSize: 128);
        const int Count = 50_000;
        var producer = new Thread(() =>
        {
            for (int i = 0; i < Count; i++)
                Assert.True(area.FromDriver.Write(Frame(i, 60), 10_000));
        });
        producer.Start();
        var buffer = new byte[area.FromDriver.MaxFrame];
        for (int i = 0; i < Count; i++)
        {
            int n;
            while ((n = area.FromDriver.TryRead(buffer)) < 0)
                Assert.True(area.FromDriver.WaitForData(10_000), $"no frame {i} within 10 s: a wakeup was lost");
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(buffer));
        }
        producer.Join();
    }

    [Fact]
    public void AHostilePeersIndicesAndLengthsAreRefusedNotFollowed()
    {
        using var area = NetifArea.Create(slots: 8, slotSize: 256);
        using var peer = SharedMemory.Map(area.Descriptors[0], 0, 4096 + 2 * 8 * 256, writable: true);
        var buffer = new byte[area.ToDriver.MaxFrame];
        uint* toDriverProducer = (uint*)(peer.Address + 64);

        // A producer index far ahead of the consumer.
        *toDriverProducer = 1000;
        Assert.Throws<NetifProtocolException>(() => area.ToDriver.TryRead(buffer));

        // A slot whose length is larger than the slot.
        *toDriverProducer = 1;
        *(uint*)(peer.Address + 4096) = 100_000;
        Assert.Throws<NetifProtocolException>(() => area.ToDriver.TryRead(buffer));

        // A consumer index ahead of what was produced.
        uint* fromDriverConsumer = (uint*)(peer.Address + 64 + NetifRing.ControlBytes + 64);
        *fromDriverConsumer = 5;
        Assert.Throws<NetifProtocolException>(() => area.FromDriver.TryWrite(new byte[60]));
    }

    [Fact]
    public void DescriptorsThatAreNotAnAreaAreRejected()
    {
        Assert.Throws<NetifProtocolException>(() => NetifArea.Adopt([]));
        // An eventfd where the memfd should be: not sealable.
        var fds = Enumerable.Range(0, 5).Select(_ => Dup(new EventFd())).ToArray();
        Assert.Throws<NetifProtocolException>(() => NetifArea.Adopt(fds));
        // A memfd with a wrong header.
        using var bad = SharedMemory.Create("not-netif", 8192);
        *(uint*)bad.Address = 0xdeadbeef;
        var fds2 = new[] { Libc.Dup(bad.Handle) }.Concat(Enumerable.Range(0, 4).Select(_ => Dup(new EventFd()))).ToArray();
        var e = Assert.Throws<NetifProtocolException>(() => NetifArea.Adopt(fds2));
        Assert.Contains("magic", e.Message);
        // A well-formed area is adopted and carries frames both ways.
        using var good = NetifArea.Create();
        using var host = NetifArea.Adopt(good.Descriptors.Select(Libc.Dup).ToArray());
        Assert.True(good.ToDriver.TryWrite(Frame(7, 60)));
        var buffer = new byte[host.ToDriver.MaxFrame];
        Assert.Equal(60, host.ToDriver.TryRead(buffer));
        Assert.True(host.FromDriver.TryWrite(Frame(8, 70)));
        Assert.Equal(70, good.FromDriver.TryRead(buffer));
    }

    [Fact]
    public void TheControlChannelAnswersMalformedRequestsAndKeepsServing()
    {
        using var server = new NetifServer(() => []);
        var random = new Random(7);
        int errors = 0;
        for (int i = 0; i < 2000; i++)
        {
            var (a, b) = UnixSocket.CreatePair();
            server.Serve(a);
            using (b)
            {
                // A valid frame around a bad body: an error reply, and the connection still answers.
                string body = (i % 4) switch
                {
                    0 => "{\"op\":\"attach\",\"interface\":\"eth0\"}",
                    1 => "{\"op\":\"launch\"}",
                    2 => "{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":7}",
                    _ => Encoding.UTF8.GetString(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(32, 127)).ToArray()),
                };
                Send(b, Encoding.UTF8.GetBytes(body));
                var reply = NetifChannel.Receive<NetifReply>(b, null);
                Assert.NotNull(reply);
                Assert.False(reply.Ok);
                Assert.False(string.IsNullOrEmpty(reply.Error));
                errors++;
                NetifChannel.Send(b, new NetifRequest { Op = NetifOps.Show });
                var show = NetifChannel.Receive<NetifReply>(b, null);
                Assert.True(show!.Ok);
                Assert.Empty(show.Interfaces!);
            }
        }
        // A length out of range: an error reply, then the server hangs up (the stream is out of step).
        var (c, d) = UnixSocket.CreatePair();
        server.Serve(c);
        using (d)
        {
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, -5);
            d.Send(prefix);
            var reply = NetifChannel.Receive<NetifReply>(d, null);
            Assert.Contains("bytes", reply!.Error);
            Assert.Null(NetifChannel.Receive<NetifReply>(d, null));
        }
        Assert.Equal(errors + 1, server.Rejected);
    }

    private static void Send(UnixSocket socket, byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        socket.Send(frame);
    }

    private static int Dup(EventFd e)
    {
        int fd = Libc.Dup(e.Handle);
        e.Dispose();
        return fd;
    }
}
