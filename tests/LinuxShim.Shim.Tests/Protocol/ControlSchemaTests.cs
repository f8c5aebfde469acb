// SPDX-License-Identifier: MIT
// Tests of the control protocol's generated parsers and writers (shim/Protocol/control.protocol.json):
// every kind of constraint is refused with the field named, valid messages round-trip through the
// writer and the parser unchanged, Validate checks messages built in code with the same rules, and
// NetifChannel checks descriptors against the message they came with.
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Protocol;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Tests.Protocol;

public sealed class ControlSchemaTests
{
    private const string Link = "\"link\":{\"up\":true,\"carrier\":false,\"duplex\":\"unknown\"}";
    private const string Counters = "\"statistics\":{},\"driver_statistics\":{},\"netif\":{}";
    private const string Strings = "\"driver\":\"\",\"version\":\"\",\"firmware\":\"\",\"bus_info\":\"\",\"attached\":false";

    private static string Interface(string name = "\"eth0\"", string mac = "\"52:54:00:12:34:56\"", string mtu = "1500",
        string link = Link, string counters = Counters) =>
        $"{{\"name\":{name},\"mac\":{mac},\"mtu\":{mtu},{link},{Strings},{counters}}}";

    private static string Reject<T>(string json, int descriptors = 0) where T : class, IControlMessage<T> => Reject<T>(Encoding.UTF8.GetBytes(json), descriptors);

    private static string Reject<T>(byte[] json, int descriptors = 0) where T : class, IControlMessage<T>
    {
        Assert.False(T.TryParse(json, descriptors, out var message, out string? error), $"accepted: {Encoding.UTF8.GetString(json)}");
        Assert.Null(message);
        return error;
    }

    [Theory]
    // enum values, per-op presence, forbidden fields
    [InlineData("{\"op\":\"launch\"}", "NetifRequest.op: 'launch' is not one of show, attach, detach, up, down, set_mtu, set_mac")]
    [InlineData("{\"op\":\"SHOW\"}", "NetifRequest.op: 'SHOW' is not one of")]
    [InlineData("{\"op\":\"up\"}", "NetifRequest.interface: missing (op up needs it)")]
    [InlineData("{\"op\":\"set_mtu\",\"interface\":\"eth0\"}", "NetifRequest.mtu: missing (op set_mtu needs it)")]
    [InlineData("{\"op\":\"show\",\"mtu\":1500}", "NetifRequest.mtu: not allowed when op is show")]
    [InlineData("{\"op\":\"detach\",\"interface\":\"eth0\"}", "NetifRequest.interface: not allowed when op is detach")]
    // lengths and character sets
    [InlineData("{\"op\":\"up\",\"interface\":\"abcdefghijklmnop\"}", "NetifRequest.interface: longer than 15 bytes")]
    [InlineData("{\"op\":\"up\",\"interface\":\"\"}", "NetifRequest.interface: empty")]
    [InlineData("{\"op\":\"up\",\"interface\":\"eth/0\"}", "NetifRequest.interface: 'eth/0' has a character outside an interface name's")]
    [InlineData("{\"op\":\"up\",\"interface\":\"..\"}", "NetifRequest.interface: '..' is not an interface name")]
    [InlineData("{\"op\":\"up\",\"interface\":\"\\u00e9th0\"}", "NetifRequest.interface: 'éth0' has a character outside")]
    [InlineData("{\"op\":\"up\",\"interface\":\"\\ud800\"}", "NetifRequest.interface: not valid")]
    // ranges and numeric types
    [InlineData("{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":67}", "NetifRequest.mtu: 67 is out of range 68..65535")]
    [InlineData("{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":65536}", "NetifRequest.mtu: 65536 is out of range 68..65535")]
    [InlineData("{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":1500.5}", "NetifRequest.mtu: '1500.5' is not a 64-bit integer")]
    [InlineData("{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":1e400}", "NetifRequest.mtu: '1e400' is not a 64-bit integer")]
    [InlineData("{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":\"1500\"}", "NetifRequest.mtu: expected an integer, got a string")]
    // formats
    [InlineData("{\"op\":\"set_mac\",\"interface\":\"eth0\",\"mac\":\"01:00:5e:00:00:01\"}", "NetifRequest.mac: 01:00:5e:00:00:01 is not a unicast address")]
    [InlineData("{\"op\":\"set_mac\",\"interface\":\"eth0\",\"mac\":\"00:00:00:00:00:00\"}", "NetifRequest.mac: 00:00:00:00:00:00 is not a unicast address")]
    [InlineData("{\"op\":\"set_mac\",\"interface\":\"eth0\",\"mac\":\"52:54:00:12:34\"}", "NetifRequest.mac: not a MAC address")]
    // structure
    [InlineData("{\"op\":\"show\",\"extra\":1}", "NetifRequest: unknown field 'extra'")]
    [InlineData("{\"op\":\"show\",\"op\":\"show\"}", "NetifRequest.op: given twice")]
    [InlineData("{\"op\":null}", "NetifRequest.op: expected a string, got null")]
    [InlineData("{\"op\":[\"show\"]}", "NetifRequest.op: expected a string, got an array")]
    [InlineData("{}", "NetifRequest.op: missing")]
    [InlineData("[]", "NetifRequest: expected an object, got an array")]
    [InlineData("", "NetifRequest: empty message")]
    [InlineData("{\"op\":\"show\"", "NetifRequest: not valid JSON")]
    [InlineData("{\"op\":\"show\",\"mtu\":12x}", "NetifRequest.mtu: not valid JSON")]
    [InlineData("{\"op\":\"show\"}{}", "NetifRequest: not valid JSON")]
    [InlineData("{\"op\":\"show\",}", "NetifRequest: not valid JSON")]
    public void NetifRequestConstraintsAreRefusedNamingTheField(string json, string error) =>
        Assert.StartsWith(error, Reject<NetifRequest>(json));

    [Fact]
    public void DescriptorsMustMatchTheOp()
    {
        Assert.Equal("NetifRequest: 0 descriptors, but op attach carries 5", Reject<NetifRequest>("{\"op\":\"attach\",\"interface\":\"eth0\"}"));
        Assert.Equal("NetifRequest: 1 descriptors, but op show carries 0", Reject<NetifRequest>("{\"op\":\"show\"}", 1));
        Assert.True(NetifRequest.TryParse("{\"op\":\"attach\",\"interface\":\"eth0\"}"u8, NetifOps.AttachDescriptors, out _, out _));
        Assert.Equal("SupervisorMessage: 1 descriptors, but type grant carries 7",
            Reject<SupervisorMessage>("{\"type\":\"grant\",\"library\":\"/x.so\",\"memory_mib\":64}", 1));
        Assert.Equal(7, SupervisorMessageTypes.GrantDescriptors);
    }

    [Fact]
    public void InvalidUtf8IsRefused()
    {
        byte[] json = [.. "{\"op\":\"up\",\"interface\":\"e"u8, 0xff, .. "\"}"u8];
        Assert.Contains("NetifRequest", Reject<NetifRequest>(json));
        byte[] key = [.. "{\"op\":\"show\",\""u8, 0xc0, 0xaf, .. "\":1}"u8];
        Assert.StartsWith("NetifRequest", Reject<NetifRequest>(key));
    }

    [Theory]
    [InlineData("{\"ok\":false}", "NetifReply.error: missing (ok false needs it)")]
    [InlineData("{\"ok\":true,\"error\":\"x\"}", "NetifReply.error: not allowed when ok is true")]
    [InlineData("{\"ok\":false,\"error\":\"x\",\"interfaces\":[]}", "NetifReply.interfaces: not allowed when ok is false")]
    [InlineData("{\"ok\":\"true\"}", "NetifReply.ok: expected true or false, got a string")]
    [InlineData("{\"ok\":false,\"error\":\"a\\u0001b\"}", "NetifReply.error: 'a?b' has a character outside printable characters, tab and newline (U+0001)")]
    public void NetifReplyConstraintsAreRefusedNamingTheField(string json, string error) =>
        Assert.StartsWith(error, Reject<NetifReply>(json));

    [Theory]
    [InlineData("{\"up\":true,\"carrier\":false,\"duplex\":\"sideways\"}", "NetifReply.interfaces[0].link.duplex: 'sideways' is not one of half, full, unknown")]
    [InlineData("{\"up\":true,\"carrier\":true,\"duplex\":\"full\",\"speed_mbps\":-1}", "NetifReply.interfaces[0].link.speed_mbps: -1 is out of range 0..10000000")]
    [InlineData("{\"up\":true,\"carrier\":1,\"duplex\":\"full\"}", "NetifReply.interfaces[0].link.carrier: expected true or false, got a number")]
    [InlineData("{\"up\":true,\"duplex\":\"full\"}", "NetifReply.interfaces[0].link.carrier: missing")]
    [InlineData("{\"up\":true,\"carrier\":false,\"duplex\":\"full\",\"x\":1}", "NetifReply.interfaces[0].link: unknown field 'x'")]
    public void NestedFieldsAreNamedByTheirPath(string link, string error) =>
        Assert.StartsWith(error, Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{Interface(link: "\"link\":" + link)}]}}"));

    [Theory]
    [InlineData("\"statistics\":{\"rx_packets\":-1},\"driver_statistics\":{},\"netif\":{}", "NetifReply.interfaces[1].statistics['rx_packets']: '-1' is not an unsigned 64-bit integer")]
    [InlineData("\"statistics\":{\"rx_packets\":1,\"rx_packets\":2},\"driver_statistics\":{},\"netif\":{}", "NetifReply.interfaces[1].statistics['rx_packets']: given twice")]
    [InlineData("\"statistics\":{\"\":1},\"driver_statistics\":{},\"netif\":{}", "NetifReply.interfaces[1].statistics['']: name: empty")]
    [InlineData("\"statistics\":{},\"driver_statistics\":{},\"netif\":{\"to_driver\":-5}", "NetifReply.interfaces[1].netif['to_driver']: -5 is out of range 0..")]
    [InlineData("\"statistics\":{},\"driver_statistics\":{\"a\":\"1\"},\"netif\":{}", "NetifReply.interfaces[1].driver_statistics['a']: expected an integer, got a string")]
    [InlineData("\"statistics\":[],\"driver_statistics\":{},\"netif\":{}", "NetifReply.interfaces[1].statistics: expected an object, got an array")]
    public void MapsCheckNamesValuesAndDuplicates(string counters, string error) =>
        Assert.StartsWith(error, Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{Interface()},{Interface(counters: counters)}]}}"));

    [Fact]
    public void ListsAndMapsAreBoundedBeforeTheyGrow()
    {
        string many = string.Join(",", Enumerable.Range(0, 65).Select(_ => Interface()));
        Assert.Equal("NetifReply.interfaces: more than 64 items", Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{many}]}}"));
        string stats = string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"s{i}\":1"));
        Assert.Equal("NetifReply.interfaces[0].statistics: more than 64 items",
            Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{Interface(counters: $"\"statistics\":{{{stats}}},\"driver_statistics\":{{}},\"netif\":{{}}")}]}}"));
        string name = new('a', 100_000);
        Assert.Equal("NetifReply.interfaces[0].name: longer than 15 bytes", Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{Interface(name: $"\"{name}\"")}]}}"));
        Assert.StartsWith("NetifReply.interfaces[0].mac: not a MAC address", Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{Interface(mac: "\"52:54\"")}]}}"));
        Assert.StartsWith("NetifReply.interfaces[0].mtu: 65536 is out of range", Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{Interface(mtu: "65536")}]}}"));
        string noLink = $"{{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\",\"mtu\":1500,{Strings},{Counters}}}";
        Assert.Equal("NetifReply.interfaces[0].link: missing", Reject<NetifReply>($"{{\"ok\":true,\"interfaces\":[{noLink}]}}"));
    }

    [Fact]
    public void DeepNestingIsRefusedWithoutRecursing()
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        Assert.Equal("NetifRequest: expected an object, got an array", Reject<NetifRequest>(deep));
        Assert.Equal("NetifRequest.op: expected a string, got an array", Reject<NetifRequest>("{\"op\":" + deep + "}"));
        string objects = string.Concat(Enumerable.Repeat("{\"link\":", 50)) + "1" + new string('}', 50);
        Assert.StartsWith("NetifReply: unknown field 'link'", Reject<NetifReply>(objects));
    }

    [Theory]
    [InlineData("{\"type\":\"hello\",\"pid\":0}", 0, "SupervisorMessage.pid: 0 is out of range 1..4194304")]
    [InlineData("{\"type\":\"hello\"}", 0, "SupervisorMessage.pid: missing (type hello needs it)")]
    [InlineData("{\"type\":\"grant\",\"library\":\"/x.so\",\"memory_mib\":3}", 7, "SupervisorMessage.memory_mib: 3 is out of range 4..4096")]
    [InlineData("{\"type\":\"grant\",\"library\":\"\",\"memory_mib\":64}", 7, "SupervisorMessage.library: empty")]
    [InlineData("{\"type\":\"grant\",\"library\":\"/x.so\",\"memory_mib\":64,\"parameters\":[\"debug\"]}", 7, "SupervisorMessage.parameters[0]: 'debug' is not name=value")]
    [InlineData("{\"type\":\"grant\",\"library\":\"/x.so\",\"memory_mib\":64,\"parameters\":[\"a=1\",\"bad-name=1\"]}", 7, "SupervisorMessage.parameters[1]: 'bad-name' is not a parameter name")]
    [InlineData("{\"type\":\"grant\",\"library\":\"/x.so\",\"memory_mib\":64,\"parameters\":[1]}", 7, "SupervisorMessage.parameters[0]: expected a string, got a number")]
    [InlineData("{\"type\":\"ready\",\"init\":0,\"interfaces\":[]}", 0, "SupervisorMessage.interfaces: 0 items, at least 1")]
    [InlineData("{\"type\":\"ready\",\"init\":0,\"interfaces\":[\"eth0\"],\"probe_ms\":-1}", 0, "SupervisorMessage.probe_ms: -1 is out of range 0..3600000")]
    [InlineData("{\"type\":\"ready\",\"init\":0,\"interfaces\":[\"eth0\"],\"probe_ms\":1e400}", 0, "SupervisorMessage.probe_ms: '1e400' is not a finite number")]
    [InlineData("{\"type\":\"ping\"}", 0, "SupervisorMessage.seq: missing (type ping needs it)")]
    [InlineData("{\"type\":\"pong\",\"seq\":-1}", 0, "SupervisorMessage.seq: -1 is out of range 0..9223372036854775807")]
    [InlineData("{\"type\":\"pong\",\"seq\":1,\"heap_used\":9223372036854775808}", 0, "SupervisorMessage.heap_used: '9223372036854775808' is not a 64-bit integer")]
    [InlineData("{\"type\":\"pong\",\"seq\":1,\"cpu_held_ms\":0}", 0, "SupervisorMessage.progress: missing (type pong needs it)")]
    [InlineData("{\"type\":\"pong\",\"seq\":1,\"progress\":{\"napi_polls\":-1},\"cpu_held_ms\":0}", 0, "SupervisorMessage.progress['napi_polls']: -1 is out of range 0..9223372036854775807")]
    [InlineData("{\"type\":\"ping\",\"seq\":1,\"pid\":5}", 0, "SupervisorMessage.pid: not allowed when type is ping")]
    [InlineData("{\"type\":\"failed\",\"error\":\"a\\u001bb\"}", 0, "SupervisorMessage.error: 'a?b' has a character outside")]
    [InlineData("{\"type\":\"reboot\"}", 0, "SupervisorMessage.type: 'reboot' is not one of hello, grant, sandboxed, ready, failed, ping, pong")]
    public void SupervisorMessageConstraintsAreRefusedNamingTheField(string json, int descriptors, string error) =>
        Assert.StartsWith(error, Reject<SupervisorMessage>(json, descriptors));

    [Fact]
    public void ErrorsQuoteAtMost40CharactersOfAHostileValue()
    {
        string error = Reject<NetifRequest>("{\"op\":\"" + new string('x', 30) + "\\n" + new string('y', 3000) + "\"}");
        Assert.True(error.Length < 200, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void EveryValidMessageRoundTripsThroughTheWriterAndTheParser()
    {
        foreach (var seed in ControlSeeds.Requests)
            RoundTrip<NetifRequest>(seed);
        foreach (var seed in ControlSeeds.Replies)
            RoundTrip<NetifReply>(seed);
        foreach (var seed in ControlSeeds.Supervisor)
            RoundTrip<SupervisorMessage>(seed);

        var reply = new NetifReply { Ok = true, Interfaces = [ControlSeeds.Interface()] };
        Assert.True(NetifReply.TryParse(ControlMessage.ToJson(reply), 0, out var back, out _));
        var i = back.Interfaces![0];
        Assert.Equal(("eth0", "52:54:00:12:34:56", 1500, 100, "full", true), (i.Name, i.Mac, i.Mtu, i.Link.SpeedMbps, i.Link.Duplex, i.Link.Autoneg));
        Assert.Equal(ulong.MaxValue, i.Statistics["rx_bytes"]);
        Assert.Equal(5, i.Netif["to_driver"]);
        // Non-ASCII and escapes survive (the writer escapes, the parser unescapes).
        var failed = new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = "dlopen: «/x.so»\n\"quoted\" <&>" };
        Assert.True(SupervisorMessage.TryParse(ControlMessage.ToJson(failed), 0, out var f, out _));
        Assert.Equal(failed.Error, f.Error);
    }

    private static void RoundTrip<T>(ControlSeed seed) where T : class, IControlMessage<T>
    {
        Assert.True(T.TryParse(Encoding.UTF8.GetBytes(seed.Json), seed.Descriptors, out var message, out string? error), error);
        Assert.Null(message.Validate(seed.Descriptors));
        Assert.Equal(seed.Json, Encoding.UTF8.GetString(ControlMessage.ToJson(message)));
    }

    [Fact]
    public void ValidateChecksMessagesBuiltInCodeWithTheSameRules()
    {
        Assert.Null(new NetifRequest { Op = NetifOps.SetMtu, Interface = "eth0", Mtu = 9000 }.Validate());
        Assert.Equal("NetifRequest.mtu: 7 is out of range 68..65535", new NetifRequest { Op = NetifOps.SetMtu, Interface = "eth0", Mtu = 7 }.Validate());
        Assert.Equal("NetifRequest.interface: missing (op up needs it)", new NetifRequest { Op = NetifOps.Up }.Validate());
        Assert.StartsWith("NetifRequest.op: 'reboot' is not one of", new NetifRequest { Op = "reboot" }.Validate());
        Assert.Equal("NetifRequest: 0 descriptors, but op attach carries 5", new NetifRequest { Op = NetifOps.Attach, Interface = "eth0" }.Validate(0));
        var bad = ControlSeeds.Interface() with { Link = new NetifLink { Duplex = "sideways" } };
        Assert.StartsWith("NetifReply.interfaces[0].link.duplex:", new NetifReply { Ok = true, Interfaces = [bad] }.Validate());
        var stats = ControlSeeds.Interface() with { DriverStatistics = new() { [new string('s', 97)] = 1 } };
        Assert.StartsWith("NetifReply.interfaces[0].driver_statistics['ssss", new NetifReply { Ok = true, Interfaces = [stats] }.Validate());
        Assert.Equal("SupervisorMessage.parameters: 65 items, at most 64",
            new SupervisorMessage { Type = SupervisorMessageTypes.Grant, Library = "/x.so", MemoryMib = 64, Parameters = [.. Enumerable.Repeat("a=1", 65)] }.Validate(2));
        Assert.Equal("SupervisorMessage.probe_ms: not a finite number",
            new SupervisorMessage { Type = SupervisorMessageTypes.Ready, Init = 0, Interfaces = ["eth0"], ProbeMs = double.NaN }.Validate());
    }

    [Fact]
    public void TheChannelChecksTheDescriptorsThatCameWithAMessage()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (var e1 = new EventFd())
        using (var e2 = new EventFd())
        {
            var grant = new SupervisorMessage { Type = SupervisorMessageTypes.Grant, Library = "/x.so", MemoryMib = 64, Parameters = ["debug=1"] };
            NetifChannel.Send(a, grant, [e1.Handle, e2.Handle, e1.Handle, e2.Handle, e1.Handle, e2.Handle, e1.Handle]);
            var fds = new List<int>();
            var got = NetifChannel.Receive<SupervisorMessage>(b, fds);
            Assert.Equal(("/x.so", 64, 7), (got!.Library, got.MemoryMib, fds.Count));
            NetifChannel.CloseAll(fds);

            NetifChannel.Send(a, grant, [e1.Handle]);
            var e = Assert.Throws<NetifBadMessageException>(() => NetifChannel.Receive<SupervisorMessage>(b, fds));
            Assert.Equal("SupervisorMessage: 1 descriptors, but type grant carries 7", e.Message);
            NetifChannel.CloseAll(fds);

            NetifChannel.Send(a, new SupervisorMessage { Type = SupervisorMessageTypes.Ping, Seq = 1 }, [e1.Handle]);
            Assert.Throws<NetifBadMessageException>(() => NetifChannel.Receive<SupervisorMessage>(b, null)); // and the descriptor is closed
            NetifChannel.Send(a, new SupervisorMessage { Type = SupervisorMessageTypes.Ping, Seq = 2 });
            Assert.Equal(2, NetifChannel.Receive<SupervisorMessage>(b, null)!.Seq);
        }
    }
}
