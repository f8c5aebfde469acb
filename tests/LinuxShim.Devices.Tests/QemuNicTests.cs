// SPDX-License-Identifier: MIT
// Test side. QEMU's NIC models behind the vfio-user server (issue 15): identities as QEMU reports them,
// BARs placed and decoding kept on whatever the client writes, DMA windows refused where QEMU cannot
// honour them, QEMU dying (the function reads all ones, the server goes on, reset starts a fresh QEMU),
// and the mpqemu channel refusing every malformed answer. Needs qemu-system-x86 (CI installs it).
using System.Buffers.Binary;
using LinuxShim.Devices.Qemu;
using LinuxShim.Posix;
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;
using Xunit.Abstractions;

namespace LinuxShim.Devices.Tests;

public sealed class QemuNicTests(ITestOutputHelper output)
{
    private const int ENOTSUP = 95, EINVAL = 22, ENOSPC = 28;

    private static QemuNic Start(string model, List<string>? log = null) =>
        new(model, MacAddress.Parse("52:54:00:ab:cd:ef"), line => { if (log is not null) lock (log) log.Add(line); });

    [Theory]
    [InlineData("e1000", 0x8086, 0x100E, 0x03)]
    [InlineData("e1000-82545em", 0x8086, 0x100F, 0x03)]
    [InlineData("e1000-82544gc", 0x8086, 0x100C, 0x03)]
    [InlineData("rtl8139", 0x10EC, 0x8139, 0x20)]
    public void Each_ported_model_reports_the_identity_its_port_expects(string model, int vendor, int device, int revision)
    {
        var id = QemuModels.ReadIdentity(model);
        Assert.Equal((vendor, device, revision), (id.VendorId, id.DeviceId, id.Revision));
    }

    [Fact]
    public void The_client_sees_its_own_bars_and_decode_bits_while_qemu_keeps_decoding()
    {
        using var nic = Start("e1000");
        Assert.Equal(128UL * 1024, nic.GetRegion(0).Size);
        Assert.Equal(64UL, nic.GetRegion(1).Size);
        Assert.Equal(0UL, nic.GetRegion(2).Size);
        Assert.Equal(0x01u, ConfigDword(nic, 0x14)); // the I/O BAR says so before any write
        WriteConfig(nic, 0x10, 0xFFFF_FFFF);
        Assert.Equal(0xFFFE_0000u, ConfigDword(nic, 0x10)); // sizing as on hardware
        WriteConfig(nic, 0x10, 0x1234_5678);
        Assert.Equal(0x1234_0000u, ConfigDword(nic, 0x10));
        WriteConfig(nic, 0x04, 0); // decoding off, as the client sees it ...
        Assert.Equal(0u, ConfigDword(nic, 0x04) & 3);
        // ... but QEMU's model still answers: STATUS of QEMU's e1000 has link up, and the MAC is the one given.
        Span<byte> status = stackalloc byte[4];
        nic.ReadRegion(0, 8, status);
        Assert.NotEqual(0u, BinaryPrimitives.ReadUInt32LittleEndian(status) & 2);
        Span<byte> ral = stackalloc byte[4];
        nic.ReadRegion(0, 0x5400, ral);
        Assert.Equal(0xAB00_5452u, BinaryPrimitives.ReadUInt32LittleEndian(ral) & 0xFF00_FFFF);
        Assert.Null(nic.Fault);
    }

    [Fact]
    public void Qemus_models_are_served_as_synchronous_models_and_ours_as_hardware()
    {
        // QEMU's models rely on a vCPU stopped in each register access (eepro100's CU resume, its RFD written
        // complete-bit first): its server tells the client so; our models take posted writes like hardware.
        using var nic = Start("i82559er");
        Assert.True(Served(nic));
        using var ours = new E1000.Intel82540EmNic(MacAddress.Parse("52:54:00:ab:cd:ef"));
        Assert.False(Served(ours));
    }

    [Fact]
    public async Task A_string_of_port_accesses_crosses_to_qemu_in_one_message_and_in_order()
    {
        // The RTL8029's data port (NE2000 I/O BAR 0, offset 0x10): 64 bytes into the NIC's buffer memory at 0x4000
        // by rep outsl, read back by rep insl; each a REGION_*_REPEAT, its 16 accesses made by the server in order.
        using var nic = Start("ne2k_pci");
        using var stop = new CancellationTokenSource();
        using var server = new VfioUser.VfioUserServer(nic);
        var (clientEnd, serverEnd) = UnixSocket.CreatePair();
        var serving = server.ServeAsync(serverEnd, stop.Token);
        using (var client = new VfioUserClient(clientEnd))
        {
            Assert.True(client.ServerCapabilities.RepeatedAccess);
            client.WriteConfig(0x04, 2, 0x0001); // I/O decoding
            void Remote(byte command, int count)
            {
                client.WriteBar(0, 0x00, 1, 0x21);              // page 0, stopped, no remote DMA
                client.WriteBar(0, 0x0E, 1, 0x49);              // DCR: word transfers
                client.WriteBar(0, 0x0A, 1, (ulong)(count & 0xFF)); // RBCR0/1: the byte count
                client.WriteBar(0, 0x0B, 1, (ulong)(count >> 8));
                client.WriteBar(0, 0x08, 1, 0x00);              // RSAR0/1: 0x4000
                client.WriteBar(0, 0x09, 1, 0x40);
                client.WriteBar(0, 0x00, 1, command);           // remote read (0x0A) or write (0x12), started
            }
            var sent = new byte[64];
            new Random(8029).NextBytes(sent);
            Remote(0x12, sent.Length);
            long before = server.Messages;
            client.WriteBarRepeated(0, 0x10, 4, sent);
            Assert.Equal(1, server.Messages - before);
            Remote(0x0A, sent.Length);
            var read = new byte[64];
            before = server.Messages;
            client.ReadBarRepeated(0, 0x10, 4, read);
            Assert.Equal(1, server.Messages - before);
            Assert.Equal(sent, read);
        }
        Assert.Null(nic.Fault);
        stop.Cancel();
        await serving.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    public void A_data_port_accessed_many_times_at_once_gives_what_the_accesses_one_by_one_give(int width)
    {
        // The RTL8029's data port again, a frame's worth (1536 bytes) through QEMU's model: written and read back
        // with the repeated accesses (pipelined BAR_WRITEs/BAR_READs), and read back one access at a time; the three
        // agree, and the remote byte count ran down exactly (ISR's remote DMA complete bit set, RBCR at 0).
        using var nic = Start("ne2k_pci");
        var sent = new byte[1536];
        new Random(width).NextBytes(sent);
        void Write(ulong offset, byte value) => nic.WriteRegion(0, offset, [value]);
        byte Read(ulong offset)
        {
            Span<byte> b = stackalloc byte[1];
            nic.ReadRegion(0, offset, b);
            return b[0];
        }
        void Remote(byte command)
        {
            Write(0x00, 0x21);
            Write(0x0E, 0x49); // DCR: word transfers (the model moves 2 bytes per 16-bit access, 4 per 32-bit)
            Write(0x07, 0xFF);                             // ISR: clear everything
            Write(0x0A, (byte)(sent.Length & 0xFF));
            Write(0x0B, (byte)(sent.Length >> 8));
            Write(0x08, 0x00);
            Write(0x09, 0x40);
            Write(0x00, command);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Remote(0x12);
        nic.WriteRegionRepeated(0, 0x10, width, sent);
        Assert.Equal(0x40, Read(0x07) & 0x40); // remote DMA complete
        Remote(0x0A);
        var together = new byte[sent.Length];
        var pipelined = System.Diagnostics.Stopwatch.StartNew();
        nic.ReadRegionRepeated(0, 0x10, width, together);
        pipelined.Stop();
        Assert.Equal(0x40, Read(0x07) & 0x40);
        Remote(0x0A);
        var oneByOne = new byte[sent.Length];
        var single = System.Diagnostics.Stopwatch.StartNew();
        for (int at = 0; at < oneByOne.Length; at += width)
            nic.ReadRegion(0, 0x10, oneByOne.AsSpan(at, width));
        single.Stop();
        Assert.Equal(sent, together);
        Assert.Equal(sent, oneByOne);
        Assert.Null(nic.Fault);
        output.WriteLine($"{sent.Length / width} reads of {width} bytes: {pipelined.Elapsed.TotalMilliseconds:F1} ms pipelined, " +
                         $"{single.Elapsed.TotalMilliseconds:F1} ms one round trip each (all: {clock.ElapsedMilliseconds} ms)");
    }

    [Fact]
    public void Repeated_bar_accesses_are_pipelined_in_order_and_a_bad_answer_among_them_ends_the_channel()
    {
        // A peer playing QEMU: it reads every request first, then answers each in order with its sequence number.
        // 1100 reads are more than one batch; each request names the one register, its size and I/O space.
        var (ours, theirs) = UnixSocket.CreatePair();
        using var _ = ours;
        using var peer = theirs;
        var link = new MpqemuLink(ours, replyTimeoutMs: 2000);
        int badAt = -1;
        var requests = new List<(int Command, ulong Address, ulong Value, uint Size, byte Memory)>();
        var answer = new Thread(() =>
        {
            var request = new byte[MpqemuLink.HeaderSize + 24];
            var reply = new byte[MpqemuLink.HeaderSize + 8];
            for (int n = 0; peer.ReceiveExactly(request, null); n++)
            {
                lock (requests)
                    requests.Add((BinaryPrimitives.ReadInt32LittleEndian(request), BinaryPrimitives.ReadUInt64LittleEndian(request.AsSpan(16)),
                        BinaryPrimitives.ReadUInt64LittleEndian(request.AsSpan(24)), BinaryPrimitives.ReadUInt32LittleEndian(request.AsSpan(32)), request[36]));
                BinaryPrimitives.WriteInt32LittleEndian(reply, n == Volatile.Read(ref badAt) ? 7 : 1);
                BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(8), 8);
                BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(16), (ulong)(0x1000 + n));
                peer.Send(reply);
            }
        });
        answer.Start();
        var data = new byte[1100 * 2];
        link.BarRepeat(0xC010, 2, memory: false, write: false, data);
        for (int i = 0; i < 1100; i++)
            Assert.Equal(0x1000 + i, BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(2 * i)));
        lock (requests)
        {
            Assert.Equal(1100, requests.Count);
            Assert.All(requests, r => Assert.Equal((5, 0xC010UL, 0UL, 2u, (byte)0), r));
            requests.Clear();
        }
        var values = Enumerable.Range(0, 600).SelectMany(i => BitConverter.GetBytes(0xA000_0000u + (uint)i)).ToArray();
        link.BarRepeat(0xF000_0020, 4, memory: true, write: true, values);
        lock (requests)
            Assert.Equal(Enumerable.Range(0, 600).Select(i => (4, 0xF000_0020UL, 0xA000_0000UL + (ulong)i, 4u, (byte)1)), requests);
        Volatile.Write(ref badAt, 1100 + 600 + 5); // the sixth answer of the next string is not a RET
        var e = Assert.Throws<MpqemuException>(() => link.BarRepeat(0xC010, 4, memory: false, write: false, new byte[40]));
        Assert.Contains("not RET", e.Message);
        ours.Shutdown();
        peer.Shutdown();
        answer.Join();
    }

    private static bool Served(VfioUser.IVfioDevice device)
    {
        using var stop = new CancellationTokenSource();
        using var server = new VfioUser.VfioUserServer(device);
        var (clientEnd, serverEnd) = UnixSocket.CreatePair();
        var serving = server.ServeAsync(serverEnd, stop.Token);
        bool synchronous;
        using (var client = new VfioUserClient(clientEnd))
            synchronous = client.ServerCapabilities.SynchronousModel;
        stop.Cancel();
        serving.Wait(5000);
        return synchronous;
    }

    [Fact]
    public void Dma_windows_qemu_cannot_honour_are_refused_with_a_reason()
    {
        using var nic = Start("e1000");
        using var memory = SharedMemory.Create("qemu-test", 8 * 4096);
        Assert.Equal(ENOTSUP, nic.Mapping(0x10000, 4096, -1, 0, true, out var why));
        Assert.Contains("descriptor", why);
        Assert.Equal(ENOTSUP, nic.Mapping(0x10000, 4096, memory.Handle, 0, false, out why));
        Assert.Contains("read-only", why);
        Assert.Equal(EINVAL, nic.Mapping(QemuNic.BarWindowBase - 4096, 8192, memory.Handle, 0, true, out why));
        Assert.Contains("BARs", why);
        for (int i = 0; i < 7; i++)
            Assert.Equal(0, nic.Mapping(0x10000 + (ulong)i * 0x10000, 4096, memory.Handle, i * 4096, true, out _));
        Assert.Equal(ENOSPC, nic.Mapping(0x100000, 4096, memory.Handle, 0, true, out why));
        nic.Unmapped(0x10000, 4096);
        Assert.Equal(0, nic.Mapping(0x100000, 4096, memory.Handle, 0, true, out _));
        nic.Cleared();
        Assert.Null(nic.Fault); // QEMU took every map, including the placeholder that stands for none
        Assert.Equal(0x8086u, ConfigDword(nic, 0) & 0xFFFF);
    }

    [Fact]
    public void Qemu_dying_leaves_the_function_reading_all_ones_and_a_reset_starts_a_fresh_qemu()
    {
        var log = new List<string>();
        using var nic = Start("rtl8139", log);
        int first = nic.QemuPid;
        Span<byte> mac = stackalloc byte[4];
        nic.ReadRegion(0, 0, mac);
        Assert.Equal(0x0054_5452u & 0xFFFF, BinaryPrimitives.ReadUInt32LittleEndian(mac) & 0xFFFF);
        System.Diagnostics.Process.GetProcessById(first).Kill();
        Assert.True(DeviceHarness.Eventually(() => nic.Fault is not null, 5000), "QEMU's death went unnoticed");
        nic.ReadRegion(0, 0, mac);
        Assert.Equal(0xFFFF_FFFFu, BinaryPrimitives.ReadUInt32LittleEndian(mac));
        nic.WriteRegion(0, 0x37, [0x10]); // dropped, no exception
        lock (log)
            Assert.Contains(log, l => l.Contains("QEMU's device server failed") && l.Contains("signal 9"));
        nic.Reset();
        Assert.Null(nic.Fault);
        Assert.NotEqual(first, nic.QemuPid);
        nic.ReadRegion(0, 0, mac);
        Assert.Equal(0x5452u, BinaryPrimitives.ReadUInt32LittleEndian(mac) & 0xFFFF);
    }

    [Fact]
    public async Task A_reset_lowers_the_intx_line_the_last_client_left_raised()
    {
        // QEMU's DEVICE_RESET runs the model's reset, not the PCI core's, and only the latter lowers a function's
        // INTx: a cause nobody read keeps the line up in QEMU's bus through it while the model believes it low,
        // so the next client's causes raise no edge and it never gets an interrupt (vmxnet3's second driver host
        // saw no frame). Two clients in turn, each resetting first as a driver host does; the first leaves its
        // cause unread. QEMU's own e1000 model is used here: it can raise a cause with no driver set up.
        var log = new List<string>();
        using var nic = Start("e1000", log);
        using var stop = new CancellationTokenSource();
        using var server = new VfioUser.VfioUserServer(nic);
        for (int client = 1; client <= 2; client++)
        {
            var (clientEnd, serverEnd) = UnixSocket.CreatePair();
            var serving = server.ServeAsync(serverEnd, stop.Token);
            using (var c = new VfioUserClient(clientEnd))
            {
                c.Reset();
                using var fired = new SemaphoreSlim(0);
                c.SetIrqHandler(PciIrqKind.Intx, 0, () => fired.Release());
                // The line's level, asked before any register write (e1000 would lower a stale line at the first
                // write to its cause registers; vmxnet3 never does): an unmask makes QEMU signal again while it is up.
                c.UnmaskIntx();
                Assert.False(fired.Wait(500), $"client {client}: INTx still up after its reset");
                c.WriteBar(0, 0xD0, 4, 0x4); // IMS: link status change
                c.WriteBar(0, 0xC8, 4, 0x4); // ICS: that cause, now
                Assert.True(fired.Wait(5000), $"client {client}: no interrupt after its reset\n{string.Join('\n', log)}");
            }
            await serving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        Assert.Null(nic.Fault);
        lock (log)
            Assert.Contains(log, l => l.Contains("kept its INTx line asserted"));
    }

    [Fact]
    public void Qemu_runs_confined_with_only_its_channel_and_cable_sockets_its_output_and_no_network()
    {
        using var nic = Start("e1000");
        int pid = nic.QemuPid;
        var fds = Directory.GetFiles($"/proc/{pid}/fd").ToDictionary(f => int.Parse(Path.GetFileName(f)), f => new FileInfo(f).LinkTarget ?? "");
        // The channel and the cable; the QMP socket (5) QEMU closed when LinuxShim hung up after the handshake.
        Assert.Equal([3, 4], fds.Where(kv => kv.Value.StartsWith("socket:")).Select(kv => kv.Key).Order());
        Assert.Equal([1, 2], fds.Where(kv => kv.Value.StartsWith("pipe:")).Select(kv => kv.Key).Order());
        Assert.Equal("/dev/null", fds[0]);
        Assert.Empty(File.ReadAllText($"/proc/{pid}/environ"));
        Assert.Matches(@"Seccomp:\s+2\b", File.ReadAllText($"/proc/{pid}/status")); // a seccomp filter
        Assert.NotEqual(new FileInfo("/proc/self/ns/net").LinkTarget, new FileInfo($"/proc/{pid}/ns/net").LinkTarget);
    }

    [Fact]
    public void Qemu_properties_may_add_but_never_re_plug_the_device()
    {
        Assert.Equal("e1000,id=nic0,netdev=n0,romfile=,mac=52:54:00:12:34:56,autonegotiation=off",
            QemuNic.DeviceArgument("e1000,autonegotiation=off", MacAddress.Default));
        Assert.Equal("rtl8139,id=nic0,netdev=n0,romfile=,mac=52:54:00:00:00:01",
            QemuNic.DeviceArgument("rtl8139,mac=52:54:00:00:00:01", MacAddress.Default));
        foreach (var bad in new[] { "e1000,netdev=x", "e1000,id=y", "e1000,bus=pci.1", "e1000,romfile=/etc/passwd", "e1000,x", "e1000,a=b c", "" })
            Assert.Throws<FormatException>(() => QemuNic.DeviceArgument(bad, MacAddress.Default));
    }

    [Theory]
    [InlineData("wrong command")]
    [InlineData("oversized")]
    [InlineData("descriptors")]
    [InlineData("closed")]
    [InlineData("silent")]
    public void Every_malformed_answer_from_qemu_ends_the_channel_with_a_reason(string how)
    {
        var (ours, theirs) = UnixSocket.CreatePair();
        using var _ = ours;
        using var peer = theirs;
        var link = new MpqemuLink(ours, replyTimeoutMs: 300);
        using var stray = new EventFd();
        var answer = new Thread(() =>
        {
            var request = new byte[MpqemuLink.HeaderSize + 12];
            peer.ReceiveExactly(request, null);
            var reply = new byte[MpqemuLink.HeaderSize + 8];
            BinaryPrimitives.WriteInt32LittleEndian(reply, how == "wrong command" ? 5 : 1);
            BinaryPrimitives.WriteUInt64LittleEndian(reply.AsSpan(8), how == "oversized" ? 4096UL : 8UL);
            switch (how)
            {
                case "closed":
                    peer.Shutdown();
                    break;
                case "silent":
                    break;
                case "descriptors":
                    peer.Send(reply, [stray.Handle]);
                    break;
                default:
                    peer.Send(reply);
                    break;
            }
        });
        answer.Start();
        var e = Assert.Throws<MpqemuException>(() => link.ConfigRead(0, 4));
        answer.Join();
        Assert.Contains(how switch
        {
            "wrong command" => "not RET",
            "oversized" => "4096 payload bytes",
            "descriptors" => "descriptors",
            "closed" => "closed the channel",
            _ => "did not answer",
        }, e.Message);
    }

    private static uint ConfigDword(QemuNic nic, int offset)
    {
        Span<byte> b = stackalloc byte[4];
        nic.ReadRegion(VfioAbi.RegionConfig, (ulong)offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void WriteConfig(QemuNic nic, int offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        nic.WriteRegion(VfioAbi.RegionConfig, (ulong)offset, b);
    }
}
