// SPDX-License-Identifier: MIT
// Test side. The wire backends: in-process pair, UDP datagrams framed like QEMU's -netdev dgram,
// a real TAP interface answered by the host kernel (ARP), and a pcap capture read back by tcpdump.
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LinuxShim.Devices.Wire;
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Devices.Tests;

public sealed class WireTests
{
    private static BlockingCollection<byte[]> Collect(IWire wire)
    {
        var frames = new BlockingCollection<byte[]>();
        wire.Received += f => frames.Add(f.ToArray());
        return frames;
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
    public unsafe void A_tap_interface_reaches_the_host_kernel_which_answers_arp()
    {
        string name = $"lsdev{Environment.ProcessId % 10000}";
        byte[] mac = [0x02, 0x4C, 0x53, 0x00, 0x00, 0x01];
        byte[] hostIp = [10, 251, 77, 1], ourIp = [10, 251, 77, 2];
        using (var tap = new TapWire(name))
        {
            Assert.Equal(name, tap.InterfaceName);
            var received = Collect(tap);
            ConfigureInterface(name, hostIp);

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
            Assert.Equal(hostIp, reply[28..32]);          // "10.251.77.1 is at ..."
            Assert.Equal(ourIp, reply[38..42]);
        }
        Assert.False(Directory.Exists($"/sys/class/net/{name}"), "the TAP interface outlived its wire");
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
