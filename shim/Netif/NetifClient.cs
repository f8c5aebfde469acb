// SPDX-License-Identifier: MIT
// Managed side. The netif client API: what an application uses to reach a driver's interface without
// a TAP. Connect to a driver host's control socket, look at its interfaces (ethtool-style), bring one
// up and attach to it; then send frames to the driver and receive the frames it passes up through
// shared-memory rings, without a system call per frame while both sides are busy.
//
//   using var netif = NetifClient.Connect("/run/linuxshim/8139too/netif.sock");
//   using var port = netif.Attach("eth0");
//   netif.Up("eth0");
//   port.Send(frame);
//   int n = port.Receive(buffer, timeoutMs: 1000);
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Netif;

/// <summary>The driver host answered a request with an error.</summary>
public sealed class NetifException(string message) : Exception(message);

public sealed class NetifClient : IDisposable
{
    private readonly UnixSocket socket;
    private readonly object gate = new();

    private NetifClient(UnixSocket socket) => this.socket = socket;

    /// <summary>How long a request waits for its reply (a driver stuck on the CPU answers nothing).</summary>
    public int TimeoutMs { get; set; } = 5000;

    public static NetifClient Connect(string controlSocket) => new(UnixSocket.Connect(controlSocket));

    /// <summary>A client on an already connected socket (e.g. one end of a socketpair).</summary>
    public static NetifClient FromSocket(UnixSocket socket) => new(socket);

    /// <summary>Every interface the driver host has, with link, driver and counters.</summary>
    public IReadOnlyList<NetifInterface> Show(string? name = null) =>
        Request(new NetifRequest { Op = NetifOps.Show, Interface = name }).Interfaces ?? [];

    public NetifInterface Up(string name) => Single(Request(new NetifRequest { Op = NetifOps.Up, Interface = name }));

    public NetifInterface Down(string name) => Single(Request(new NetifRequest { Op = NetifOps.Down, Interface = name }));

    public NetifInterface SetMtu(string name, int mtu) => Single(Request(new NetifRequest { Op = NetifOps.SetMtu, Interface = name, Mtu = mtu }));

    /// <summary>Replaces the interface's multicast list (group addresses like 01:00:5e:00:00:01).</summary>
    public NetifInterface SetMulticast(string name, IReadOnlyList<string> groups) =>
        Single(Request(new NetifRequest { Op = NetifOps.SetMulticast, Interface = name, Multicast = [.. groups] }));

    public NetifInterface SetMac(string name, string mac) => Single(Request(new NetifRequest { Op = NetifOps.SetMac, Interface = name, Mac = mac }));

    /// <summary>
    /// Attaches to interface <paramref name="name"/>: creates the rings, hands them to the host and
    /// returns the port to send and receive on. A new attach replaces an older one of the interface.
    /// </summary>
    public NetifPort Attach(string name, uint slots = NetifArea.DefaultSlots, int slotSize = NetifArea.DefaultSlotSize)
    {
        var port = new NetifPort(slots, slotSize);
        try
        {
            Attach(name, port);
            return port;
        }
        catch
        {
            port.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands an existing port's rings to this host (e.g. a restarted one): the port, and whoever holds
    /// it, carries on where it was; frames already in the rings stay there.
    /// </summary>
    public NetifInterface Attach(string name, NetifPort port) =>
        Single(Request(new NetifRequest { Op = NetifOps.Attach, Interface = name }, port.Descriptors));

    /// <summary>Sends one request and waits for its reply; throws <see cref="NetifException"/> on an error reply.</summary>
    public NetifReply Request(NetifRequest request, ReadOnlySpan<int> fds = default)
    {
        if (request.Validate() is { } problem)
            throw new ArgumentException(problem, nameof(request));
        lock (gate)
        {
            NetifChannel.Send(socket, request, fds);
            if (!socket.WaitReadable(TimeoutMs))
                throw new NetifException($"the driver host did not answer {request.Op} within {TimeoutMs} ms");
            var reply = NetifChannel.Receive<NetifReply>(socket, null)
                ?? throw new NetifException("the driver host closed the netif connection");
            if (!reply.Ok)
                throw new NetifException(reply.Error ?? "request refused");
            return reply;
        }
    }

    private static NetifInterface Single(NetifReply reply) =>
        reply.Interfaces is [var one] ? one : throw new NetifException("the driver host's reply names no interface");

    public void Dispose() => socket.Dispose();
}

/// <summary>An attached interface: frames to the driver and from it.</summary>
public sealed class NetifPort : IDisposable
{
    private readonly NetifArea area;
    private readonly EventFd cancel = new();

    /// <summary>New rings, not attached to any host yet (see <see cref="NetifClient.Attach(string, NetifPort)"/>).</summary>
    public NetifPort(uint slots = NetifArea.DefaultSlots, int slotSize = NetifArea.DefaultSlotSize) => area = NetifArea.Create(slots, slotSize);

    /// <summary>The rings' descriptors (memfd, 4 eventfds), e.g. to grant them to a driver host.</summary>
    public int[] Descriptors => area.Descriptors;

    /// <summary>Largest frame the rings carry.</summary>
    public int MaxFrame => area.ToDriver.MaxFrame;

    /// <summary>Queues a frame for the driver, waiting while the ring is full; false on timeout or <see cref="Cancel"/>.</summary>
    public bool Send(ReadOnlySpan<byte> frame, int timeoutMs = -1) => !cancelled && area.ToDriver.Write(frame, timeoutMs, cancel);

    /// <summary>Queues a frame for the driver; false when the ring is full.</summary>
    public bool TrySend(ReadOnlySpan<byte> frame) => area.ToDriver.TryWrite(frame);

    /// <summary>The next frame the driver passed up, copied into <paramref name="buffer"/>: its length, or -1 when none is waiting.</summary>
    public int TryReceive(Span<byte> buffer) => area.FromDriver.TryRead(buffer);

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: for ever) for a frame; its length, or -1 on timeout or <see cref="Cancel"/>.</summary>
    public int Receive(Span<byte> buffer, int timeoutMs = -1)
    {
        int n = area.FromDriver.TryRead(buffer);
        if (n >= 0 || cancelled)
            return n;
        // WaitForData looks again after a stale wakeup and returns at the deadline or on Cancel.
        return area.FromDriver.WaitForData(timeoutMs, cancel) ? area.FromDriver.TryRead(buffer) : -1;
    }

    /// <summary>Wakes threads blocked in <see cref="Send"/> or <see cref="Receive"/>, now and from then on (they return as if timed out): for shutting down.</summary>
    public void Cancel()
    {
        cancelled = true;
        cancel.Signal();
    }

    private volatile bool cancelled;

    public void Dispose()
    {
        area.Dispose();
        cancel.Dispose();
    }
}
