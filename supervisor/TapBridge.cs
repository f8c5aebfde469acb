// SPDX-License-Identifier: MIT
// Managed side. A driver's netif bridged to a TAP interface on this machine (`linuxshim run`): frames both
// ways, the driver's link state mirrored onto the TAP's carrier.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.Devices.Wire;
using LinuxShim.Shim.Netif;

namespace LinuxShim.Supervisor;

/// <summary>A TAP interface carrying a driver's netif: both directions, link state mirrored.</summary>
public sealed class TapBridge : IDisposable
{
    private readonly IDriverLink link;
    private readonly TapWire tap;
    private readonly Thread upward;
    private readonly TextWriter log;
    private bool? carrier;
    private long toDriver, fromDriver;

    public TapBridge(IDriverLink link, string tapName, TextWriter log)
    {
        this.link = link;
        this.log = log;
        var info = link.Up();
        tap = new TapWire(tapName);
        if (NetifMac.TryParse(info.Mac, out var mac))
            tap.SetAddress(mac); // the interface is the driver's: replies must reach the NIC's own address
        tap.SetMtu(info.Mtu);
        tap.SetUp();
        Refresh(info);
        var port = link.Port;
        // A frame waits while the driver's ring is full (a slow driver, or its host starved of the CPU for a
        // while): the TAP's own queue holds the frames behind it and drops beyond its length, as a qdisc would,
        // counted by the kernel. Only Dispose's Cancel ends the wait.
        tap.Received += frame =>
        {
            if (frame.Length <= port.MaxFrame && port.Send(frame))
                Interlocked.Increment(ref toDriver);
        };
        upward = new Thread(Upward) { IsBackground = true, Name = "tap-from-driver" };
        upward.Start();
    }

    public string TapName => tap.InterfaceName;

    public (long ToDriver, long FromDriver) Counters => (Interlocked.Read(ref toDriver), Interlocked.Read(ref fromDriver));

    private void Upward()
    {
        var port = link.Port;
        var buffer = new byte[port.MaxFrame];
        while (true)
        {
            int n = port.Receive(buffer);
            if (n < 0)
                return;
            tap.Send(buffer.AsSpan(0, n));
            Interlocked.Increment(ref fromDriver);
        }
    }

    /// <summary>Mirrors the driver's link state on the TAP (called periodically).</summary>
    public void Refresh()
    {
        try
        {
            Refresh(link.Show());
        }
        catch (Exception e) when (e is NetifException or PosixException or NetifProtocolException)
        {
            lock (log)
                log.WriteLine($"linuxshim: netif: {e.Message}");
        }
    }

    private void Refresh(NetifInterface? info)
    {
        if (info is null || info.Link.Carrier == carrier)
            return;
        carrier = info.Link.Carrier;
        tap.SetCarrier(info.Link.Carrier);
        lock (log)
            log.WriteLine($"linuxshim: {info.Name}: link {(info.Link.Carrier ? $"up, {info.Link.SpeedMbps?.ToString() ?? "?"} Mbit/s {info.Link.Duplex} duplex" : "down")}");
    }

    public void Dispose()
    {
        link.Port.Cancel();
        upward.Join();
        tap.Dispose();
        try
        {
            link.Down();
        }
        catch (Exception e) when (e is NetifException or PosixException or NetifProtocolException)
        {
            lock (log)
                log.WriteLine($"linuxshim: taking {link.Interface} down: {e.Message}");
        }
    }
}
