// SPDX-License-Identifier: MIT
// Managed side. The driver host's end of netif: serves the control socket (show, attach, up/down,
// MTU, MAC) and moves frames between a client's rings and the driver's net_device: frames from the
// to-driver ring go to ndo_start_xmit (waiting while the driver has stopped its queue), frames the
// driver passes up go into the from-driver ring (dropped, and counted, when the client is behind).
// A malformed request gets an error reply and the connection goes on; a client that breaks the ring
// protocol loses its attachment, nothing else.
using System.Diagnostics;
using LinuxShim.Posix;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Netif;

public sealed class NetifServer : IDisposable
{
    private readonly Func<IReadOnlyList<NetDevice>> devices;
    private readonly Dictionary<string, Attachment> attachments = new(StringComparer.Ordinal);
    private readonly object gate = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly List<Thread> threads = [];
    private readonly List<UnixSocket> connections = [];
    private UnixSocket? listener;

    public NetifServer(Func<IReadOnlyList<NetDevice>> devices) => this.devices = devices;

    /// <summary>Requests answered with an error (malformed or refused).</summary>
    public long Rejected => Interlocked.Read(ref rejected);
    private long rejected;

    /// <summary>Listens on <paramref name="path"/> and serves each client on a thread of its own.</summary>
    public void Listen(string path)
    {
        listener = UnixSocket.Listen(path);
        Start("netif-listen", () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                UnixSocket? client;
                try
                {
                    client = listener.Accept(200);
                }
                catch (Exception e) when (e is PosixException or ObjectDisposedException)
                {
                    return;
                }
                if (client is not null)
                    Serve(client);
            }
        });
    }

    /// <summary>Serves one connected client on a thread of its own (the server owns the socket).</summary>
    public void Serve(UnixSocket client)
    {
        lock (gate)
            connections.Add(client);
        Start("netif-client", () => Session(client));
    }

    private void Start(string name, Action body)
    {
        var t = new Thread(() => body()) { IsBackground = true, Name = name };
        lock (gate)
            threads.Add(t);
        t.Start();
    }

    private void Session(UnixSocket client)
    {
        var owned = new List<string>();
        var fds = new List<int>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                NetifRequest? request;
                try
                {
                    request = NetifChannel.Receive<NetifRequest>(client, fds);
                }
                catch (NetifBadMessageException e)
                {
                    NetifChannel.CloseAll(fds);
                    Interlocked.Increment(ref rejected);
                    if (!TrySend(client, new NetifReply { Error = e.Message }))
                        return;
                    continue;
                }
                catch (NetifProtocolException e)
                {
                    // The stream may be out of step after a bad length; tell the client and hang up.
                    NetifChannel.CloseAll(fds);
                    Interlocked.Increment(ref rejected);
                    TrySend(client, new NetifReply { Error = e.Message });
                    return;
                }
                if (request is null)
                    return;
                NetifReply reply;
                try
                {
                    reply = Handle(request, fds, owned);
                }
                catch (NetifProtocolException e)
                {
                    reply = new NetifReply { Error = e.Message };
                }
                finally
                {
                    NetifChannel.CloseAll(fds); // Handle took the ones it kept
                }
                if (!reply.Ok)
                    Interlocked.Increment(ref rejected);
                if (!TrySend(client, reply))
                    return;
            }
        }
        catch (Exception e) when (e is PosixException or EndOfStreamException or ObjectDisposedException)
        {
        }
        finally
        {
            foreach (var name in owned)
                Detach(name);
            lock (gate)
                connections.Remove(client);
            client.Dispose();
        }
    }

    private static bool TrySend(UnixSocket client, NetifReply reply)
    {
        try
        {
            NetifChannel.Send(client, reply);
            return true;
        }
        catch (PosixException)
        {
            return false;
        }
    }

    private NetifReply Handle(NetifRequest request, List<int> fds, List<string> owned)
    {
        if (request.Validate() is { } problem)
            return new NetifReply { Error = problem };
        if (request.Op == NetifOps.Show)
            return new NetifReply { Ok = true, Interfaces = devices().Where(d => request.Interface is null || d.Name == request.Interface).Select(Describe).ToList() };
        if (request.Op == NetifOps.Detach)
        {
            foreach (var name in owned)
                Detach(name);
            owned.Clear();
            return new NetifReply { Ok = true };
        }
        var device = devices().FirstOrDefault(d => d.Name == request.Interface);
        if (device is null)
            return new NetifReply { Error = $"no interface '{request.Interface}' (this host has: {string.Join(", ", devices().Select(d => d.Name))})" };
        switch (request.Op)
        {
            case NetifOps.Attach:
                var area = NetifArea.Adopt([.. fds]);
                fds.Clear();
                Detach(device.Name);
                var attachment = new Attachment(device, area);
                lock (gate)
                    attachments[device.Name] = attachment;
                owned.Add(device.Name);
                attachment.Start();
                return new NetifReply { Ok = true, Interfaces = [Describe(device)] };
            case NetifOps.Up:
                int r = device.Open();
                return r == 0 ? new NetifReply { Ok = true, Interfaces = [Describe(device)] } : new NetifReply { Error = $"ndo_open failed: {ErrorText(r)}" };
            case NetifOps.Down:
                device.Close();
                return new NetifReply { Ok = true, Interfaces = [Describe(device)] };
            case NetifOps.SetMtu:
                int m = device.ChangeMtu(request.Mtu!.Value);
                return m == 0 ? new NetifReply { Ok = true, Interfaces = [Describe(device)] } : new NetifReply { Error = $"MTU {request.Mtu}: {ErrorText(m)}" };
            case NetifOps.SetMulticast:
                var groups = new List<byte[]>();
                foreach (var text in request.Multicast!)
                {
                    if (!NetifMac.TryParseAny(text, out var g) || (g[0] & 1) == 0)
                        return new NetifReply { Error = $"multicast: {text} is not a group address" };
                    groups.Add(g);
                }
                int mc = device.SetMulticast(groups);
                return mc == 0 ? new NetifReply { Ok = true, Interfaces = [Describe(device)] } : new NetifReply { Error = $"multicast list: {ErrorText(mc)}" };
            case NetifOps.SetMac:
                NetifMac.TryParse(request.Mac!, out var mac);
                int a = device.SetMac(mac);
                return a == 0 ? new NetifReply { Ok = true, Interfaces = [Describe(device)] } : new NetifReply { Error = $"MAC {request.Mac}: {ErrorText(a)}" };
            default:
                return new NetifReply { Error = $"unhandled op {request.Op}" };
        }
    }

    /// <summary>
    /// Bridges <paramref name="device"/> to rings granted before any client asked (a supervised host
    /// maps them before it locks itself down); the server owns <paramref name="area"/> from now on.
    /// </summary>
    /// <summary>
    /// The longest any attached interface has kept a frame waiting, up with carrier, on a transmit queue
    /// the driver stopped (ms; 0: none waits). The core's own watchdog calls ndo_tx_timeout after
    /// watchdog_timeo; a driver still not taking frames long after that has stopped working.
    /// </summary>
    public long TxBlockedMs
    {
        get
        {
            lock (gate)
                return attachments.Values.Select(a => a.TxBlockedMs).DefaultIfEmpty(0).Max();
        }
    }

    /// <summary>
    /// The longest any attached interface has been up without carrier, as sampled by the calls to this
    /// (the supervisor's heartbeats: ms; 0: every interface up has carrier).
    /// </summary>
    public long CarrierOffMs
    {
        get
        {
            lock (gate)
                return attachments.Values.Select(a => a.CarrierOffMs()).DefaultIfEmpty(0).Max();
        }
    }

    public void Attach(NetDevice device, NetifArea area)
    {
        Detach(device.Name);
        var attachment = new Attachment(device, area);
        lock (gate)
            attachments[device.Name] = attachment;
        attachment.Start();
    }

    private void Detach(string name)
    {
        Attachment? old;
        lock (gate)
        {
            if (attachments.Remove(name, out old) == false)
                return;
        }
        old!.Dispose();
    }

    private NetifInterface Describe(NetDevice d)
    {
        var info = Ethtool.DriverInfo(d);
        var settings = Ethtool.LinkSettings(d);
        bool carrier = Ethtool.Link(d) ?? d.Carrier;
        var stats = d.Statistics();
        var statistics = new Dictionary<string, ulong>();
        for (int i = 0; i < Math.Min(stats.Length, StatisticNames.Length); i++)
            statistics[StatisticNames[i]] = stats[i];
        // The core's transmit watchdog: each time it called the driver's ndo_tx_timeout (which resets the chip, and
        // may lose what was in flight): sysfs's queues/tx-0/tx_timeout on Linux.
        statistics["tx_timeouts"] = TxWatchdog.TimeoutsOf(d.Pointer);
        var driverStats = new Dictionary<string, ulong>();
        foreach (var (k, v) in Ethtool.Statistics(d))
            driverStats.TryAdd(k, v);
        Attachment? attachment;
        lock (gate)
            attachments.TryGetValue(d.Name, out attachment);
        return new NetifInterface
        {
            Name = d.Name,
            Mac = NetifMac.Format(d.Mac),
            Mtu = d.Mtu,
            Link = new NetifLink { Up = d.IsUp, Carrier = carrier, SpeedMbps = carrier ? settings?.SpeedMbps : null, Duplex = carrier ? settings?.Duplex ?? "unknown" : "unknown", Autoneg = settings?.Autoneg },
            Driver = info?.Driver ?? "",
            Version = info?.Version ?? "",
            Firmware = info?.Firmware ?? "",
            BusInfo = info?.BusInfo ?? "",
            Attached = attachment is not null,
            Multicast = [.. d.Multicast.Select(m => NetifMac.Format(m))],
            Statistics = statistics,
            DriverStatistics = driverStats,
            Netif = attachment?.Counters() ?? [],
        };
    }

    private static string ErrorText(int negativeErrno) =>
        $"{System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(-negativeErrno)} ({negativeErrno})";

    // rtnl_link_stats64, in its order (include/uapi/linux/if_link.h).
    private static readonly string[] StatisticNames =
    [
        "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
        "multicast", "collisions", "rx_length_errors", "rx_over_errors", "rx_crc_errors", "rx_frame_errors",
        "rx_fifo_errors", "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
        "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed", "rx_nohandler",
    ];

    public void Dispose()
    {
        stopping.Cancel();
        listener?.Dispose();
        List<UnixSocket> open;
        lock (gate)
            open = [.. connections];
        foreach (var c in open)
            c.Shutdown();
        List<Thread> all;
        lock (gate)
            all = [.. threads];
        foreach (var t in all)
            t.Join(TimeSpan.FromSeconds(5));
        foreach (var name in attachments.Keys.ToList())
            Detach(name);
    }

    /// <summary>One interface bridged to one client's rings.</summary>
    private sealed class Attachment(NetDevice device, NetifArea area) : IDisposable
    {
        private readonly EventFd stop = new();
        private readonly AutoResetEvent woken = new(false);
        private Thread? pump;
        private long toDriver, toDriverDropped, fromDriver, fromDriverDropped, busyWaits;
        private long blockedSince = -1; // Environment.TickCount64 when the frame now waiting was first refused
        private long carrierOffSince = -1; // Environment.TickCount64 when the interface was first seen up without carrier

        public long CarrierOffMs()
        {
            long now = Environment.TickCount64;
            if (!device.IsUp || device.Carrier)
            {
                Interlocked.Exchange(ref carrierOffSince, -1);
                return 0;
            }
            long since = Interlocked.CompareExchange(ref carrierOffSince, now, -1);
            return since < 0 ? 0 : now - since;
        }

        public long TxBlockedMs => Interlocked.Read(ref blockedSince) is var since and >= 0 && device.IsUp && device.Carrier
            ? Environment.TickCount64 - since
            : 0;
        private string? failure;

        public void Start()
        {
            device.TxWoken += OnTxWoken;
            device.Received = OnReceived;
            device.ReceiveBatchEnd = area.FromDriver.Publish;
            pump = new Thread(Pump) { IsBackground = true, Name = $"netif-tx-{device.Name}" };
            pump.Start();
        }

        private void OnTxWoken() => woken.Set();

        // Softirq context on the CPU: copy into the ring and return, never wait. A frame of a NAPI batch is
        // published with the batch's end (ReceiveBatchEnd), so the client is woken once per batch.
        private void OnReceived(ReadOnlySpan<byte> frame, bool batched)
        {
            try
            {
                if (frame.Length <= area.FromDriver.MaxFrame && area.FromDriver.TryWrite(frame, publish: !batched))
                    fromDriver++;
                else
                    fromDriverDropped++;
            }
            catch (NetifProtocolException e)
            {
                failure = e.Message;
                fromDriverDropped++;
            }
        }

        // Frames taken from the ring and handed to the driver in one burst at most (the qdisc's bulk dequeue).
        private const int MaxBurst = 64;

        // The to-driver ring's frames go to ndo_start_xmit in bursts of what the ring holds (each frame but a
        // burst's last with netdev_xmit_more()), waiting for netif_wake_queue while the driver's queue is stopped.
        private void Pump()
        {
            var burst = new byte[MaxBurst][];
            for (int i = 0; i < MaxBurst; i++)
                burst[i] = new byte[area.ToDriver.MaxFrame];
            var lengths = new int[MaxBurst];
            try
            {
                while (true)
                {
                    if (!area.ToDriver.WaitForData(-1, stop))
                    {
                        if (stop.Consume() != 0)
                            return;
                        continue;
                    }
                    int held;
                    while ((held = Fill(burst, lengths)) > 0)
                    {
                        for (int at = 0; at < held;)
                        {
                            int sent = device.TransmitBurst(burst, lengths, at, held - at);
                            toDriver += sent;
                            at += sent;
                            if (sent > 0)
                                Interlocked.Exchange(ref blockedSince, -1);
                            if (at == held)
                                break;
                            if (!device.IsUp || lengths[at] < 14)
                            {
                                toDriverDropped++;
                                at++;
                                Interlocked.Exchange(ref blockedSince, -1);
                                continue;
                            }
                            if (Interlocked.Read(ref blockedSince) < 0)
                                Interlocked.Exchange(ref blockedSince, Environment.TickCount64);
                            // The driver stopped its queue (or was busy): wait for netif_wake_queue.
                            busyWaits++;
                            woken.WaitOne(10);
                            if (stop.Consume() != 0)
                                return;
                        }
                    }
                }
            }
            catch (NetifProtocolException e)
            {
                failure = e.Message;
                Debug.WriteLine($"netif {device.Name}: {e.Message}");
            }
        }

        // As many frames as the ring holds, up to a burst.
        private int Fill(byte[][] burst, int[] lengths)
        {
            int held = 0;
            while (held < burst.Length && (lengths[held] = area.ToDriver.TryRead(burst[held])) >= 0)
                held++;
            return held;
        }

        public Dictionary<string, long> Counters() => new()
        {
            ["to_driver"] = toDriver,
            ["to_driver_dropped"] = toDriverDropped,
            ["from_driver"] = fromDriver,
            ["from_driver_dropped"] = fromDriverDropped,
            ["queue_stopped_waits"] = busyWaits,
            ["protocol_errors"] = failure is null ? 0 : 1,
        };

        public void Dispose()
        {
            device.TxWoken -= OnTxWoken;
            Cpu.Run(() =>
            {
                device.Received = null; // the receive path reads it on the CPU
                device.ReceiveBatchEnd = null;
            });
            stop.Signal();
            pump?.Join();
            area.Dispose();
            stop.Dispose();
            woken.Dispose();
        }
    }
}
