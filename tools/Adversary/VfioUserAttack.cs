// SPDX-License-Identifier: MIT
// Managed side. A campaign of a compromised driver host against a device server (DESIGN.md D10): malformed
// and mutated messages, hostile descriptors, messages cut off with descriptors in flight, DMA windows at
// every edge, fake and saturated interrupt eventfds, frames from the cable into odd ring states, hostile
// answers to the server's DMA_READ/DMA_WRITE, and, at the end, connection exhaustion and a client that
// stops reading. Every message must be answered or the connection dropped; the server must stay alive
// with its descriptors and memory flat, and serve a fresh client afterwards.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Tools.Adversary;

public sealed record VfioUserAttackReport
{
    public string Model { get; init; } = "";
    public int Seed { get; init; }
    public long Messages { get; set; }
    public long Answered { get; set; }
    public long ErrorReplies { get; set; }
    public long DroppedByServer { get; set; }
    public long Unanswered { get; set; }
    public long Connections { get; set; }
    public long ServerDmaCommands { get; set; }
    public SortedDictionary<string, long> ByClass { get; } = [];
    public int FdsBefore { get; set; }
    public int FdsAfter { get; set; }
    public long RssBeforeKiB { get; set; }
    public long RssAfterKiB { get; set; }
    public bool ServerAlive { get; set; }
    public bool FreshClientServed { get; set; }
    public bool NoSealAdded { get; set; }
    public double Seconds { get; set; }
    public List<string> Failures { get; } = [];

    /// <summary>What the server's descriptors that were not there before point at (empty when flat).</summary>
    public List<string> NewDescriptors { get; } = [];

    /// <summary>Whether the campaign found nothing wrong.</summary>
    public bool Passed => Failures.Count == 0 && Unanswered == 0 && ServerAlive && FreshClientServed && NoSealAdded && FdsAfter <= FdsBefore;
}

public sealed class VfioUserAttack(string socketPath, int serverPid, IPEndPoint? cable, int seed)
{
    private readonly Random rng = new(seed);
    private readonly VfioUserAttackReport report = new() { Seed = seed };
    private readonly Socket? udp = cable is null ? null : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private HostileDescriptors fds = null!;
    private HostilePeer? peer;
    private ushort nextId;
    private ulong[] regionSizes = [];
    private ushort vendor;

    public VfioUserAttackReport Run(long messages, Action<string>? progress = null)
    {
        var clock = Stopwatch.StartNew();
        using (fds = new HostileDescriptors())
        {
            Reopen();
            Learn();
            for (long n = 0; n < Math.Min(2000, messages); n++)
                Malformed();
            Close();
            Thread.Sleep(300);
            (report.FdsBefore, report.RssBeforeKiB) = Measure();
            var before = Descriptors();
            Reopen();
            long lastProgress = Environment.TickCount64;
            for (long n = 0; report.Messages < messages; n++)
            {
                Step();
                if (n % 5000 == 4999)
                    Scenario();
                if (progress is not null && Environment.TickCount64 - lastProgress > 2000)
                {
                    lastProgress = Environment.TickCount64;
                    progress($"{report.Messages:N0} of {messages:N0} messages, {report.DroppedByServer} connections dropped by the server");
                }
                if (report.Failures.Count > 20)
                    break;
            }
            Exhaustion();
            StopsReading();
            Close();
            Thread.Sleep(500);
            (report.FdsAfter, report.RssAfterKiB) = Measure();
            var after = Descriptors();
            report.NewDescriptors.AddRange(after.Where(kv => !before.TryGetValue(kv.Key, out var t) || t != kv.Value).Select(kv => $"{kv.Key} -> {kv.Value}"));
            report.NoSealAdded = HostileDescriptors.Seals(fds.Shrinkable) == 0;
            if (!report.NoSealAdded)
                report.Failures.Add("the server added a seal to a client's memfd");
            report.FreshClientServed = FreshClientServed();
            report.ServerAlive = Directory.Exists($"/proc/{serverPid}") && report.FreshClientServed;
        }
        udp?.Dispose();
        report.Seconds = clock.Elapsed.TotalSeconds;
        return report;
    }

    // ---- one step of a random class ----

    private void Step()
    {
        int r = rng.Next(100);
        if (r < 70)
            Malformed();
        else if (r < 80)
            WithDescriptors();
        else if (r < 82)
            CutOff();
        else if (r < 87)
            Windows();
        else if (r < 92)
            EventFds();
        else if (r < 97)
            Cable();
        else
            DmaReplies();
    }

    private void Count(string kind) => report.ByClass[kind] = report.ByClass.GetValueOrDefault(kind) + 1;

    /// <summary>A well-framed random or mutated request; it must be answered (or the connection dropped).</summary>
    private void Malformed()
    {
        Count("malformed");
        ushort command;
        byte[] payload;
        if (rng.Next(10) < 3)
        {
            (command, payload) = RandomBytes();
        }
        else
        {
            (command, payload) = Requests.Valid(rng, regionSizes);
            if (rng.Next(10) < 7)
                payload = Requests.Mutate(rng, payload);
        }
        Request(command, payload, default, rng.Next(40) == 0 ? VfioUserHeader.NoReply : 0);
    }

    private (ushort, byte[]) RandomBytes()
    {
        ushort command = (ushort)(rng.Next(8) == 0 ? rng.Next(65536) : rng.Next(20));
        var payload = new byte[rng.Next(8) == 0 ? rng.Next(600) : rng.Next(48)];
        rng.NextBytes(payload);
        return (command, payload);
    }

    private void WithDescriptors()
    {
        Count("descriptors");
        var all = fds.All;
        int[] chosen = [.. Enumerable.Range(0, rng.Next(1, 4)).Select(_ => all[rng.Next(all.Length)])];
        var (command, payload) = Requests.Valid(rng, regionSizes);
        if (rng.Next(3) == 0)
            payload = Requests.Mutate(rng, payload);
        Request(command, payload, chosen, 0);
    }

    /// <summary>A message cut off by the client with descriptors in flight: the server must close them.</summary>
    private void CutOff()
    {
        Count("cut_off");
        var head = new byte[VfioUserHeader.Size + rng.Next(0, 40)];
        new VfioUserHeader(nextId++, (ushort)rng.Next(1, 14), (uint)(VfioUserHeader.Size + 64 + rng.Next(1000)), 0, 0).Encode(head);
        peer!.SendRaw(head, [fds.Sealed.Handle, fds.Good.Handle, fds.PipeRead, fds.RegularFile]);
        report.Messages++;
        Reopen();
    }

    /// <summary>DMA windows at the edges (address space, file, seals), then register writes that make the device DMA.</summary>
    private void Windows()
    {
        Count("windows");
        ulong[] addresses = [0, 0x1000, 0xFFFF_F000, 0x1_0000_0000 - 0x2000, 0xFFFF_FFFF_FFFF_F000, 0xFFFF_FFFF_FFFF_E000, (ulong)rng.Next(1 << 20) << 12];
        ulong[] sizes = [0, 0x1000, 0x2000, 0x10_0000, 0x10_1000, 0x8000_0000_0000_0000, 0x3000];
        long[] offsets = [0, 0x1000, 0xF_F000, 0x10_0000, 1L << 40];
        int[] descriptors = [fds.Sealed.Handle, fds.Sealed.Handle, fds.Unsealed, fds.Shrinkable, fds.RegularFile, -1];
        ulong address = addresses[rng.Next(addresses.Length)];
        ulong size = sizes[rng.Next(sizes.Length)];
        int fd = descriptors[rng.Next(descriptors.Length)];
        var p = new byte[VfioUserDmaMap.FixedSize];
        new VfioUserDmaMap(VfioUserDmaMap.FixedSize, (uint)rng.Next(4), fd < 0 ? 0 : (ulong)offsets[rng.Next(offsets.Length)], address, size).Encode(p);
        Request((ushort)VfioUserCommand.DmaMap, p, fd < 0 ? default : [fd], 0);
        for (int i = rng.Next(1, 6); i > 0; i--)
            RegisterWrite();
        if (rng.Next(4) == 0)
        {
            var u = new byte[VfioUserDmaUnmap.FixedSize];
            new VfioUserDmaUnmap(VfioUserDmaUnmap.FixedSize, 2, 0, 0).Encode(u);
            Request((ushort)VfioUserCommand.DmaUnmap, u, default, 0);
        }
    }

    /// <summary>Interrupt descriptors that are not eventfds or would block, then interrupts from every source.</summary>
    private void EventFds()
    {
        Count("eventfds");
        int[] kinds = [fds.PipeWrite, fds.PipeRead, fds.Saturated, fds.Saturated, fds.SocketA.Handle, fds.RegularFile, fds.Good.Handle];
        int index = rng.Next(3);
        uint action = rng.Next(4) switch { 0 => VfioAbi.IrqSetActionMask, 1 => VfioAbi.IrqSetActionUnmask, _ => VfioAbi.IrqSetActionTrigger };
        var p = new byte[VfioUserSetIrqs.FixedSize];
        new VfioUserSetIrqs(VfioUserSetIrqs.FixedSize, VfioAbi.IrqSetDataEventFd | action, (uint)index, 0, 1).Encode(p);
        Request((ushort)VfioUserCommand.DeviceSetIrqs, p, [kinds[rng.Next(kinds.Length)]], 0);
        new VfioUserSetIrqs(VfioUserSetIrqs.FixedSize, VfioAbi.IrqSetDataNone | VfioAbi.IrqSetActionTrigger, (uint)index, 0, 1).Encode(p);
        Request((ushort)VfioUserCommand.DeviceSetIrqs, p, default, 0);
        Frame(rng.Next(60, 1515));
    }

    private void Cable()
    {
        Count("cable");
        Frame(rng.Next(0, 2000));
        if (rng.Next(3) == 0)
            RegisterWrite();
    }

    /// <summary>Windows without a descriptor, reached by DMA_READ/WRITE, answered in a hostile way.</summary>
    private void DmaReplies()
    {
        Count("dma_replies");
        // A reply under a wrong id costs the server its DMA reply time (2 s) before it drops the client: rarer.
        int r = rng.Next(100);
        peer!.Policy = r < 40 ? DmaReplyPolicy.Correct : r < 60 ? DmaReplyPolicy.WrongCount : r < 78 ? DmaReplyPolicy.Garbage
            : r < 98 ? DmaReplyPolicy.Error : DmaReplyPolicy.WrongId;
        var p = new byte[VfioUserDmaMap.FixedSize];
        ulong address = (ulong)rng.Next(1, 64) << 20;
        new VfioUserDmaMap(VfioUserDmaMap.FixedSize, 3, 0, address, 0x10000).Encode(p);
        Request((ushort)VfioUserCommand.DmaMap, p, default, 0);
        ModelScenario(address);
        peer!.Policy = DmaReplyPolicy.Correct;
    }

    // ---- model scenarios: the device DMAs into the windows and rings the driver set up ----

    private void Scenario()
    {
        Count("scenario");
        var p = new byte[VfioUserDmaMap.FixedSize];
        ulong address = 0x4000_0000;
        new VfioUserDmaMap(VfioUserDmaMap.FixedSize, 3, 0, address, 1 << 20).Encode(p);
        Request((ushort)VfioUserCommand.DmaMap, p, [fds.Sealed.Handle], 0);
        ModelScenario(address);
        var u = new byte[VfioUserDmaUnmap.FixedSize];
        new VfioUserDmaUnmap(VfioUserDmaUnmap.FixedSize, 0, address, 1 << 20).Encode(u);
        Request((ushort)VfioUserCommand.DmaUnmap, u, default, 0);
        if (!Alive())
            report.Failures.Add($"the server stopped answering after a scenario (message {report.Messages})");
    }

    private void ModelScenario(ulong window)
    {
        Config(4, 2, 0x0007); // I/O, memory, bus master
        if (vendor == 0x10EC)
        {
            // RTL8139: a 64 KiB receive ring, frames into it, then the ring shrunk to 8 KiB under the
            // write pointer; a transmit from the window's last bytes; the next frames from the cable.
            Bar(1, 0x30, 4, (uint)window);
            Bar(1, 0x44, 4, (3u << 11) | 0x8F);
            Bar(1, 0x37, 1, 0x0C);
            Bar(1, 0x3C, 2, 0xFFFF);
            for (int i = 0; i < 8; i++)
                Frame(1514);
            Bar(1, 0x44, 4, 0x8F);
            Bar(1, 0x38, 2, (uint)rng.Next(65536));
            Bar(1, 0x20, 4, (uint)(window + 0xFFFF0));
            Bar(1, 0x10, 4, 1792);
            for (int i = 0; i < 4; i++)
                Frame(rng.Next(60, 1515));
        }
        else
        {
            // 82540EM: a transmit ring whose context descriptor puts the TSO checksum offsets beyond the
            // frame, a data descriptor past the window's end, head and tail past the ring; frames in.
            var ring = new byte[64];
            ring[0] = 14; ring[1] = 250; ring[4] = 34; ring[5] = 200; // IPCSS, IPCSO, TUCSS, TUCSO out of range
            BinaryPrimitives.WriteUInt32LittleEndian(ring.AsSpan(8), 100 | (0x2Cu << 24)); // PAYLEN, DEXT|TSE|TCP
            ring[13] = 54; // HDRLEN
            BinaryPrimitives.WriteUInt16LittleEndian(ring.AsSpan(14), (ushort)rng.Next(0, 3)); // MSS 0..2
            BinaryPrimitives.WriteUInt64LittleEndian(ring.AsSpan(16), window + 0xFFFF8);
            BinaryPrimitives.WriteUInt32LittleEndian(ring.AsSpan(24), 154 | (1u << 20) | (0x25u << 24)); // DTYP data, EOP|TSE|DEXT
            ring.CopyTo(fds.Sealed.AsSpan(0, ring.Length)); // the window is the sealed memfd (or, without one, the client's random answers)
            Bar(0, 0x3800, 4, (uint)window);
            Bar(0, 0x3804, 4, (uint)(window >> 32));
            Bar(0, 0x3808, 4, (uint)rng.Next(0, 4) * 128);
            Bar(0, 0x3810, 4, 0);
            Bar(0, 0x400, 4, 0x2);
            Bar(0, 0x3818, 4, (uint)rng.Next(0, 9));
            Bar(0, 0x2800, 4, (uint)window);
            Bar(0, 0x2808, 4, 128);
            Bar(0, 0x2818, 4, (uint)rng.Next(0, 9));
            Bar(0, 0x100, 4, 0x8002 | (uint)(rng.Next(4) << 16));
            for (int i = 0; i < 4; i++)
                Frame(rng.Next(60, 1515));
        }
    }

    // ---- the last scenarios: exhaustion, and a client that stops reading ----

    private void Exhaustion()
    {
        Count("exhaustion");
        Close();
        var idle = new List<UnixSocket>();
        try
        {
            for (int i = 0; i < 12; i++)
                idle.Add(UnixSocket.Connect(socketPath)); // connect, say nothing
        }
        catch (PosixException)
        {
            // the backlog is full: that is exhaustion too
        }
        var clock = Stopwatch.StartNew();
        bool served = false;
        while (!served && clock.ElapsedMilliseconds < 15_000)
        {
            served = FreshClientServed();
            if (!served)
                Thread.Sleep(200);
        }
        if (!served)
            report.Failures.Add("idle connections kept a fresh client from being served for 15 s");
        foreach (var s in idle)
            s.Dispose();
        Reopen();
    }

    private void StopsReading()
    {
        Count("stops_reading");
        var p = new byte[16];
        new VfioUserRegionAccess(0, VfioAbi.RegionConfig, 256).Encode(p);
        for (int i = 0; i < 20_000 && peer!.Send(nextId++, (ushort)VfioUserCommand.RegionRead, p, 0, default); i++)
            report.Messages++;
        Close(); // never read a reply
        var clock = Stopwatch.StartNew();
        bool served = false;
        while (!served && clock.ElapsedMilliseconds < 15_000)
            served = FreshClientServed();
        if (!served)
            report.Failures.Add("a client that stopped reading its replies kept a fresh client from being served for 15 s");
    }

    // ---- plumbing ----

    // The longest a healthy server may take to answer: a QEMU model that stops answering (a hostile client's writes
    // can wedge it) is given up after 5 s (MpqemuLink), and only then does the server answer, from the error state.
    // A REGION_*_REPEAT of many accesses may meet that timeout after others have taken their time.
    private const int ReplyDeadlineMs = 8000;

    private void Request(ushort command, byte[] payload, ReadOnlySpan<int> descriptors, uint flags)
    {
        ushort id = nextId++;
        report.Messages++;
        if (!peer!.Send(id, command, payload, flags, descriptors))
        {
            report.DroppedByServer++;
            Reopen();
            return;
        }
        if ((flags & VfioUserHeader.NoReply) != 0)
            return;
        try
        {
            var h = peer.Await(id, ReplyDeadlineMs);
            if (h is null)
            {
                report.DroppedByServer++;
                Reopen();
                return;
            }
            report.Answered++;
            if (h.Value.IsError)
                report.ErrorReplies++;
        }
        catch (TimeoutException)
        {
            report.Unanswered++;
            report.Failures.Add($"message {id} (command {command}) was neither answered nor its connection dropped within {ReplyDeadlineMs / 1000} s");
            Reopen();
        }
    }

    private void RegisterWrite()
    {
        int bar = rng.Next(2);
        if (bar >= regionSizes.Length || regionSizes[bar] < 4)
            return;
        Bar(bar, (ulong)rng.NextInt64(0, (long)regionSizes[bar] / 4) * 4, 4, (uint)rng.NextInt64(0, 1L << 32));
    }

    private void Bar(int region, ulong offset, int size, uint value)
    {
        var p = new byte[16 + size];
        new VfioUserRegionData(offset, (uint)region, (uint)size).Encode(p);
        for (int b = 0; b < size; b++)
            p[16 + b] = (byte)(value >> (8 * b));
        Request((ushort)VfioUserCommand.RegionWrite, p, default, 0);
    }

    private void Config(ulong offset, int size, uint value) => Bar(VfioAbi.RegionConfig, offset, size, value);

    private void Frame(int length)
    {
        if (udp is null || cable is null)
            return;
        var frame = new byte[length];
        rng.NextBytes(frame);
        if (length >= 12 && rng.Next(2) == 0)
            frame.AsSpan(0, 6).Fill(0xFF); // broadcast: past the address filter
        try
        {
            udp.SendTo(frame, cable);
        }
        catch (SocketException)
        {
            // a datagram too large for the wire: the device never sees it
        }
    }

    private void Learn()
    {
        var sizes = new List<ulong>();
        for (int i = 0; i < VfioAbi.PciRegionCount; i++)
        {
            var q = new byte[VfioUserRegionInfo.FixedSize];
            new VfioUserRegionInfo(VfioUserRegionInfo.FixedSize, 0, (uint)i, 0, 0, 0).Encode(q);
            var reply = new List<byte>();
            peer!.Send(nextId, (ushort)VfioUserCommand.DeviceGetRegionInfo, q, 0, default);
            peer.Await(nextId++, ReplyDeadlineMs, reply);
            sizes.Add(reply.Count >= 32 ? BinaryPrimitives.ReadUInt64LittleEndian(reply.ToArray().AsSpan(16)) : 0);
        }
        regionSizes = [.. sizes];
        vendor = ReadVendor(peer!) ?? 0;
        report.ByClass.Clear();
        report.Messages = 0;
    }

    private ushort? ReadVendor(HostilePeer p)
    {
        var q = new byte[16];
        new VfioUserRegionAccess(0, VfioAbi.RegionConfig, 2).Encode(q);
        var reply = new List<byte>();
        ushort id = nextId++;
        if (!p.Send(id, (ushort)VfioUserCommand.RegionRead, q, 0, default))
            return null;
        try
        {
            var h = p.Await(id, ReplyDeadlineMs, reply);
            return h is { IsError: false } && reply.Count == 18 ? BinaryPrimitives.ReadUInt16LittleEndian(reply.ToArray().AsSpan(16)) : null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private bool Alive() => peer is not null && ReadVendor(peer) is { } v && v == vendor;

    private bool FreshClientServed()
    {
        try
        {
            using var fresh = HostilePeer.Open(socketPath, rng);
            return fresh is not null && ReadVendor(fresh) is { } v && v == vendor;
        }
        catch (Exception e) when (e is PosixException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private void Reopen()
    {
        Close();
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                peer = HostilePeer.Open(socketPath, rng);
                if (peer is not null)
                {
                    report.Connections++;
                    return;
                }
            }
            catch (Exception e) when (e is PosixException or IOException or TimeoutException)
            {
            }
            Thread.Sleep(100);
        }
        throw new IOException($"the device server at {socketPath} no longer accepts clients");
    }

    private void Close()
    {
        if (peer is null)
            return;
        report.ServerDmaCommands += peer.ServerCommands;
        peer.Dispose();
        peer = null;
    }

    private Dictionary<string, string> Descriptors()
    {
        var map = new Dictionary<string, string>();
        foreach (var f in Directory.GetFileSystemEntries($"/proc/{serverPid}/fd"))
        {
            try
            {
                string target = new FileInfo(f).LinkTarget ?? "?";
                if (!target.EndsWith(".dll", StringComparison.Ordinal))
                    map[Path.GetFileName(f)] = target;
            }
            catch (IOException)
            {
                // closed while we looked
            }
        }
        return map;
    }

    // Descriptors count without the runtime's own assembly files, which .NET opens when code first
    // needs them (a path the warm-up did not take): they are loads, not leaks.
    private (int Fds, long RssKiB) Measure()
    {
        int fdCount = Descriptors().Count;
        long rss = 0;
        foreach (var line in File.ReadLines($"/proc/{serverPid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return (fdCount, rss);
    }
}
