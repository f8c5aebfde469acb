// SPDX-License-Identifier: MIT
// Test data. Valid messages of both control protocols, one per op or type, each with what it cannot
// lose and what its case forbids: the starting points of the fuzz tests' mutations.
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Protocol;

namespace LinuxShim.Shim.Tests.Protocol;

public static class ControlSeeds
{
    private const string Mac = "\"mac\":\"52:54:00:12:34:56\"", Mtu = "\"mtu\":1500", Iface = "\"interface\":\"eth0\"";

    public static readonly ControlSeed[] Requests =
    [
        new("{\"op\":\"show\"}", 0, ["op"], [Mtu, Mac]),
        new("{\"op\":\"show\",\"interface\":\"eth0\"}", 0, ["op"], [Mtu, Mac]),
        new("{\"op\":\"up\",\"interface\":\"eth0\"}", 0, ["op", "interface"], [Mtu, Mac]),
        new("{\"op\":\"down\",\"interface\":\"eth0\"}", 0, ["op", "interface"], [Mtu, Mac]),
        new("{\"op\":\"detach\"}", 0, ["op"], [Iface, Mtu, Mac]),
        new("{\"op\":\"set_mtu\",\"interface\":\"eth0\",\"mtu\":1500}", 0, ["op", "interface", "mtu"], [Mac]),
        new("{\"op\":\"set_mac\",\"interface\":\"eth0\",\"mac\":\"52:54:00:12:34:56\"}", 0, ["op", "interface", "mac"], [Mtu]),
        new("{\"op\":\"attach\",\"interface\":\"eth0\"}", 5, ["op", "interface"], [Mtu, Mac]),
    ];

    public static NetifInterface Interface(string name = "eth0") => new()
    {
        Name = name,
        Mac = "52:54:00:12:34:56",
        Mtu = 1500,
        Link = new NetifLink { Up = true, Carrier = true, SpeedMbps = 100, Duplex = "full", Autoneg = true },
        Driver = "8139too",
        Version = "0.9.28",
        Firmware = "",
        BusInfo = "0000:00:03.0",
        Attached = true,
        Statistics = new() { ["rx_packets"] = 10, ["tx_packets"] = 20, ["rx_bytes"] = ulong.MaxValue },
        DriverStatistics = new() { ["rx_align_errors"] = 1, ["tx_timeouts"] = 0 },
        Netif = new() { ["to_driver"] = 5, ["from_driver_dropped"] = 0 },
    };

    public static readonly ControlSeed[] Replies =
    [
        new(Json(new NetifReply { Ok = true, Interfaces = [Interface(), Interface("eth1")] }), 0, ["ok"], ["\"error\":\"x\""]),
        new(Json(new NetifReply { Ok = true }), 0, ["ok"], ["\"error\":\"x\""]),
        new(Json(new NetifReply { Error = "no interface 'eth9'" }), 0, ["ok", "error"], ["\"interfaces\":[]"]),
    ];

    public static readonly ControlSeed[] Supervisor =
    [
        new("{\"type\":\"hello\",\"pid\":4242}", 0, ["type", "pid"], ["\"seq\":1", "\"library\":\"/x.so\""]),
        new("{\"type\":\"grant\",\"library\":\"/tmp/8139too.so\",\"memory_mib\":64,\"parameters\":[\"debug=1\",\"media=0,1\"]}", 7,
            ["type", "library", "memory_mib"], ["\"pid\":1", "\"error\":\"x\""]),
        new("{\"type\":\"ready\",\"init\":0,\"interfaces\":[\"eth0\"],\"probe_ms\":12.5}", 0, ["type", "init", "interfaces"], ["\"seq\":1"]),
        new("{\"type\":\"failed\",\"error\":\"module init returned -19\"}", 0, ["type", "error"], ["\"init\":0"]),
        new("{\"type\":\"ping\",\"seq\":7}", 0, ["type", "seq"], ["\"heap_used\":1"]),
        new("{\"type\":\"pong\",\"seq\":7,\"heap_used\":1024,\"heap_size\":67108864,\"progress\":{\"cpu_handoffs\":912,\"hardirq\":40,\"napi_polls\":38},\"cpu_held_ms\":3,\"holder_cpu_ms\":1250}", 0,
            ["type", "seq", "progress", "cpu_held_ms"], ["\"pid\":1"]),
    ];

    private static string Json<T>(T message) where T : class, IControlMessage<T> =>
        System.Text.Encoding.UTF8.GetString(ControlMessage.ToJson(message));
}
