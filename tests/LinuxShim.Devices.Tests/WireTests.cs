// SPDX-License-Identifier: MIT
// Test side. The wire backends: in-process pair, UDP datagrams framed like QEMU's -netdev dgram,
// a real TAP interface answered by the host kernel (ARP), and a pcap capture read back by tcpdump.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;

namespace LinuxShim.Devices.Tests;

public sealed class WireTests
{
    private static BlockingCollection<byte[]> Collect(IWire wire)
    {
        var frames = new BlockingCollection<byte[]>();
        wire.Received += f => frames.Add(f.ToArray());
        return frames;
    }

    /// <summary>
    /// Subscribes a handler that throws on the first frame, then a collector: the collector must still get
    /// that frame and every later one, on a receive loop that survived the throw.
    /// </summary>
    private static BlockingCollection<byte[]> ThrowOnceThenCollect(IWire wire)
    {
        int seen = 0;
        wire.Received += _ =>
        {
            if (Interlocked.Increment(ref seen) == 1)
                throw new InvalidOperationException("handler bug");
        };
        return Collect(wire);
    }

    private static void AssertContainedOnce(IWire wire)
    {
        Assert.Equal(1, wire.HandlerFaults);
        Assert.Equal("handler bug", wire.FirstHandlerFault?.Message);
    }

    [Fact]
    public void An_in_process_receive_loop_survives_a_throwing_handler()
    {
        var (a, b) = InProcessWire.CreatePair();
        using (a)
        using (b)
        {
            var atB = ThrowOnceThenCollect(b);
            for (byte i = 1; i <= 3; i++)
                a.Send(Frames.To(Frames.Broadcast, 60, i));
            for (byte i = 1; i <= 3; i++)
            {
                Assert.True(atB.TryTake(out var got, 2000));
                Assert.Equal(Frames.To(Frames.Broadcast, 60, i), got);
            }
            AssertContainedOnce(b);
        }
    }

    [Fact]
    public void A_udp_receive_loop_survives_a_throwing_handler()
    {
        using var qemuSide = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        qemuSide.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var wire = new UdpWire((IPEndPoint)qemuSide.LocalEndPoint!, 0);
        var received = ThrowOnceThenCollect(wire);
        var to = new IPEndPoint(IPAddress.Loopback, wire.LocalPort);
        for (byte i = 1; i <= 3; i++)
            qemuSide.SendTo(Frames.To(Frames.OtherStation, 70, i), to);
        for (byte i = 1; i <= 3; i++)
        {
            Assert.True(received.TryTake(out var got, 2000));
            Assert.Equal(Frames.To(Frames.OtherStation, 70, i), got);
        }
        AssertContainedOnce(wire);
    }

    [Fact]
    public void A_captured_wire_survives_a_throwing_handler_and_still_records_every_frame()
    {
        var pcap = new MemoryStream();
        var (a, b) = InProcessWire.CreatePair();
        using (b)
        using (var captured = new CaptureWire(a, new PcapWriter(pcap)))
        {
            var received = ThrowOnceThenCollect(captured);
            for (byte i = 1; i <= 3; i++)
                b.Send(Frames.To(Frames.Broadcast, 60, i));
            for (byte i = 1; i <= 3; i++)
                Assert.True(received.TryTake(out _, 2000));
            AssertContainedOnce(captured);
            Assert.Equal(0, a.HandlerFaults); // contained by the capture, not by the wire beneath it
        }
    }

    [Fact]
    public void An_in_process_pair_carries_frames_both_ways()
    {
        var (a, b) = InProcessWire.CreatePair();
        using (a)
        using (b)
        {
            var atA = Collect(a);
            var atB = Collect(b);
            var f1 = Frames.To(Frames.Broadcast, 60, 1);
            var f2 = Frames.To(Frames.OtherStation, 1514, 2);
            a.Send(f1);
            b.Send(f2);
            Assert.True(atB.TryTake(out var got1, 2000));
            Assert.Equal(f1, got1);
            Assert.True(atA.TryTake(out var got2, 2000));
            Assert.Equal(f2, got2);
        }
    }

    [Fact]
    public void Udp_carries_one_frame_per_datagram()
    {
        using var qemuSide = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        qemuSide.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        qemuSide.ReceiveTimeout = 2000;
        using var wire = new UdpWire((IPEndPoint)qemuSide.LocalEndPoint!, 0);
        var received = Collect(wire);

        var outgoing = Frames.To(Frames.Broadcast, 342, 5);
        wire.Send(outgoing);
        var buffer = new byte[2048];
        int n = qemuSide.Receive(buffer);
        Assert.Equal(outgoing, buffer[..n]);

        var incoming = Frames.To(Frames.OtherStation, 77, 6);
        qemuSide.SendTo(incoming, new IPEndPoint(IPAddress.Loopback, wire.LocalPort));
        Assert.True(received.TryTake(out var got, 2000));
        Assert.Equal(incoming, got);
    }

    [Fact]
    public void Udp_takes_a_burst_in_order_and_drops_only_a_datagram_longer_than_a_jumbo_frame()
    {
        using var qemuSide = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 1 << 20 };
        qemuSide.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var wire = new UdpWire((IPEndPoint)qemuSide.LocalEndPoint!, 0);
        var received = Collect(wire);
        var to = new IPEndPoint(IPAddress.Loopback, wire.LocalPort);
        // Sent while the receiver is busy with the first ones, so most come in batches of one system call.
        for (int i = 0; i < 100; i++)
        {
            qemuSide.SendTo(Frames.To(Frames.OtherStation, 60 + i, (byte)i), to);
            if (i == 50)
            {
                qemuSide.SendTo(new byte[10_000], to); // longer than any frame a NIC takes
                qemuSide.SendTo(Frames.To(Frames.OtherStation, 9000, 77), to); // a jumbo frame is whole
            }
        }
        for (int i = 0; i < 100; i++)
        {
            Assert.True(received.TryTake(out var got, 2000), $"frame {i} never came");
            Assert.Equal(Frames.To(Frames.OtherStation, 60 + i, (byte)i), got);
            if (i == 50)
            {
                Assert.True(received.TryTake(out var jumbo, 2000));
                Assert.Equal(Frames.To(Frames.OtherStation, 9000, 77), jumbo);
            }
        }
        Assert.False(received.TryTake(out _, 200));
    }

    [Fact]
    public void A_capture_is_read_back_by_tcpdump()
    {
        string path = Path.Combine(Path.GetTempPath(), $"linuxshim-{Guid.NewGuid():N}.pcap");
        try
        {
            var (a, b) = InProcessWire.CreatePair();
            var toDevice = Collect(b);
            using (b)
            using (var captured = new CaptureWire(a, new PcapWriter(path)))
            {
                var fromA = Collect(captured);
                captured.Send(Frames.To(Frames.Broadcast, 60, 1));
                captured.Send(Frames.To(Frames.OtherStation, 1514, 2));
                b.Send(Frames.To([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 98, 3));
                Assert.True(toDevice.TryTake(out _, 2000) && toDevice.TryTake(out _, 2000));
                Assert.True(fromA.TryTake(out _, 2000));
            }
            var tcpdump = Process.Start(new ProcessStartInfo("tcpdump", ["-r", path, "-nn", "-e"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string output = tcpdump.StandardOutput.ReadToEnd();
            string errors = tcpdump.StandardError.ReadToEnd();
            tcpdump.WaitForExit();
            Assert.True(tcpdump.ExitCode == 0, errors);
            // one summary line per packet (an unknown ethertype adds indented hex lines)
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !char.IsWhiteSpace(l[0])).ToArray();
            Assert.Equal(3, lines.Length);
            Assert.Contains("02:00:00:aa:bb:cc > ff:ff:ff:ff:ff:ff", lines[0]);
            Assert.Contains("length 60", lines[0]);
            Assert.Contains("02:00:00:aa:bb:cc > 02:00:00:aa:bb:cc", lines[1]);
            Assert.Contains("length 1514", lines[1]);
            Assert.Contains("> 52:54:00:12:34:56", lines[2]);
            Assert.Contains("length 98", lines[2]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_tap_interface_reaches_the_host_kernel_which_answers_arp()
    {
        string name = $"lsdev{Environment.ProcessId % 10000}";
        using (var tap = new TapWire(name))
        {
            Assert.Equal(name, tap.InterfaceName);
            ArpExchange(tap, Collect(tap), 77);
        }
        Assert.False(Directory.Exists($"/sys/class/net/{name}"), "the TAP interface outlived its wire");
    }

    [Fact]
    public void A_tap_receive_loop_survives_a_throwing_handler()
    {
        using var tap = new TapWire($"lsdex{Environment.ProcessId % 10000}");
        var received = ThrowOnceThenCollect(tap);
        ArpExchange(tap, received, 78);                    // the first frame from the kernel hits the throwing handler
        ArpExchange(tap, received, 78, configure: false);  // and later ones still arrive
        AssertContainedOnce(tap);
    }

    /// <summary>Gives the interface 10.251.<paramref name="net"/>.1/24 and asks it for its MAC; asserts the reply.</summary>
    private static void ArpExchange(TapWire tap, BlockingCollection<byte[]> received, byte net, bool configure = true)
    {
        byte[] mac = [0x02, 0x4C, 0x53, 0x00, 0x00, 0x01];
        byte[] hostIp = [10, 251, net, 1], ourIp = [10, 251, net, 2];
        if (configure)
            ConfigureInterface(tap.InterfaceName, hostIp);

        var request = new byte[42];
        Frames.Broadcast.CopyTo(request, 0);
        mac.CopyTo(request, 6);
        request[12] = 0x08; request[13] = 0x06;                 // ARP
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(14), 1);      // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(16), 0x0800); // IPv4
        request[18] = 6; request[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(20), 1);      // request
        mac.CopyTo(request, 22);
        ourIp.CopyTo(request, 28);
        hostIp.CopyTo(request, 38);

        byte[]? reply = null;
        var deadline = Environment.TickCount64 + 5000;
        while (reply is null && Environment.TickCount64 < deadline)
        {
            tap.Send(request);
            while (received.TryTake(out var f, 200))
            {
                if (f.Length >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2)
                {
                    reply = f;
                    break;
                }
            }
        }
        Assert.NotNull(reply);
        Assert.Equal(mac, reply[..6]);               // to us
        Assert.Equal(hostIp, reply[28..32]);          // "10.251.NET.1 is at ..."
        Assert.Equal(ourIp, reply[38..42]);
    }

    /// <summary>ip addr add HOST/24 dev NAME; ip link set NAME up — through SIOCSIFADDR/SIOCSIFNETMASK/SIOCSIFFLAGS.</summary>
    private static unsafe void ConfigureInterface(string name, byte[] address)
    {
        const ulong SIOCSIFADDR = 0x8916, SIOCSIFNETMASK = 0x891C, SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914;
        int s = (int)Libc.Check(Libc.Socket(2, 2, 0), "socket");
        try
        {
            byte* ifr = stackalloc byte[40];
            void Request(ulong request, ReadOnlySpan<byte> sockaddrIn4)
            {
                new Span<byte>(ifr, 40).Clear();
                System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(ifr, 15));
                if (!sockaddrIn4.IsEmpty)
                {
                    ifr[16] = 2; // AF_INET
                    sockaddrIn4.CopyTo(new Span<byte>(ifr + 20, 4));
                }
                Libc.Check(Libc.Ioctl(s, request, ifr), $"ioctl {request:x}");
            }
            Request(SIOCSIFADDR, address);
            Request(SIOCSIFNETMASK, [255, 255, 255, 0]);
            Request(SIOCGIFFLAGS, default);
            *(short*)(ifr + 16) |= 0x1; // IFF_UP
            Libc.Check(Libc.Ioctl(s, SIOCSIFFLAGS, ifr), "SIOCSIFFLAGS");
        }
        finally
        {
            Libc.Close(s);
        }
    }
}
