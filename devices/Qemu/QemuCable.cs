// SPDX-License-Identifier: MIT
// Managed side. The NIC's cable between QEMU and LinuxShim's wire backends: QEMU's "-netdev dgram"
// on an inherited UNIX datagram socket (one Ethernet frame per datagram, no FCS), relayed here to
// any IWire (TAP, UDP, in-process, with pcap capture), so QEMU itself touches no network.
//
// A frame is never thrown away here while QEMU could still take it: when QEMU's socket is full the
// cable waits for it to drain. And for a model whose receive ring it can look into (the NE2000, see
// Ne2000RingWatch.Room) the cable is flow-controlled: QEMU's NE2000 drops a frame that finds fewer than
// 1518 bytes free in its ring, silently, however briefly the driver was kept from emptying it (a driver
// host starved of the CPU for half a second at 100 frames/s is enough), and QEMU's net layer holds
// nothing back for it. So a frame goes to QEMU only when the ring will have room for it when QEMU
// stores it: the room last read (BNRY, CURR), less every frame written since that QEMU may not have
// stored yet (until its socket is seen empty before a read, SIOCOUTQ); otherwise the frame waits on the
// wire (its own queue, e.g. the TAP's, holds the frames behind it), looking again whenever the driver
// moves BNRY, for up to HoldMs. A ring still full after that is overflowing as the chip's would: frames
// go to QEMU, which drops them, until the ring has room again. A stopped NIC drops frames as the chip does.
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;

namespace LinuxShim.Devices.Qemu;

internal sealed unsafe class QemuCable : IDisposable
{
    private const int MaxFrame = 65536;
    private const ulong SIOCOUTQ = 0x5411;

    /// <summary>How long a frame waits for room in a full receive ring before it goes to QEMU to be dropped.</summary>
    public const int HoldMs = 5000;

    // How often a waiting frame looks at the ring again without being told BNRY moved.
    private const int LookAgainMs = 10;

    private readonly int fd;
    private readonly IWire wire;
    private readonly Thread reader;
    private readonly object gate = new(), flow = new();
    private readonly Func<(RingState State, int Room)>? ring;
    private readonly Action<string> log;
    private readonly AutoResetEvent roomMayHaveGrown = new(false);
    private volatile bool closed;
    private long sent, received, dropped, held, overflowed;
    private int credit, unconfirmed; // bytes (under flow): the room a frame written now finds at least; written since the last sure read
    private bool overflowing;

    /// <summary>
    /// Relays between <paramref name="socket"/> (this side of QEMU's netdev, not owned) and <paramref name="cable"/>;
    /// with <paramref name="receiveRing"/> (the NE2000's ring, looked at under the device's lock) frames wait for room in it.
    /// </summary>
    public QemuCable(int socket, IWire cable, Func<(RingState State, int Room)>? receiveRing = null, Action<string>? log = null)
    {
        fd = socket;
        wire = cable;
        ring = receiveRing;
        this.log = log ?? (_ => { });
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

    /// <summary>Frames from the wire that QEMU did not take (its socket stayed full for <see cref="HoldMs"/>, or failed).</summary>
    public long FramesDropped => Interlocked.Read(ref dropped);

    /// <summary>Frames that waited for room in the receive ring before they went to QEMU.</summary>
    public long FramesHeld => Interlocked.Read(ref held);

    /// <summary>Frames handed to a receive ring that stayed full for <see cref="HoldMs"/> (QEMU's model drops them).</summary>
    public long FramesOverflowed => Interlocked.Read(ref overflowed);

    /// <summary>The driver freed ring space (it moved BNRY): a waiting frame looks again.</summary>
    public void RoomMayHaveGrown() => roomMayHaveGrown.Set();

    private void ToQemu(ReadOnlySpan<byte> frame)
    {
        long deadline = Environment.TickCount64 + HoldMs;
        if (ring is not null)
        {
            lock (flow)
                WaitForRoom(frame.Length, deadline);
        }
        while (true)
        {
            // Under the gate, so no write is in flight once Dispose returns (the descriptor is closed after it).
            lock (gate)
            {
                if (closed)
                    return;
                nint n;
                fixed (byte* p = frame)
                    n = Libc.Write(fd, p, (nuint)frame.Length);
                if (n == frame.Length)
                {
                    Interlocked.Increment(ref received);
                    return;
                }
                if (n >= 0 || Errno.Last != Errno.EAGAIN || Environment.TickCount64 >= deadline)
                {
                    Interlocked.Increment(ref dropped);
                    return;
                }
            }
            // QEMU's socket is full (its main loop is behind): wait for it to take a frame.
            var poll = new Libc.PollFd { Fd = fd, Events = Libc.POLLOUT };
            Libc.Poll(&poll, 1, LookAgainMs);
        }
    }

    // Returns when the frame may go to QEMU: the ring will have room for it, the NIC takes no frames (stopped), the
    // ring is overflowing, or the cable is closed. Under flow.
    private void WaitForRoom(int length, long deadline)
    {
        int cost = Ne2000RingWatch.Pages(length) << 8;
        bool waited = false;
        while (!closed)
        {
            if (credit < Ne2000RingWatch.RoomNeeded)
            {
                long unread = Unread();
                var (state, room) = ring!();
                if (state == RingState.Stopped)
                {
                    credit = unconfirmed = 0;
                    break;
                }
                if (state == RingState.Open)
                {
                    if (unread == 0)
                        unconfirmed = 0; // QEMU has stored (or filtered) every frame written before the read
                    credit = room - unconfirmed;
                }
            }
            if (credit >= Ne2000RingWatch.RoomNeeded)
            {
                if (overflowing)
                    log("the NE2000's receive ring has room again: frames wait for it as before");
                overflowing = false;
                credit -= cost;
                unconfirmed += cost;
                break;
            }
            if (overflowing || Environment.TickCount64 >= deadline)
            {
                if (!overflowing)
                    log($"the NE2000's receive ring stayed full for {HoldMs} ms: frames go to QEMU's model, which drops them, until the driver empties it");
                overflowing = true;
                Interlocked.Increment(ref overflowed);
                break;
            }
            waited = true;
            roomMayHaveGrown.WaitOne((int)Math.Clamp(deadline - Environment.TickCount64, 1, LookAgainMs));
        }
        if (waited)
            Interlocked.Increment(ref held);
    }

    // Bytes written to QEMU's socket that it has not read yet (its receive queue is charged to this side);
    // -1 when not known (then every frame since the last sure read counts as not yet stored).
    private long Unread()
    {
        lock (gate)
        {
            if (closed)
                return -1;
            int bytes = 0;
            return Libc.Ioctl(fd, SIOCOUTQ, &bytes) == 0 ? bytes : -1;
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
        roomMayHaveGrown.Set();
        wire.Received -= ToQemu;
        if (Thread.CurrentThread != reader)
            reader.Join();
        if (FramesHeld + FramesOverflowed + FramesDropped > 0)
            log($"QEMU's cable: {FramesReceived} frames to the NIC, {FramesHeld} of them held for room in its receive ring, " +
                $"{FramesOverflowed} given to a ring full for {HoldMs} ms (dropped there), {FramesDropped} not taken by QEMU");
    }
}
