// SPDX-License-Identifier: MIT
// Managed side. Frames over UDP, one raw Ethernet frame per datagram, the framing of QEMU's
// "-netdev dgram" with inet addresses, so an emulated NIC here can talk to a QEMU guest's.
using System.Net;
using System.Net.Sockets;

namespace LinuxShim.Devices.Wire;

public sealed class UdpWire : IWire
{
    private readonly FrameDispatch dispatch = new();
    private readonly Socket socket;
    private readonly EndPoint remote;
    private readonly Thread receiver;
    private volatile bool closed;

    /// <summary>Sends to <paramref name="remote"/>; receives on <paramref name="localPort"/> (0: any free port) of the matching address family.</summary>
    public UdpWire(IPEndPoint remote, int localPort)
    {
        this.remote = remote;
        socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 200 };
        socket.Bind(new IPEndPoint(remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, localPort));
        LocalPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        Description = $"udp:{remote}:{LocalPort}";
        receiver = new Thread(Receive) { IsBackground = true, Name = Description };
        receiver.Start();
    }

    public event FrameHandler? Received;

    public long HandlerFaults => dispatch.Faults;

    public Exception? FirstHandlerFault => dispatch.FirstFault;

    public string Description { get; }

    public int LocalPort { get; }

    public void Send(ReadOnlySpan<byte> frame)
    {
        try
        {
            socket.SendTo(frame, SocketFlags.None, remote);
        }
        catch (SocketException)
        {
            // nobody listening (ICMP port unreachable) or no route: the frame is lost, as on a cable
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Receive()
    {
        var buffer = new byte[65536];
        while (!closed)
        {
            int n;
            try
            {
                n = socket.Receive(buffer);
            }
            catch (SocketException) when (!closed)
            {
                continue; // a receive timeout, or the ICMP error of an earlier send
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            if (n > 0)
                dispatch.Raise(Received, buffer.AsSpan(0, n));
        }
    }

    public void Dispose()
    {
        closed = true;
        socket.Dispose();
        if (Thread.CurrentThread != receiver)
            receiver.Join();
    }
}
