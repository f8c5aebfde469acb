// SPDX-License-Identifier: MIT
// Tests of the vfio-user client against a hostile device server: a scripted fake server answers
// with other protocol versions, malformed capabilities, truncated, oversized, misechoed, wrong-id,
// out-of-order and never-coming replies, garbage, a byte at a time, a closed socket, floods of its
// own commands, and DMA requests inside and outside the client's windows. Each ends in a clear
// exception within a bounded time, leaves the function dead where it must, and this process healthy.
// Then the real driver host (`linuxshim host`, upstream 8139too) behind a proxy whose device turns
// hostile: the host ends with one clear line and status 72, never hangs.
using LinuxShim.Posix;
using LinuxShim.Supervisor;
using System.Buffers.Binary;
using System.Diagnostics;
using LinuxShim.Devices;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Vfio;
using LinuxShim.Tools;
using LinuxShim.VfioUser;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Host;

[Collection(KernelCollection.Name)]
public sealed class HostileDeviceTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private const int EINVAL = 22, EFAULT = 14, EPERM = 1, ENOSYS = 38, ETIMEDOUT = 110;
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(300);

    // Every hostile case must end within the reply timeout plus this (a loaded CI machine included).
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);
    private readonly string dir = Directory.CreateTempSubdirectory("linuxshim-hostile-").FullName;
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(owned))
            d.Dispose();
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    private FakeVfioUserServer Fake(Func<FakeVfioUserServer, FakeRequest, bool>? hostile = null, string? capabilities = FakeVfioUserServer.HonestCapabilities)
    {
        var fake = new FakeVfioUserServer(hostile, capabilities);
        owned.Add(fake);
        return fake;
    }

    private VfioUserClient Client(FakeVfioUserServer fake, TimeSpan? timeout = null)
    {
        var client = new VfioUserClient(fake.ClientEnd, timeout ?? Timeout);
        owned.Add(client);
        return client;
    }

    // Runs `act`, which must throw T within the timeout plus slack; returns the exception.
    private T Fails<T>(Action act, TimeSpan? within = null) where T : Exception
    {
        var clock = Stopwatch.StartNew();
        var e = Assert.ThrowsAny<T>(act);
        output.WriteLine($"{e.GetType().Name} after {clock.ElapsedMilliseconds} ms: {e.Message}");
        Assert.True(clock.Elapsed < (within ?? Timeout) + Slack, $"took {clock.ElapsedMilliseconds} ms");
        return e;
    }

    // The function is dead: every later call throws at once, naming the first failure.
    private static void AssertDead(VfioUserClient client)
    {
        Assert.NotNull(client.Failure);
        var clock = Stopwatch.StartNew();
        var e = Assert.ThrowsAny<IOException>(() => client.ReadBar(1, 0, 4));
        Assert.Contains("failed earlier", e.Message);
        Assert.Throws<IOException>(() => client.WriteBar(1, 0, 4, 1));
        Assert.True(clock.ElapsedMilliseconds < 1000, $"a dead function took {clock.ElapsedMilliseconds} ms to refuse");
    }

    // This process still talks to an honest server: nothing the hostile one did stuck to it.
    private void AssertStillHealthy()
    {
        var fake = Fake();
        var client = Client(fake);
        client.WriteBar(1, 0x40, 4, 0xfeedf00d);
        Assert.Equal(0xfeedf00dUL, client.ReadBar(1, 0x40, 4));
        Assert.Null(fake.Error);
    }

    // Answers the first access of BAR 1 with `reply` instead of the honest answer.
    private static Func<FakeVfioUserServer, FakeRequest, bool> OnBar1Read(Action<FakeVfioUserServer, FakeRequest> reply) =>
        (s, r) =>
        {
            if (r.Command != VfioUserCommand.RegionRead || r.Region != 1)
                return false;
            reply(s, r);
            return true;
        };

    // ---- version and capabilities ----

    [Fact]
    public void TheClientProposesVersion01AndReadsTheServersCapabilities()
    {
        var fake = Fake();
        var client = Client(fake);
        var version = fake.Requests[0];
        Assert.Equal(VfioUserCommand.Version, version.Command);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(version.Payload));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(version.Payload.AsSpan(2)));
        Assert.Equal(0, version.Payload[^1]); // NUL-terminated JSON
        using (var json = System.Text.Json.JsonDocument.Parse(version.Payload.AsMemory(4, version.Payload.Length - 5)))
            Assert.True(json.RootElement.GetProperty("capabilities").GetProperty("max_msg_fds").GetInt32() >= 1);
        Assert.StartsWith("0.1 ", client.ServerVersion);
        Assert.Equal(8, client.ServerCapabilities.MaxMsgFds);
        Assert.Equal(16, client.ServerCapabilities.MaxDmaMaps);
        Assert.Equal(4096UL, client.ServerCapabilities.SmallestPage);
        Assert.Equal(2, client.Bars.Count(b => b.Size > 0));
        Assert.True(client.Bars[0].IsIo);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0, 2)]
    [InlineData(0xffff, 0xffff)]
    public void AServerAnsweringAnotherVersionIsRefused(ushort major, ushort minor)
    {
        var fake = Fake((s, r) =>
        {
            if (r.Command != VfioUserCommand.Version)
                return false;
            s.Reply(r, [(byte)major, (byte)(major >> 8), (byte)minor, (byte)(minor >> 8)]);
            return true;
        });
        var e = Fails<InvalidDataException>(() => Client(fake));
        Assert.Contains($"{major}.{minor}", e.Message);
        Assert.Contains("Version", e.Message);
    }

    [Fact]
    public void AnOlderMinorVersionAndNoCapabilitiesGiveTheSpecificationsDefaults()
    {
        var fake = Fake((s, r) =>
        {
            if (r.Command != VfioUserCommand.Version)
                return false;
            s.Reply(r, [0, 0, 0, 0]); // 0.0, no version data
            return true;
        });
        var client = Client(fake);
        Assert.StartsWith("0.0", client.ServerVersion);
        var caps = client.ServerCapabilities;
        Assert.Equal(1, caps.MaxMsgFds);
        Assert.Equal(1 << 20, caps.MaxDataXferSize);
        Assert.Equal(4096UL, caps.PgSizes);
        Assert.Equal(65535, caps.MaxDmaMaps);
    }

    [Theory]
    [InlineData("""{"capabilities":{"max_msg_fds":"8"}}""", "max_msg_fds")]
    [InlineData("""{"capabilities":{"max_msg_fds":-1}}""", "max_msg_fds")]
    [InlineData("""{"capabilities":{"max_data_xfer_size":1.5}}""", "max_data_xfer_size")]
    [InlineData("""{"capabilities":{"max_data_xfer_size":0}}""", "max_data_xfer_size")]
    [InlineData("""{"capabilities":{"pgsizes":0}}""", "pgsizes")]
    [InlineData("""{"capabilities":{"pgsizes":true}}""", "pgsizes")]
    [InlineData("""{"capabilities":{"max_dma_maps":null}}""", "max_dma_maps")]
    [InlineData("""{"capabilities":{"migration":3}}""", "migration")]
    [InlineData("""{"capabilities":{"twin_socket":"yes"}}""", "twin_socket")]
    [InlineData("""{"capabilities":[]}""", "capabilities")]
    [InlineData("""[1,2]""", "not an object")]
    [InlineData("""{"capabilities":{"max_msg_fds":1,"max_msg_fds":2}}""", "JSON")]
    [InlineData("""{"capabilities":""", "JSON")]
    [InlineData("\u0001", "JSON")]
    public void MalformedCapabilitiesAreRefusedNamingWhatIsWrong(string json, string named)
    {
        var fake = Fake(capabilities: json);
        var e = Fails<InvalidDataException>(() => Client(fake));
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void VersionDataWithoutItsNulIsRefused()
    {
        var fake = Fake((s, r) =>
        {
            if (r.Command != VfioUserCommand.Version)
                return false;
            s.Reply(r, [0, 0, 1, 0, .. "{}"u8]);
            return true;
        });
        Assert.Contains("NUL", Fails<InvalidDataException>(() => Client(fake)).Message);
    }

    [Fact]
    public void UnknownCapabilitiesAreLeftAlone()
    {
        var fake = Fake(capabilities: """{"capabilities":{"max_msg_fds":2,"future_thing":{"x":[1]},"write_multiple":false},"other":1}""");
        Assert.Equal(2, Client(fake).ServerCapabilities.MaxMsgFds);
    }

    [Fact]
    public void ASynchronousModelHasEveryWriteAwaitedAndItsDmaCompletedByARoundTrip()
    {
        // Proposed by the client, answered true by a server of QEMU's models (QemuNic.SynchronousModel).
        var hardware = Fake();
        var client = Client(hardware);
        Assert.True(Proposed(hardware, VfioUserCapabilities.SynchronousModelName));
        Assert.False(client.ServerCapabilities.SynchronousModel);
        int before = hardware.Requests.Count;
        client.WriteBar(1, 0, 4, 1); // posted, as PCI memory writes are
        client.CompleteDma();        // nothing to wait for: a device orders its own DMA
        Assert.Equal(1UL, client.ReadBar(1, 0, 4));
        Assert.True(hardware.Requests[before].Header.WantsNoReply);
        Assert.Equal(before + 2, hardware.Requests.Count);

        string name = VfioUserCapabilities.SynchronousModelName;
        var model = Fake(capabilities: "{\"capabilities\":{\"max_msg_fds\":8,\"" + name + "\":true}}");
        client = Client(model);
        Assert.True(client.ServerCapabilities.SynchronousModel);
        before = model.Requests.Count;
        client.WriteBar(1, 0, 4, 2);
        client.CompleteDma();
        Assert.False(model.Requests[before].Header.WantsNoReply); // the write waited for its reply
        Assert.Equal(VfioUserCommand.RegionRead, model.Requests[before + 1].Command); // the round trip
        Assert.Equal(VfioAbi.RegionConfig, model.Requests[before + 1].Region);
        Assert.Equal(2u, model.Register(1, 0));

        Assert.Contains(name, Fails<InvalidDataException>(() => Client(Fake(capabilities: "{\"capabilities\":{\"" + name + "\":1}}"))).Message);
        AssertStillHealthy();
    }

    // Whether the client's VERSION proposed capability <paramref name="name"/> as true.
    private static bool Proposed(FakeVfioUserServer fake, string name)
    {
        using var json = System.Text.Json.JsonDocument.Parse(fake.Requests[0].Payload.AsMemory(4, fake.Requests[0].Payload.Length - 5));
        return json.RootElement.GetProperty("capabilities").GetProperty(name).GetBoolean();
    }

    [Fact]
    public void StringIoToAServerWithoutRepeatedAccessIsOneRegionAccessPerRegisterAccess()
    {
        // The client proposes linuxshim_repeated_access; a server that does not answer it (libvfio-user, the fake)
        // gets rep outsl / rep insl as one REGION_WRITE / REGION_READ per access, in order, to the one register.
        var plain = Fake();
        var client = Client(plain);
        Assert.True(Proposed(plain, VfioUserCapabilities.RepeatedAccessName));
        Assert.False(client.ServerCapabilities.RepeatedAccess);
        int before = plain.Requests.Count;
        client.WriteBarRepeated(0, 4, 4, [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        Assert.Equal(3u, plain.Register(0, 4)); // the last write stays
        var data = new byte[8];
        client.ReadBarRepeated(0, 4, 4, data);
        Assert.Equal([3, 0, 0, 0, 3, 0, 0, 0], data);
        var sent = plain.Requests.Skip(before).ToList();
        Assert.Equal([.. Enumerable.Repeat(VfioUserCommand.RegionWrite, 3), .. Enumerable.Repeat(VfioUserCommand.RegionRead, 2)], sent.Select(r => r.Command));
        Assert.All(sent, r => Assert.Equal(0, r.Region));
        Assert.Throws<ArgumentException>(() => client.ReadBarRepeated(0, 4, 4, new byte[6])); // not whole accesses
        AssertStillHealthy();
    }

    [Fact]
    public void TheServersLimitsAreHonouredBeforeAnythingIsSent()
    {
        using var memory = SharedMemory.Create("hostile-dma", 1 << 16);

        // max_msg_fds 0: a DMA window (its memfd) cannot be sent.
        var noFds = Fake(capabilities: """{"capabilities":{"max_msg_fds":0}}""");
        var client = Client(noFds);
        Assert.Contains("at most 0", Assert.Throws<IOException>(() => client.MapDma(0x10000, 1 << 16, memory.Handle, 0, memory.Address, true)).Message);
        Assert.DoesNotContain(noFds.Requests, r => r.Command == VfioUserCommand.DmaMap);
        Assert.Null(client.Failure); // refusing to send is no failure of the device

        // max_data_xfer_size 4: an 8-byte register access would exceed it; a 4-byte one does not.
        var small = Fake(capabilities: """{"capabilities":{"max_data_xfer_size":4}}""");
        client = Client(small);
        int before = small.Requests.Count;
        Assert.Contains("max_data_xfer_size of 4", Assert.Throws<IOException>(() => client.ReadBar(1, 0, 8)).Message);
        Assert.Throws<IOException>(() => client.WriteBar(1, 0, 8, 0));
        Assert.Equal(before, small.Requests.Count);
        client.WriteBar(1, 0, 4, 0xbeef);
        Assert.Equal(0xbeefUL, client.ReadBar(1, 0, 4));
        Assert.All(small.Requests, r => Assert.True(r.Command is not (VfioUserCommand.RegionRead or VfioUserCommand.RegionWrite) || r.Count <= 4));

        // max_dma_maps 1 and pgsizes 8 KiB: one window, aligned to 8 KiB.
        var few = Fake(capabilities: """{"capabilities":{"max_dma_maps":1,"pgsizes":24576,"max_msg_fds":1}}""");
        client = Client(few);
        Assert.Contains("8192", Assert.Throws<IOException>(() => client.MapDma(0x1000, 0x2000, memory.Handle, 0, memory.Address, true)).Message);
        client.MapDma(0x2000, 0x2000, memory.Handle, 0, memory.Address, true);
        Assert.Contains("at most 1", Assert.Throws<IOException>(() => client.MapDma(0x8000, 0x2000, memory.Handle, 0x2000, memory.Address + 0x2000, true)).Message);
        Assert.Single(few.Requests, r => r.Command == VfioUserCommand.DmaMap);
        Assert.Equal(1, few.Requests.Single(r => r.Command == VfioUserCommand.DmaMap).Descriptors);
        AssertStillHealthy();
    }

    // ---- replies ----

    public static TheoryData<string> BadRegionReplies => ["offset", "region", "count", "short", "long", "empty"];

    [Theory]
    [MemberData(nameof(BadRegionReplies))]
    public void ARegionReadReplyMustRepeatItsRequestAndCarryExactlyCountBytes(string flaw)
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            byte[] reply = [.. r.Payload, 1, 2, 3, 4];
            switch (flaw)
            {
                case "offset": reply[0] ^= 4; break;
                case "region": reply[8] = 0; break;
                case "count": reply[12] = 2; break;
                case "short": reply = reply[..^1]; break;
                case "long": reply = [.. reply, 5]; break;
                case "empty": reply = []; break;
            }
            s.Reply(r, reply);
        }));
        var client = Client(fake);
        var e = Fails<InvalidDataException>(() => client.ReadBar(1, 0x10, 4));
        Assert.Contains("RegionRead", e.Message);
        AssertDead(client);
        AssertStillHealthy();
    }

    [Fact]
    public void ARegionWriteReplyMustRepeatItsRequest()
    {
        var fake = Fake((s, r) =>
        {
            if (r.Command != VfioUserCommand.RegionWrite || r.Region != 0)
                return false;
            s.Reply(r, [.. r.Payload.AsSpan(0, 12), 9, 0, 0, 0]); // says it wrote 9 bytes
            return true;
        });
        var client = Client(fake);
        Assert.Contains("RegionWrite", Fails<InvalidDataException>(() => client.WriteBar(0, 0, 4, 1)).Message); // I/O BAR: not posted
        AssertDead(client);
    }

    public static TheoryData<string> WrongReplies => ["id", "command", "unsolicited", "type"];

    [Theory]
    [MemberData(nameof(WrongReplies))]
    public void RepliesThatAnswerSomethingElseKillTheFunction(string flaw)
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            byte[] honest = [.. r.Payload, 1, 2, 3, 4];
            var h = r.Header;
            switch (flaw)
            {
                case "id":
                    s.Send(new VfioUserHeader((ushort)(h.MessageId + 1), h.Command, 0, VfioUserHeader.TypeReply, 0), honest);
                    break;
                case "command":
                    s.Send(new VfioUserHeader(h.MessageId, (ushort)VfioUserCommand.RegionWrite, 0, VfioUserHeader.TypeReply, 0), honest.AsSpan(0, 16));
                    break;
                case "unsolicited": // a reply to an earlier request comes first, then the right one
                    s.Send(new VfioUserHeader((ushort)(h.MessageId - 1), h.Command, 0, VfioUserHeader.TypeReply, 0), honest);
                    s.Reply(r, honest);
                    break;
                case "type":
                    s.Send(new VfioUserHeader(h.MessageId, h.Command, 0, 5, 0), honest);
                    break;
            }
        }));
        var client = Client(fake);
        var e = Fails<InvalidDataException>(() => client.ReadBar(1, 0, 4));
        Assert.Contains("RegionRead", e.Message);
        AssertDead(client);
        AssertStillHealthy();
    }

    [Fact]
    public void AnErrorReplyIsAnErrorOfThatAccessOnly()
    {
        int calls = 0;
        var fake = Fake(OnBar1Read((s, r) =>
        {
            if (calls++ == 0)
                s.ReplyError(r, EINVAL);
            else
                s.Answer(r);
        }));
        var client = Client(fake);
        var e = Fails<VfioUserException>(() => client.ReadBar(1, 0, 4));
        Assert.Equal(EINVAL, e.Errno);
        Assert.Equal(VfioUserCommand.RegionRead, e.Command);
        Assert.Null(client.Failure);
        Assert.Equal(0UL, client.ReadBar(1, 0, 4)); // still alive
    }

    [Fact]
    public void AnErrorReplyWithAPayloadIsMalformed()
    {
        var fake = Fake(OnBar1Read((s, r) => s.ReplyError(r, EINVAL, [1, 2, 3])));
        var client = Client(fake);
        Assert.Contains("error reply carries 3 bytes", Fails<InvalidDataException>(() => client.ReadBar(1, 0, 4)).Message);
        AssertDead(client);
    }

    [Fact]
    public void AReplyCarryingDescriptorsIsMalformedAndTheyAreClosed()
    {
        using var gift = new EventFd();
        var fake = Fake(OnBar1Read((s, r) => s.Send(new VfioUserHeader(r.Header.MessageId, r.Header.Command, 0, VfioUserHeader.TypeReply, 0),
            [.. r.Payload, 0, 0, 0, 0], [gift.Handle, gift.Handle])));
        var client = Client(fake);
        Assert.Contains("2 descriptors", Fails<InvalidDataException>(() => client.ReadBar(1, 0, 4)).Message);
        AssertDead(client);
    }

    [Fact]
    public void GarbageEndsTheFunction()
    {
        var fake = Fake(OnBar1Read((s, _) =>
        {
            var junk = new byte[64];
            new Random(1).NextBytes(junk);
            BinaryPrimitives.WriteUInt32LittleEndian(junk.AsSpan(4), 64);
            BinaryPrimitives.WriteUInt32LittleEndian(junk.AsSpan(8), 0xdeadbee7); // type 7
            s.SendRaw(junk);
        }));
        var client = Client(fake);
        Assert.Contains("header.flags: 0xdeadbee7 has bits outside 0x3f", Fails<InvalidDataException>(() => client.ReadBar(1, 0, 4)).Message);
        AssertDead(client);
        AssertStillHealthy();
    }

    [Theory]
    [InlineData(0xffffffffu)]
    [InlineData((1u << 20) + 64)]
    [InlineData(15u)]
    [InlineData(0u)]
    public void AnImpossibleMessageSizeIsRefusedAtOnceWithoutAllocatingIt(uint size)
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            var head = new byte[16];
            new VfioUserHeader(r.Header.MessageId, r.Header.Command, size, VfioUserHeader.TypeReply, 0).Write(head);
            s.SendRaw(head); // and nothing after it
        }));
        var client = Client(fake);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Fails<InvalidDataException>(() => client.ReadBar(1, 0, 4), TimeSpan.Zero);
        Assert.Contains(size < 16 ? $"header.message_size: {size} is below 16" : $"message size {size}", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 256 << 10, "the client allocated for the announced size");
        AssertDead(client);
    }

    [Fact]
    public void AServerThatClosesEndsTheFunction()
    {
        var fake = Fake(OnBar1Read((s, _) => s.Close()));
        var client = Client(fake);
        var e = Fails<EndOfStreamException>(() => client.ReadBar(1, 0, 4), TimeSpan.Zero);
        Assert.Contains("closed the connection", e.Message);
        AssertDead(client);
    }

    [Fact]
    public void AServerThatClosesInsideAReplyEndsTheFunction()
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            var frame = new byte[16 + 20];
            new VfioUserHeader(r.Header.MessageId, r.Header.Command, 36, VfioUserHeader.TypeReply, 0).Write(frame);
            s.SendRaw(frame.AsSpan(0, 25));
            s.Close();
        }));
        var client = Client(fake);
        Assert.Contains("inside a message", Fails<EndOfStreamException>(() => client.ReadBar(1, 0, 4), TimeSpan.Zero).Message);
        AssertDead(client);
    }

    [Fact]
    public void ANeverComingReplyTimesOutAndTheFunctionIsDead()
    {
        var fake = Fake(OnBar1Read((_, _) => { }));
        var client = Client(fake);
        var clock = Stopwatch.StartNew();
        var e = Fails<VfioUserException>(() => client.ReadBar(1, 0, 4));
        Assert.True(clock.Elapsed >= Timeout - TimeSpan.FromMilliseconds(20), $"gave up after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(ETIMEDOUT, e.Errno);
        Assert.Contains("no reply within 300 ms", client.Failure);
        AssertDead(client);
        // The server is told: the client shut the connection down.
        Assert.True(fake.ClientSends(2000));
        AssertStillHealthy();
    }

    [Fact]
    public void AReplyTrickledOneByteAtATimeIsReadWithinTheTimeout()
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            byte[] frame = new byte[16 + 16 + 4];
            new VfioUserHeader(r.Header.MessageId, r.Header.Command, 36, VfioUserHeader.TypeReply, 0).Write(frame);
            r.Payload.CopyTo(frame, 16);
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(32), 0x12345678);
            foreach (byte b in frame)
                s.SendRaw([b]);
        }));
        var client = Client(fake, TimeSpan.FromSeconds(5));
        Assert.Equal(0x12345678UL, client.ReadBar(1, 0, 4));
    }

    [Fact]
    public void AReplyTrickledTooSlowlyTimesOut()
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            byte[] frame = new byte[16 + 16 + 4];
            new VfioUserHeader(r.Header.MessageId, r.Header.Command, 36, VfioUserHeader.TypeReply, 0).Write(frame);
            r.Payload.CopyTo(frame, 16);
            try
            {
                // One byte every 50 ms: each arrives well within the timeout, the whole reply never does.
                foreach (byte b in frame)
                {
                    s.SendRaw([b]);
                    Thread.Sleep(50);
                }
            }
            catch (IOException)
            {
                // the client gave up and shut the connection
            }
        }));
        var client = Client(fake);
        Assert.Equal(ETIMEDOUT, Fails<VfioUserException>(() => client.ReadBar(1, 0, 4)).Errno);
        Assert.Contains("bytes arrived", client.Failure);
    }

    [Theory]
    [InlineData(99)] // unknown command: ENOSYS each time
    [InlineData(11)] // DMA_READ outside any window: EFAULT each time
    public void AFloodOfServerCommandsEndsInATimeout(int command)
    {
        long answered = 0;
        var fake = Fake(OnBar1Read((s, _) =>
        {
            try
            {
                byte[] read = new byte[16];
                BinaryPrimitives.WriteUInt64LittleEndian(read, 0x1000);
                BinaryPrimitives.WriteUInt64LittleEndian(read.AsSpan(8), 4);
                for (ushort id = 0; ; id++)
                {
                    s.SendCommand(id, (ushort)command, command == 11 ? read : []);
                    var (h, _) = s.ReceiveFromClient();
                    Assert.True(h.IsReply && h.IsError && h.MessageId == id);
                    Assert.Equal(command == 11 ? (uint)EFAULT : (uint)ENOSYS, h.Error);
                    answered++;
                }
            }
            catch (IOException)
            {
                // the client gave up on the request and shut the connection
            }
        }));
        var client = Client(fake);
        Assert.Equal(ETIMEDOUT, Fails<VfioUserException>(() => client.ReadBar(1, 0, 4)).Errno);
        output.WriteLine($"{answered} commands answered, {client.ServerCommands} seen, failure: {client.Failure}, fake: {fake.Error}");
        Assert.True(answered > 10, $"only {answered} commands answered");
        Assert.Contains("server commands answered meanwhile", client.Failure);
        AssertDead(client);
        AssertStillHealthy();
    }

    [Fact]
    public void AFloodOfUnsolicitedRepliesEndsAtTheFirst()
    {
        var fake = Fake(OnBar1Read((s, r) =>
        {
            try
            {
                for (int i = 0; i < 10_000; i++)
                    s.Send(new VfioUserHeader((ushort)(r.Header.MessageId + 1 + i), r.Header.Command, 0, VfioUserHeader.TypeReply, 0), []);
            }
            catch (IOException)
            {
            }
        }));
        var client = Client(fake);
        Fails<InvalidDataException>(() => client.ReadBar(1, 0, 4), TimeSpan.Zero);
        AssertDead(client);
    }

    [Fact]
    public void AServerThatStopsReadingCannotBlockPostedWrites()
    {
        using var reading = new ManualResetEventSlim();
        var fake = Fake((_, r) =>
        {
            if (r.Command != VfioUserCommand.RegionWrite || r.Region != 1)
                return false;
            reading.Wait(TimeSpan.FromSeconds(30)); // stops reading anything
            return true;
        });
        var client = Client(fake);
        var clock = Stopwatch.StartNew();
        int posted = 0;
        var e = Assert.ThrowsAny<Exception>(() =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                client.WriteBar(1, 0, 4, (ulong)posted);
                posted++;
            }
        });
        reading.Set();
        output.WriteLine($"{posted} posted writes, then after {clock.ElapsedMilliseconds} ms: {e.Message}");
        Assert.IsType<VfioUserException>(e);
        Assert.Equal(ETIMEDOUT, ((VfioUserException)e).Errno);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the writes never blocked");
        AssertDead(client);
    }

    // ---- DMA_READ and DMA_WRITE from the server ----

    [Fact]
    public void DmaReadsAndWritesFromTheServerAreServedFromTheMappedWindows()
    {
        using var memory = SharedMemory.Create("hostile-dma", 2 << 16);
        const ulong Rw = 0x100000, Ro = 0x200000;
        var results = new List<string>();
        var fake = Fake(OnBar1Read((s, r) =>
        {
            // While the client waits for this reply, the device reads and writes its memory.
            results.Add(DmaWrite(s, 1, Rw + 0x100, "hello, host"u8, noReply: false));
            results.Add(DmaRead(s, 2, Rw + 0x100, 11));
            results.Add(DmaRead(s, 3, Rw + 0xfffe, 4)); // runs off the end of the window
            results.Add(DmaRead(s, 4, 0x1000, 4)); // in no window
            results.Add(DmaWrite(s, 5, Ro, "x"u8, noReply: false)); // read-only window
            results.Add(DmaRead(s, 6, Ro + 8, 3));
            results.Add(DmaRead(s, 7, Rw, 0)); // nothing to read
            s.SendCommand(8, 99, []);
            var (h, _) = s.ReceiveFromClient();
            results.Add($"{h.MessageId} {(h.IsError ? h.Error : 0)}");
            DmaWrite(s, 9, Rw + 0x200, "quiet"u8, noReply: true); // executed, not answered
            byte[] bad = new byte[16 + 3];
            BinaryPrimitives.WriteUInt64LittleEndian(bad, Rw);
            BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(8), 4); // says 4, carries 3
            s.SendCommand(10, (ushort)VfioUserCommand.DmaWrite, bad);
            (h, _) = s.ReceiveFromClient();
            results.Add($"{h.MessageId} {(h.IsError ? h.Error : 0)}");
            s.Answer(r);
        }));
        var client = Client(fake);
        memory.AsSpan(0x10000 + 8, 3).Fill(0x5a);
        client.MapDma(Rw, 1 << 16, memory.Handle, 0, memory.Address, writable: true);
        client.MapDma(Ro, 1 << 16, memory.Handle, 1 << 16, memory.Address + (1 << 16), writable: false);
        Assert.Equal(0UL, client.ReadBar(1, 0, 4));
        Assert.Null(fake.Error);
        Assert.Equal([
            $"1 ok {Rw + 0x100:x}+11",
            $"2 ok {Rw + 0x100:x}+11 68656C6C6F2C20686F7374",
            $"3 error {EFAULT}",
            $"4 error {EFAULT}",
            $"5 error {EPERM}",
            $"6 ok {Ro + 8:x}+3 5A5A5A",
            $"7 error {EINVAL}",
            $"8 {ENOSYS}",
            $"10 {EINVAL}",
        ], results);
        Assert.Equal("hello, host"u8.ToArray(), memory.AsSpan(0x100, 11).ToArray());
        Assert.Equal("quiet"u8.ToArray(), memory.AsSpan(0x200, 5).ToArray());
        Assert.Equal(10, client.ServerCommands);
        Assert.Null(client.Failure);
        // After an unmap the window is gone for the server's commands too.
        client.UnmapDma(Ro, 1 << 16);
        fake.Hostile = OnBar1Read((s, r) =>
        {
            results.Add(DmaRead(s, 11, Ro + 8, 3));
            s.Answer(r);
        });
        client.ReadBar(1, 0, 4);
        Assert.Equal($"11 error {EFAULT}", results[^1]);
    }

    // Sends DMA_READ; "ID ok ADDR+COUNT DATA" or "ID error ERRNO".
    private static string DmaRead(FakeVfioUserServer s, ushort id, ulong address, ulong count)
    {
        byte[] p = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(p, address);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), count);
        s.SendCommand(id, (ushort)VfioUserCommand.DmaRead, p);
        return Describe(s.ReceiveFromClient(), id, (int)count);
    }

    private static string DmaWrite(FakeVfioUserServer s, ushort id, ulong address, ReadOnlySpan<byte> data, bool noReply)
    {
        byte[] p = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(p, address);
        BinaryPrimitives.WriteUInt64LittleEndian(p.AsSpan(8), (ulong)data.Length);
        data.CopyTo(p.AsSpan(16));
        s.SendCommand(id, (ushort)VfioUserCommand.DmaWrite, p, noReply);
        return noReply ? "" : Describe(s.ReceiveFromClient(), id, 0);
    }

    private static string Describe((VfioUserHeader Header, byte[] Payload) reply, ushort id, int data)
    {
        var (h, p) = reply;
        Assert.True(h.IsReply);
        Assert.Equal(id, h.MessageId);
        if (h.IsError)
        {
            Assert.Empty(p);
            return $"{id} error {h.Error}";
        }
        Assert.Equal(16 + data, p.Length);
        string text = $"{id} ok {BinaryPrimitives.ReadUInt64LittleEndian(p):x}+{BinaryPrimitives.ReadUInt64LittleEndian(p.AsSpan(8))}";
        return data > 0 ? $"{text} {Convert.ToHexString(p.AsSpan(16))}" : text;
    }

    // ---- the driver host against a device that turns hostile ----

    [Theory]
    [InlineData(VfioUserProxy.Sabotage.Garbage, "neither command nor reply")]
    [InlineData(VfioUserProxy.Sabotage.Silence, "no reply within 500 ms")]
    [InlineData(VfioUserProxy.Sabotage.Close, "closed the connection")]
    public void TheDriverHostEndsWithOneClearLineWhenItsDeviceTurnsHostile(VfioUserProxy.Sabotage sabotage, string why)
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        using var nic = new Rtl8139Nic(MacAddress.Parse("02:4c:53:00:ba:d1"));
        using var server = new VfioUserServer(nic);
        using var proxy = new VfioUserProxy(server, Path.Combine(dir, "nic.sock"));
        var log = new StringWriter();
        using var host = ChildProcess.Start("host", ["host", library, "--vfio-user", proxy.SocketPath, "--up", "--device-timeout-ms", "500"], TextWriter.Synchronized(log));
        try
        {
            host.WaitForLine("open eth0 0", TimeSpan.FromSeconds(60));
            proxy.Next = sabotage;
            // The driver's interrupt handler reads the NIC's status: that read meets the sabotage.
            var clock = Stopwatch.StartNew();
            while (!proxy.Sabotaged.IsSet && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                proxy.RaiseIntx();
                proxy.Sabotaged.Wait(10);
            }
            Assert.True(proxy.Sabotaged.IsSet, "the host made no register access");
            clock.Restart();
            bool ended = host.WaitForExit(10_000);
            output.WriteLine($"{sabotage}: host ended {clock.ElapsedMilliseconds} ms after the sabotage, status {(ended ? host.ExitCode : -1)}");
            Assert.True(ended, $"the host did not end\n{log}");
            Assert.Equal(HostExit.DeviceFailed, host.ExitCode);
            var line = Assert.Single(host.Lines, l => l.StartsWith("linuxshim-host: device vfio-user ", StringComparison.Ordinal));
            output.WriteLine(line);
            Assert.Contains(why, line);
            Assert.DoesNotContain(host.Lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
        }
        finally
        {
            output.WriteLine(log.ToString());
        }
    }

    [Fact]
    public void ADriverHostRefusesADeviceSpeakingAnotherVersion()
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        string socket = Path.Combine(dir, "old.sock");
        using var listener = UnixSocket.Listen(socket);
        var serving = new Thread(() =>
        {
            using var c = listener.Accept(60_000);
            if (c is null)
                return;
            var conn = new VfioUserConnection(c);
            if (conn.Receive() is { } m)
                conn.Send(m.Header with { Flags = VfioUserHeader.TypeReply }, [1, 0, 0, 0]); // 1.0
            c.WaitReadable(10_000);
        }) { IsBackground = true };
        serving.Start();
        var log = new StringWriter();
        using var host = ChildProcess.Start("host", ["host", library, "--vfio-user", socket, "--up"], TextWriter.Synchronized(log));
        Assert.True(host.WaitForExit(60_000), log.ToString());
        serving.Join(10_000);
        output.WriteLine(log.ToString());
        Assert.Equal(Cli.ExitFailure, host.ExitCode);
        Assert.Contains(host.Lines, l => l.StartsWith($"linuxshim: vfio-user device at {socket}: vfio-user Version: the server answered protocol version 1.0", StringComparison.Ordinal));
    }
    // ---- mapped registers and doorbells the server offers ----

    // A GET_REGION_IO_FDS reply for BAR 1 with one shadow-ioeventfd sub-region.
    private static byte[] IoFds(uint bar, ulong offset, ulong size, uint type = LinuxShim.VfioUser.VfioAbi.IoFdTypeIoeventfdShadow)
    {
        var p = new byte[16 + 48];
        new LinuxShim.VfioUser.VfioUserRegionIoFds(64, 0, bar, 1).Encode(p);
        new LinuxShim.VfioUser.VfioUserSubRegionIoFd(offset, size, 0, type, 0, 1, 0, 0).Encode(p.AsSpan(16));
        return p;
    }

    [Theory]
    [InlineData("pipe", 0x40ul, 4ul)]           // the "eventfd" is a pipe
    [InlineData("unsealed", 0x40ul, 4ul)]       // shadow memory that could shrink under the client
    [InlineData("outside", 0x1000ul, 4ul)]      // past the BAR's 4 KiB
    [InlineData("misaligned", 0x42ul, 4ul)]
    [InlineData("odd size", 0x40ul, 3ul)]
    public void HostileDoorbellsAreNotUsedAndTheRegisterStaysReachableByMessages(string kind, ulong offset, ulong size)
    {
        int[] pipe = new int[2];
        var fake = Fake((s, r) =>
        {
            if (r.Command != LinuxShim.VfioUser.VfioUserCommand.DeviceGetRegionIoFds || BinaryPrimitives.ReadUInt32LittleEndian(r.Payload.AsSpan(8)) != 1)
                return false;
            using var efd = new EventFd();
            using var shadow = kind == "unsealed" ? null : SharedMemory.Create("hostile-shadow", 4096);
            int memory = kind == "unsealed" ? Libc.MemfdCreate("unsealed", Libc.MFD_CLOEXEC) : shadow!.Handle;
            if (kind == "unsealed")
                Libc.Ftruncate(memory, 4096);
            unsafe
            {
                fixed (int* fds = pipe)
                    Libc.Pipe2(fds, Libc.O_CLOEXEC);
            }
            s.ReplyWithFds(r, IoFds(1, offset, size), [kind == "pipe" ? pipe[1] : efd.Handle, memory]);
            if (kind == "unsealed")
                Libc.Close(memory);
            Libc.Close(pipe[0]);
            Libc.Close(pipe[1]);
            return true;
        });
        var client = Client(fake);
        output.WriteLine(string.Join("\n", client.Mapped.Notes));
        Assert.Equal(0, client.Mapped.Doorbells);
        Assert.Single(client.Mapped.Notes);
        int before = fake.Requests.Count;
        client.WriteBar(1, 0x40, 4, 0x12345678);
        Assert.Equal(0x12345678ul, client.ReadBar(1, 0x40, 4));
        Assert.Equal(0x12345678u, fake.Register(1, 0x40));
        Assert.Contains(fake.Requests.Skip(before), q => q.Command == LinuxShim.VfioUser.VfioUserCommand.RegionWrite);
        Assert.Null(client.Failure);
    }

    [Fact]
    public void AnHonestDoorbellIsAStoreAndASignalNotAMessage()
    {
        var shadow = SharedMemory.Create("fake-shadow", 4096);
        var bell = new EventFd();
        owned.Add(shadow);
        owned.Add(bell);
        var fake = Fake((s, r) =>
        {
            if (r.Command != LinuxShim.VfioUser.VfioUserCommand.DeviceGetRegionIoFds || BinaryPrimitives.ReadUInt32LittleEndian(r.Payload.AsSpan(8)) != 1)
                return false;
            s.ReplyWithFds(r, IoFds(1, 0x40, 4), [bell.Handle, shadow.Handle]);
            return true;
        });
        var client = Client(fake);
        Assert.Equal(1, client.Mapped.Doorbells);
        int before = fake.Requests.Count;
        client.WriteBar(1, 0x40, 4, 0xABCD0123);
        Assert.Equal(1ul, bell.Consume());
        Assert.Equal(0xABCD0123u, BinaryPrimitives.ReadUInt32LittleEndian(shadow.AsSpan(0, 4)));
        client.WriteBar(1, 0x44, 4, 7); // not a doorbell: a message
        Assert.Equal(7ul, client.ReadBar(1, 0x44, 4));
        Assert.Contains(fake.Requests.Skip(before), q => q.Command == LinuxShim.VfioUser.VfioUserCommand.RegionWrite && q.Offset == 0x44);
        Assert.DoesNotContain(fake.Requests.Skip(before), q => q.Command == LinuxShim.VfioUser.VfioUserCommand.RegionWrite && q.Offset == 0x40);
    }

    [Theory]
    [InlineData("unsealed")]
    [InlineData("outside")]
    [InlineData("loop")]
    public void HostileMappedPagesAreNotUsed(string kind)
    {
        var fake = Fake((s, r) =>
        {
            if (r.Command != LinuxShim.VfioUser.VfioUserCommand.DeviceGetRegionInfo || BinaryPrimitives.ReadUInt32LittleEndian(r.Payload.AsSpan(8)) != 1)
                return false;
            uint argsz = BinaryPrimitives.ReadUInt32LittleEndian(r.Payload);
            var info = new byte[64];
            uint flags = LinuxShim.VfioUser.VfioAbi.RegionInfoFlagRead | LinuxShim.VfioUser.VfioAbi.RegionInfoFlagWrite
                | LinuxShim.VfioUser.VfioAbi.RegionInfoFlagMmap | LinuxShim.VfioUser.VfioAbi.RegionInfoFlagCaps;
            new LinuxShim.VfioUser.VfioUserRegionInfo(64, flags, 1, argsz < 64 ? 0u : 32u, 4096, 0).Encode(info);
            if (argsz < 64)
            {
                s.Reply(r, info.AsSpan(0, 32));
                return true;
            }
            new LinuxShim.VfioUser.VfioInfoCapHeader(kind == "loop" ? (ushort)3 : (ushort)1, 1, kind == "loop" ? 32u : 0u).Encode(info.AsSpan(32));
            new LinuxShim.VfioUser.VfioRegionSparseMmap(kind == "loop" ? 0u : 1u, 0).Encode(info.AsSpan(40));
            new LinuxShim.VfioUser.VfioRegionSparseArea(kind == "outside" ? 0x1000ul : 0, 0x1000).Encode(info.AsSpan(48));
            using var sealedMemory = SharedMemory.Create("fake-bar", 4096);
            int memory = kind == "unsealed" ? Libc.MemfdCreate("unsealed", Libc.MFD_CLOEXEC) : sealedMemory.Handle;
            if (kind == "unsealed")
                Libc.Ftruncate(memory, 4096);
            s.ReplyWithFds(r, info, [memory]);
            if (kind == "unsealed")
                Libc.Close(memory);
            return true;
        });
        var client = Client(fake);
        output.WriteLine(string.Join("\n", client.Mapped.Notes));
        Assert.Equal(0, client.Mapped.Areas);
        client.WriteBar(1, 0x40, 4, 0x0BADF00D);
        Assert.Equal(0x0BADF00Dul, client.ReadBar(1, 0x40, 4));
        Assert.Null(client.Failure);
        Assert.Single(client.Mapped.Notes);
    }
    [Fact]
    public void AWholeMappableBarIsMappedAsLibvfioUserOffersIt()
    {
        // As libvfio-user answers: MMAP without the CAPS flag in the short reply (argsz 32 already enough: no capability),
        // the region's descriptor with every reply, as the specification says it comes whenever MMAP is set.
        var memory = SharedMemory.Create("fake-bar1", 4096);
        owned.Add(memory);
        BinaryPrimitives.WriteUInt32LittleEndian(memory.AsSpan(0x48, 4), 0x600DF00D);
        var fake = Fake((s, r) =>
        {
            if (r.Command != LinuxShim.VfioUser.VfioUserCommand.DeviceGetRegionInfo || BinaryPrimitives.ReadUInt32LittleEndian(r.Payload.AsSpan(8)) != 1)
                return false;
            var info = new byte[32];
            uint flags = LinuxShim.VfioUser.VfioAbi.RegionInfoFlagRead | LinuxShim.VfioUser.VfioAbi.RegionInfoFlagWrite | LinuxShim.VfioUser.VfioAbi.RegionInfoFlagMmap;
            new LinuxShim.VfioUser.VfioUserRegionInfo(32, flags, 1, 0, 4096, 0).Encode(info);
            s.ReplyWithFds(r, info, [memory.Handle]);
            return true;
        });
        var client = Client(fake);
        Assert.Equal(1, client.Mapped.Areas);
        int before = fake.Requests.Count;
        Assert.Equal(0x600DF00Dul, client.ReadBar(1, 0x48, 4));
        client.WriteBar(1, 0x4C, 4, 0x12121212);
        Assert.Equal(0x12121212u, BinaryPrimitives.ReadUInt32LittleEndian(memory.AsSpan(0x4C, 4)));
        Assert.Equal(before, fake.Requests.Count); // neither was a message
        Assert.Null(client.Failure);
    }
}
