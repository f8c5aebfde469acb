// SPDX-License-Identifier: MIT
// Managed side. A running driver stack: the emulated NIC (vfio-user device server), the driver host
// with the port's driver, and a netif connection to it. Isolated, each is its own process and they
// meet only through a UNIX socket, shared DMA memory and the netif rings; in-process (for comparison
// and for debugging), the same objects run in this process over socketpairs, with no isolation.
using LinuxShim.Devices;
using LinuxShim.Devices.E1000;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Tools;

public sealed record StackOptions
{
    public required string Library { get; init; }
    public required string Device { get; init; }
    public string Wire { get; init; } = "inproc";
    public string? Pcap { get; init; }
    public string Mac { get; init; } = "52:54:00:12:34:56";
    public int MemoryMiB { get; init; } = 64;
    public IReadOnlyList<string> Parameters { get; init; } = [];

    /// <summary>Where the isolated stack puts its sockets.</summary>
    public required string RuntimeDirectory { get; init; }
}

public abstract class DriverStack : IDisposable
{
    /// <summary>The control connection to the driver host.</summary>
    public abstract NetifClient Netif { get; }

    /// <summary>Where the netif control socket is (for `netif show`), or null in-process.</summary>
    public virtual string? ControlSocket => null;

    /// <summary>Raised when a part of the stack stops by itself (its description).</summary>
    public event Action<string>? Failed;

    protected void OnFailed(string what) => Failed?.Invoke(what);

    public abstract void Dispose();

    public static string DeviceModel(string name) => name switch
    {
        "rtl8139" or "8139" => "rtl8139",
        "e1000" or "82540em" => "e1000",
        _ => throw new UsageException($"unknown device '{name}' (rtl8139 or e1000)"),
    };

    /// <summary>Device server and driver host as child processes of this one.</summary>
    public static DriverStack StartIsolated(StackOptions options, TextWriter log) => new Isolated(options, log);

    /// <summary>Everything in this process (one driver per process).</summary>
    public static DriverStack StartInProcess(StackOptions options, TextWriter log) => new InProcess(options, log);

    private sealed class Isolated : DriverStack
    {
        private readonly ChildProcess device;
        private readonly ChildProcess? host;
        private readonly NetifClient? netif;
        private readonly string control;
        private volatile bool stopping;

        public Isolated(StackOptions o, TextWriter log)
        {
            Directory.CreateDirectory(o.RuntimeDirectory);
            string deviceSocket = Path.Combine(o.RuntimeDirectory, "device.sock");
            control = Path.Combine(o.RuntimeDirectory, "netif.sock");
            var deviceArgs = new List<string> { "device", DeviceModel(o.Device), "--socket", deviceSocket, "--wire", o.Wire, "--mac", o.Mac };
            if (o.Pcap is not null)
                deviceArgs.AddRange(["--pcap", o.Pcap]);
            device = ChildProcess.Start("device", deviceArgs, log);
            try
            {
                device.WaitForLine("linuxshim device:", TimeSpan.FromSeconds(30));
                var hostArgs = new List<string> { "host", o.Library, "--vfio-user", deviceSocket, "--netif", control, "--memory", o.MemoryMiB.ToString() };
                foreach (var p in o.Parameters)
                    hostArgs.AddRange(["--param", p]);
                host = ChildProcess.Start("host", hostArgs, log);
                host.WaitForLine("netif ", TimeSpan.FromSeconds(60));
                netif = NetifClient.Connect(control);
            }
            catch
            {
                host?.Dispose();
                device.Dispose();
                throw;
            }
            device.Exited += c => { if (!stopping) OnFailed($"the device server exited (status {c.ExitCode})"); };
            host.Exited += c => { if (!stopping) OnFailed($"the driver host exited (status {c.ExitCode})"); };
        }

        public override NetifClient Netif => netif!;

        public override string? ControlSocket => control;

        public override void Dispose()
        {
            stopping = true;
            netif?.Dispose();
            host?.Stop(TimeSpan.FromSeconds(10));
            device.Stop(TimeSpan.FromSeconds(5));
            host?.Dispose();
            device.Dispose();
        }
    }

    private sealed class InProcess : DriverStack
    {
        private readonly IWire wire;
        private readonly IWire? farEnd;
        private readonly NetworkDevice nic;
        private readonly VfioUserServer server;
        private readonly VfioUserClient client;
        private readonly DriverHost host;
        private readonly NetifServer netifServer;
        private readonly NetifClient netif;

        public InProcess(StackOptions o, TextWriter log)
        {
            (wire, farEnd) = DeviceCommand.OpenWire(o.Wire);
            if (o.Pcap is not null)
                wire = new CaptureWire(wire, new PcapWriter(o.Pcap));
            var mac = MacAddress.Parse(o.Mac);
            nic = DeviceModel(o.Device) == "rtl8139" ? new Rtl8139Nic(mac) : new Intel82540EmNic(mac);
            nic.Connect(wire);
            server = new VfioUserServer(nic);
            var (serverEnd, clientEnd) = UnixSocket.CreatePair();
            _ = server.ServeAsync(serverEnd);
            client = new VfioUserClient(clientEnd);
            Machine.Log = (level, text) =>
            {
                lock (log)
                    log.WriteLine($"[host] <{level}> {text}");
            };
            host = DriverHost.Load(new DriverHostOptions
            {
                Library = o.Library,
                MemoryBytes = (ulong)o.MemoryMiB << 20,
                Parameters = o.Parameters,
            }, [client]);
            int init = host.Init();
            if (init != 0)
                throw new IOException($"the driver's module init failed ({init})");
            netifServer = new NetifServer(() => NetCore.Registered);
            var (a, b) = UnixSocket.CreatePair();
            netifServer.Serve(a);
            netif = NetifClient.FromSocket(b);
        }

        public override NetifClient Netif => netif;

        public override void Dispose()
        {
            netif.Dispose();
            netifServer.Dispose();
            host.Exit();
            client.Dispose();
            server.Dispose();
            nic.Dispose();
            wire.Dispose();
            farEnd?.Dispose();
        }
    }
}
