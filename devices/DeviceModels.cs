// SPDX-License-Identifier: MIT
// Managed side, the device server. The NIC models by name (ours and QEMU's, aliases accepted) and the wires
// their cables plug into, as `device`, `run` and the supervisor's stacks name them.
using System.Net;
using LinuxShim.Devices.Dwmac;
using LinuxShim.Devices.E1000;
using LinuxShim.Devices.Qemu;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.Wire;

namespace LinuxShim.Devices;

public static class DeviceModels
{
    /// <summary>The prefix of QEMU's models: qemu:NAME[,PROPERTIES].</summary>
    public const string QemuPrefix = "qemu:";

    /// <summary>A device model's name (aliases accepted); FormatException for one there is not.</summary>
    public static string ModelName(string name)
    {
        if (name.StartsWith(QemuPrefix, StringComparison.Ordinal))
        {
            QemuNic.DeviceArgument(name[QemuPrefix.Length..], MacAddress.Default); // throws when malformed
            return name;
        }
        return name switch
        {
            "rtl8139" or "8139" => "rtl8139",
            "e1000" or "82540em" => "e1000",
            "dwmac" or "gmac" => "dwmac",
            _ => throw new FormatException($"unknown device '{name}' (rtl8139, e1000, dwmac or qemu:MODEL; see linuxshim device --list)"),
        };
    }

    /// <summary>
    /// The NIC of a model (see <see cref="ModelName"/>); a QEMU model starts its QEMU here, whose output and
    /// failures go to <paramref name="log"/>.
    /// </summary>
    public static INic CreateNic(string model, MacAddress mac, Action<string> log)
    {
        string name = ModelName(model);
        if (name.StartsWith(QemuPrefix, StringComparison.Ordinal))
            return new QemuNic(name[QemuPrefix.Length..], mac, log);
        return name switch
        {
            "rtl8139" => new Rtl8139Nic(mac),
            "dwmac" => new DwmacNic(mac), // a platform device, not PCI (snps,dwmac-3.70a)
            _ => new Intel82540EmNic(mac),
        };
    }

    /// <summary>Null for a wire specification we know, else what is wrong with it.</summary>
    public static string? WireProblem(string wire) =>
        wire == "inproc" || wire.StartsWith("tap:", StringComparison.Ordinal) || wire.StartsWith("udp:", StringComparison.Ordinal)
            ? null
            : $"unknown wire '{wire}' (inproc, tap:NAME or udp:HOST:PORT[:LOCALPORT])";

    /// <summary>The device's end of the wire, and the in-process far end to dispose with it (inproc only).</summary>
    public static (IWire, IWire?) OpenWire(string spec)
    {
        if (spec == "inproc")
        {
            var (near, far) = InProcessWire.CreatePair();
            return (near, far);
        }
        if (spec.StartsWith("tap:", StringComparison.Ordinal))
            return (new TapWire(spec[4..]), null);
        var parts = spec[4..].Split(':');
        if (parts.Length is < 2 or > 3 || !int.TryParse(parts[1], out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"bad UDP wire '{spec}' (udp:HOST:PORT[:LOCALPORT])");
        int local = 0;
        if (parts.Length == 3 && (!int.TryParse(parts[2], out local) || local is < 0 or > 65535))
            throw new ArgumentException($"bad local port in '{spec}'");
        var address = IPAddress.TryParse(parts[0], out var ip) ? ip : Dns.GetHostAddresses(parts[0])[0];
        return (new UdpWire(new IPEndPoint(address, port), local), null);
    }
}
