// SPDX-License-Identifier: MIT
// Managed side, the fault injector. The critical client of a campaign: acknowledged events through the
// supervised driver, as the demo's monitor sends them. Its logger puts each event into the netif ring
// (to the driver, out on the cable) and resends what is not acknowledged; a collector on the cable
// acknowledges cumulatively (back in through the driver). An event is lost only if it never reaches
// the collector: a driver that fails delays events, it must not lose one.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using LinuxShim.Shim.Netif;
using LinuxShim.Tools.Demo;

namespace LinuxShim.Tools.Inject;

public sealed class CriticalTraffic : IDisposable
{
    private readonly NetifPort port;
    private readonly byte[] mac;
    private readonly UdpClient cable;
    private readonly IPEndPoint nic;
    private readonly int rate;
    private readonly CancellationTokenSource stop = new();
    private readonly OutstandingEvents outstanding = new();
    private readonly DeliveredEvents delivered = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<Thread> threads = [];
    private volatile bool producing = true;
    private readonly Lock producingGate = new();
    private int produced;
    private long lastRoundTrip = -1; // clock ms of the last acknowledgement that acknowledged more

    public CriticalTraffic(NetifPort port, byte[] mac, UdpClient cable, IPEndPoint nic, int rate)
    {
        this.port = port;
        this.mac = mac;
        this.cable = cable;
        this.nic = nic;
        this.rate = rate;
        threads.Add(new Thread(Logger) { IsBackground = true, Name = "critical-logger" });
        threads.Add(new Thread(Collector) { IsBackground = true, Name = "critical-collector" });
        threads.Add(new Thread(Acknowledgements) { IsBackground = true, Name = "critical-acks" });
        foreach (var t in threads)
            t.Start();
    }

    /// <summary>The clock every time here is on (ms since the client started).</summary>
    public long Now => clock.ElapsedMilliseconds;

    public int Produced => Volatile.Read(ref produced);

    /// <summary>Events sent and not acknowledged yet.</summary>
    public int Pending => outstanding.Pending;

    /// <summary>Events the collector received (each once).</summary>
    public int Delivered => delivered.Count();

    /// <summary>
    /// When an acknowledgement last acknowledged more (<see cref="Now"/> ms; -1: never): events went out
    /// through the driver and the acknowledgement came back in through it. An event arriving at the
    /// collector proves only half of that: a driver whose receive side died still sends the old events
    /// the logger keeps resending, while new ones wait behind them.
    /// </summary>
    public long LastRoundTrip => Interlocked.Read(ref lastRoundTrip);

    /// <summary>Sends a frame onto the cable, to the NIC (an attacker's, say).</summary>
    public void SendOnCable(byte[] frame) => cable.Client.SendTo(frame, nic);

    /// <summary>Events resent per round (every 200 ms); the netif ring's room bounds it too.</summary>
    public const int ResendBatch = 256;

    /// <summary>How long an event waits for its acknowledgement before it is sent again (ms).</summary>
    public const int ResendAfterMs = 1000;

    private void Logger()
    {
        long lastResend = 0;
        while (!stop.IsCancellationRequested)
        {
            byte[]? made = null;
            lock (producingGate)
            {
                if (producing && produced < (int)(clock.Elapsed.TotalSeconds * rate) + 1)
                {
                    made = DemoFrames.Event(mac, produced, DateTime.UtcNow.Ticks, $"critical event {produced}");
                    outstanding.Add(produced, made);
                    Interlocked.Increment(ref produced);
                }
            }
            if (made is not null)
                port.TrySend(made);
            if (clock.ElapsedMilliseconds - lastResend >= 200)
            {
                lastResend = clock.ElapsedMilliseconds;
                // The oldest first, as many as the ring takes up to ResendBatch: after an outage the backlog
                // (seconds of events sent into a dead host) drains at up to 5 x ResendBatch a second. An event
                // is sent again only after ResendAfterMs without its acknowledgement: on a loaded machine a round
                // trip takes hundreds of ms, and resending the same events every round filled the slow driver
                // with copies while the backlog stayed (a campaign stopped with 2,379 events unacknowledged).
                foreach (var f in outstanding.Oldest(ResendBatch, ResendAfterMs))
                    if (!port.Send(f, 2))
                        break;
            }
            stop.Token.WaitHandle.WaitOne(Math.Max(1, 1000 / rate / 2));
        }
    }

    private void Collector()
    {
        var buffer = new byte[65536];
        cable.Client.ReceiveTimeout = 50;
        while (!stop.IsCancellationRequested)
        {
            int n = DemoFrames.ReceiveFromCable(cable.Client, buffer);
            if (n < 0 || !DemoFrames.TryEvent(buffer.AsSpan(0, n), out int seq))
                continue;
            int upTo = delivered.Record(seq);
            if (upTo >= 0)
                cable.Client.SendTo(DemoFrames.Ack(mac, upTo), nic);
        }
    }

    private void Acknowledgements()
    {
        var buffer = new byte[port.MaxFrame];
        while (!stop.IsCancellationRequested)
        {
            int n = port.Receive(buffer, 50);
            if (n >= 0 && DemoFrames.TryAck(buffer.AsSpan(0, n), out int upTo))
            {
                int before = outstanding.Acked;
                outstanding.Acknowledge(upTo);
                if (outstanding.Acked > before)
                    Interlocked.Exchange(ref lastRoundTrip, clock.ElapsedMilliseconds);
            }
        }
    }

    /// <summary>Waits for a round trip (see <see cref="LastRoundTrip"/>) after <paramref name="since"/> (<see cref="Now"/> ms); its time, or null.</summary>
    public long? RoundTripAfter(long since, TimeSpan timeout)
    {
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < timeout)
        {
            if (LastRoundTrip > since)
                return LastRoundTrip;
            Thread.Sleep(5);
        }
        return null;
    }

    /// <summary>Stops producing new events; the one being made, if any, is counted when this returns.</summary>
    public void StopProducing()
    {
        producing = false;
        lock (producingGate) { } // the logger makes each event under it
    }

    /// <summary>Stops producing and waits until every event is acknowledged; true when all were.</summary>
    public bool Drain(TimeSpan timeout)
    {
        StopProducing();
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < timeout)
        {
            if (outstanding.Pending == 0)
                return true;
            Thread.Sleep(20);
        }
        return false;
    }

    public void Dispose()
    {
        stop.Cancel();
        foreach (var t in threads)
            t.Join();
        stop.Dispose();
    }
}
