// SPDX-License-Identifier: MIT
// Managed side. Frames over UDP, one raw Ethernet frame per datagram, the framing of QEMU's
// "-netdev dgram" with inet addresses, so an emulated NIC here can talk to a QEMU guest's.
using System.Net;
using System.Net.Sockets;
using LinuxShim.Posix;

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
        socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
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

    // Datagrams per system call, and the largest frame taken (a jumbo frame fits; anything longer is not Ethernet).
    private const int Batch = 32, MaxDatagram = 9216;

    // Every datagram waiting is taken in one recvmmsg (up to Batch) and handed on in order: the model's work per
    // wake-up, not a system call per frame. A truncated datagram (longer than MaxDatagram) is dropped, as a NIC
    // drops a frame longer than it takes.
    private unsafe void Receive()
    {
        var buffers = new byte[Batch * MaxDatagram];
        var iov = new Libc.IoVec[Batch];
        var messages = new Libc.MMsgHdr[Batch];
        fixed (byte* data = buffers)
        fixed (Libc.IoVec* vectors = iov)
        fixed (Libc.MMsgHdr* headers = messages)
        {
            for (int i = 0; i < Batch; i++)
                vectors[i] = new Libc.IoVec { Base = data + i * MaxDatagram, Length = MaxDatagram };
            while (!closed)
            {
                int n = ReceiveBatch(vectors, headers);
                if (n < 0)
                    return;
                for (int i = 0; i < n; i++)
                {
                    int length = (int)headers[i].Length;
                    if (length > 0 && (headers[i].Header.Flags & Libc.MSG_TRUNC) == 0)
                        dispatch.Raise(Received, buffers.AsSpan(i * MaxDatagram, length));
                }
            }
        }
    }

    // Waits up to 200 ms for datagrams (so Dispose is seen), then takes what is there: how many, 0 for none, -1 when closed.
    private unsafe int ReceiveBatch(Libc.IoVec* vectors, Libc.MMsgHdr* headers)
    {
        var handle = socket.SafeHandle;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            int fd = (int)handle.DangerousGetHandle();
            var p = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
            int ready = Libc.Poll(&p, 1, 200);
            if (ready <= 0)
                return closed ? -1 : 0;
            for (int i = 0; i < Batch; i++)
                headers[i] = new Libc.MMsgHdr { Header = new Libc.MsgHdr { Iov = vectors + i, IovLength = 1 } };
            int n = Libc.RecvMmsg(fd, headers, Batch, Libc.MSG_DONTWAIT, null);
            // EAGAIN, EINTR, or the ICMP error of an earlier send: nothing this time
            return n < 0 ? (closed ? -1 : 0) : n;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
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
