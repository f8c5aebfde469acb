// SPDX-License-Identifier: MIT
// Managed side. The NIC's cable between QEMU and LinuxShim's wire backends: QEMU's "-netdev dgram"
// on an inherited UNIX datagram socket (one Ethernet frame per datagram, no FCS), relayed here to
// any IWire (TAP, UDP, in-process, with pcap capture), so QEMU itself touches no network.
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;

namespace LinuxShim.Devices.Qemu;

internal sealed unsafe class QemuCable : IDisposable
{
    private const int MaxFrame = 65536;

    private readonly int fd;
    private readonly IWire wire;
    private readonly Thread reader;
    private readonly object gate = new();
    private volatile bool closed;
    private long sent, received, dropped;

    /// <summary>Relays between <paramref name="socket"/> (this side of QEMU's netdev, not owned) and <paramref name="cable"/>.</summary>
    public QemuCable(int socket, IWire cable)
    {
        fd = socket;
        wire = cable;
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        Libc.Check(Libc.Fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK), "fcntl O_NONBLOCK");
        wire.Received += ToQemu;
        reader = new Thread(FromQemu) { IsBackground = true, Name = "qemu cable" };
        reader.Start();
    }

    /// <summary>Frames QEMU's NIC put on the wire.</summary>
    public long FramesSent => Interlocked.Read(ref sent);

    /// <summary>Frames from the wire handed to QEMU's NIC (its own filters may still drop them).</summary>
    public long FramesReceived => Interlocked.Read(ref received);

    /// <summary>Frames from the wire dropped because QEMU did not take them (its socket buffer full).</summary>
    public long FramesDropped => Interlocked.Read(ref dropped);

    // Under the gate, so no write is in flight once Dispose returns (the descriptor is closed after it).
    private void ToQemu(ReadOnlySpan<byte> frame)
    {
        lock (gate)
        {
            if (closed)
                return;
            fixed (byte* p = frame)
            {
                if (Libc.Write(fd, p, (nuint)frame.Length) == frame.Length)
                    Interlocked.Increment(ref received);
                else
                    Interlocked.Increment(ref dropped);
            }
        }
    }

    private void FromQemu()
    {
        var buffer = new byte[MaxFrame];
        var poll = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
        while (!closed)
        {
            poll.Revents = 0;
            if (Libc.Poll(&poll, 1, 200) <= 0)
                continue;
            nint n;
            fixed (byte* p = buffer)
                n = Libc.Read(fd, p, MaxFrame);
            if (n > 0)
            {
                Interlocked.Increment(ref sent);
                wire.Send(buffer.AsSpan(0, (int)n));
            }
            else if (n == 0 || (Errno.Last != Errno.EAGAIN && Errno.Last != Errno.EINTR))
            {
                return; // QEMU's end is gone
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
            closed = true;
        wire.Received -= ToQemu;
        if (Thread.CurrentThread != reader)
            reader.Join();
    }
}
