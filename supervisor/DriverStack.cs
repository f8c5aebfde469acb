// SPDX-License-Identifier: MIT
// Managed side. A running driver stack: the emulated NIC (vfio-user device server), the driver host
// with the port's driver, and a netif connection to it. Isolated, each is its own process and they
// meet only through a UNIX socket, shared DMA memory and the netif rings; in-process (for comparison
// and for debugging), the same objects run in this process over socketpairs, with no isolation.
using LinuxShim.Devices;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Supervisor;

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

    /// <summary>The driver's name in logs (the port's).</summary>
    public string Name { get; init; } = "driver";

    /// <summary>Watchdog: a host that does not answer a heartbeat within this is killed and replaced.</summary>
    public int WatchdogMs { get; init; } = 500;

    /// <summary>Keep a warm standby driver host ready (false: start a host only when one is needed).</summary>
    public bool WarmStandby { get; init; } = true;

    /// <summary>How long a granted host may take to bring its driver up (<see cref="SupervisorOptions.StartTimeout"/>).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>More environment for each driver host (<see cref="SupervisorOptions.HostEnvironment"/>).</summary>
    public IReadOnlyDictionary<string, string> HostEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Restarts the supervisor allows per minute before it gives up.</summary>
    public int RestartBudget { get; init; } = 20;

    /// <summary>The device server takes device faults (`device --faults`; see <see cref="DriverStack.InjectDeviceFault"/>).</summary>
    public bool DeviceFaults { get; init; }

    /// <summary>Where the supervisor's audit records go (null: memory only).</summary>
    public string? AuditLog { get; init; }
}

public abstract class DriverStack : IDisposable
{
    /// <summary>The driver's interface: its rings and state.</summary>
    public abstract IDriverLink Link { get; }

    /// <summary>The supervisor, when the stack is isolated.</summary>
    public virtual DriverSupervisor? Supervisor => null;

    /// <summary>Process id of the device server (this process's in one process).</summary>
    public virtual int DevicePid => Environment.ProcessId;

    /// <summary>The device server's status now (its own view of the NIC), as the supervisor reads it; null in one process or when unreadable.</summary>
    public virtual Devices.DeviceStatus? DeviceStatus => null;

    /// <summary>Makes the device misbehave (a DeviceFaults kind) for <paramref name="ms"/> ms; false when the device server is gone.</summary>
    public virtual bool InjectDeviceFault(string kind, int ms, int seed) =>
        throw new InvalidOperationException("device faults need the isolated stack started with DeviceFaults");

    /// <summary>The audit log of the stack's supervisor (empty in-process).</summary>
    public abstract AuditLog Audit { get; }

    /// <summary>Raised when a part of the stack stops by itself (its description).</summary>
    public event Action<string>? Failed;

    protected void OnFailed(string what) => Failed?.Invoke(what);

    public abstract void Dispose();

    /// <summary>Device server and driver host as child processes of this one.</summary>
    public static DriverStack StartIsolated(StackOptions options, TextWriter log) => new Isolated(options, log);

    /// <summary>Everything in this process (one driver per process).</summary>
    public static DriverStack StartInProcess(StackOptions options, TextWriter log) => new InProcess(options, log);

    private sealed class Isolated : DriverStack
    {
        private readonly ChildProcess device;
        private readonly DriverSupervisor supervisor;
        private readonly AuditLog audit;
        private volatile bool stopping;
        private readonly bool faults;
        private readonly string deviceStatus;

        public Isolated(StackOptions o, TextWriter log)
        {
            Directory.CreateDirectory(o.RuntimeDirectory);
            string deviceSocket = Path.Combine(o.RuntimeDirectory, "device.sock");
            deviceStatus = Path.Combine(o.RuntimeDirectory, "device.status");
            var deviceArgs = new List<string> { "device", DeviceModels.ModelName(o.Device), "--socket", deviceSocket, "--wire", o.Wire, "--mac", o.Mac,
                "--status", deviceStatus };
            if (o.Pcap is not null)
                deviceArgs.AddRange(["--pcap", o.Pcap]);
            if (o.DeviceFaults)
                deviceArgs.Add("--faults");
            faults = o.DeviceFaults;
            audit = new AuditLog(o.AuditLog);
            device = ChildProcess.Start("device", deviceArgs, log, input: o.DeviceFaults);
            try
            {
                supervisor = new DriverSupervisor(new SupervisorOptions
                {
                    Name = o.Name,
                    Library = o.Library,
                    DeviceSocket = deviceSocket,
                    DeviceStatus = () => DeviceStatus,
                    RuntimeDirectory = o.RuntimeDirectory,
                    MemoryMiB = o.MemoryMiB,
                    Parameters = o.Parameters,
                    WatchdogMs = o.WatchdogMs,
                    RestartBudget = o.RestartBudget,
                    StartTimeout = o.StartTimeout,
                    WarmStandby = o.WarmStandby,
                    HostEnvironment = o.HostEnvironment,
                }, log, audit);
                // The driver host starts while the device server does; it is granted the device once that serves.
                supervisor.Start(() => device.WaitForDevice(deviceSocket, TimeSpan.FromSeconds(30)));
            }
            catch
            {
                device.Dispose();
                audit.Dispose();
                throw;
            }
            device.Exited += c => { if (!stopping) OnFailed($"the device server exited (status {c.ExitCode})"); };
            supervisor.GaveUp += why => OnFailed($"the supervisor gave up: {why}");
        }

        public override IDriverLink Link => supervisor;

        public override DriverSupervisor? Supervisor => supervisor;

        public override int DevicePid => device.Id;

        public override Devices.DeviceStatus? DeviceStatus => Devices.DeviceStatus.Read(deviceStatus);

        public override bool InjectDeviceFault(string kind, int ms, int seed) =>
            faults ? device.WriteLine($"fault {kind} {ms} {seed}") : base.InjectDeviceFault(kind, ms, seed);

        public override AuditLog Audit => audit;

        public override void Dispose()
        {
            stopping = true;
            supervisor.Dispose();
            device.Stop(TimeSpan.FromSeconds(5));
            device.Dispose();
            audit.Dispose();
        }
    }

    private sealed class InProcess : DriverStack
    {
        private readonly IWire wire;
        private readonly IWire? farEnd;
        private readonly INic nic;
        private readonly VfioUserServer server;
        private readonly VfioUserClient client;
        private readonly DriverHost host;
        private readonly NetifServer netifServer;
        private readonly NetifClient netif;

        public InProcess(StackOptions o, TextWriter log)
        {
            (wire, farEnd) = DeviceModels.OpenWire(o.Wire);
            if (o.Pcap is not null)
                wire = new CaptureWire(wire, new PcapWriter(o.Pcap));
            var mac = MacAddress.Parse(o.Mac);
            nic = DeviceModels.CreateNic(o.Device, mac, line =>
            {
                lock (log)
                    log.WriteLine($"[device] {line}");
            });
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
            link = new DirectLink(netif, netif.Show().FirstOrDefault()?.Name ?? throw new IOException("the driver registered no interface"));
        }

        private readonly DirectLink link;
        private readonly AuditLog audit = new(null);

        public override IDriverLink Link => link;

        public override AuditLog Audit => audit;

        public override void Dispose()
        {
            link.Port.Cancel();
            netif.Dispose();
            link.Port.Dispose();
            netifServer.Dispose();
            host.Exit();
            client.Dispose();
            server.Dispose();
            nic.Dispose();
            wire.Dispose();
            farEnd?.Dispose();
        }
    }

    /// <summary>An interface reached directly over one netif connection (no supervisor).</summary>
    private sealed class DirectLink(NetifClient netif, string name) : IDriverLink
    {
        public NetifPort Port { get; } = netif.Attach(name);
        public string Interface => name;
        public NetifInterface Up() => netif.Up(name);
        public void Down() => netif.Down(name);
        public NetifInterface? Show() => netif.Show(name).FirstOrDefault();
    }
}
