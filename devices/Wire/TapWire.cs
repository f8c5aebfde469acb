// SPDX-License-Identifier: MIT
// Managed side. Frames through a Linux TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI): what the
// NIC sends, the host kernel receives on that interface, and the other way round. Needs
// CAP_NET_ADMIN to create the interface; a non-persistent TAP disappears when it is closed.
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Devices.Wire;

public sealed unsafe class TapWire : IWire
{
    private const ulong TUNSETIFF = 0x400454CA; // _IOW('T', 202, int)
    private const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    private const int IfNameSize = 16, IfReqSize = 40;

    private readonly FrameDispatch dispatch = new();
    private readonly int fd;
    private readonly EventFd stop = new();
    private readonly Thread receiver;

    /// <summary>Opens (creating if needed) TAP interface <paramref name="name"/> ("" lets the kernel pick tapN).</summary>
    public TapWire(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) >= IfNameSize)
            throw new ArgumentException($"interface name too long: {name}", nameof(name));
        fd = (int)Libc.Check(Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0), "open /dev/net/tun");
        byte* ifr = stackalloc byte[IfReqSize];
        new Span<byte>(ifr, IfReqSize).Clear();
        Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, IfNameSize - 1));
        *(short*)(ifr + IfNameSize) = IFF_TAP | IFF_NO_PI;
        if (Libc.Ioctl(fd, TUNSETIFF, ifr) < 0)
        {
            var err = Errno.Last;
            Libc.Close(fd);
            throw err.ToException($"TUNSETIFF {name}");
        }
        InterfaceName = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(ifr, IfNameSize)).TrimEnd('\0');
        Description = $"tap:{InterfaceName}";
        receiver = new Thread(Receive) { IsBackground = true, Name = Description };
        receiver.Start();
    }

    public event FrameHandler? Received;

    public long HandlerFaults => dispatch.Faults;

    public Exception? FirstHandlerFault => dispatch.FirstFault;

    public string Description { get; }

    /// <summary>The interface's name as the kernel gave it.</summary>
    public string InterfaceName { get; }

    private const ulong TUNSETCARRIER = 0x400454E2; // _IOW('T', 226, int)
    private const ulong SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCSIFMTU = 0x8922, SIOCSIFHWADDR = 0x8924;
    private const int AF_INET = 2, SOCK_DGRAM = 2, ARPHRD_ETHER = 1;
    private const short IFF_UP = 1;

    /// <summary>Gives the interface a station address (as `ip link set NAME address MAC`).</summary>
    public void SetAddress(ReadOnlySpan<byte> mac)
    {
        if (mac.Length != 6)
            throw new ArgumentException("a MAC address is 6 bytes", nameof(mac));
        var copy = mac.ToArray();
        InterfaceIoctl(SIOCSIFHWADDR, "SIOCSIFHWADDR", ifr =>
        {
            *(ushort*)(ifr + IfNameSize) = ARPHRD_ETHER;
            copy.CopyTo(new Span<byte>(ifr + IfNameSize + 2, 6));
        });
    }

    /// <summary>Sets the interface's MTU (as `ip link set NAME mtu N`).</summary>
    public void SetMtu(int mtu) => InterfaceIoctl(SIOCSIFMTU, "SIOCSIFMTU", ifr => *(int*)(ifr + IfNameSize) = mtu);

    /// <summary>Brings the interface up (as `ip link set NAME up`).</summary>
    public void SetUp()
    {
        short flags = 0;
        InterfaceIoctl(SIOCGIFFLAGS, "SIOCGIFFLAGS", null, ifr => flags = *(short*)(ifr + IfNameSize));
        InterfaceIoctl(SIOCSIFFLAGS, "SIOCSIFFLAGS", ifr => *(short*)(ifr + IfNameSize) = (short)(flags | IFF_UP));
    }

    /// <summary>Sets the interface's carrier (link up or down), as the NIC behind it reports it.</summary>
    public void SetCarrier(bool up)
    {
        int value = up ? 1 : 0;
        if (Libc.Ioctl(fd, TUNSETCARRIER, &value) < 0)
            throw Errno.Last.ToException($"TUNSETCARRIER {InterfaceName}");
    }

    private delegate void IfReqAction(byte* ifr);

    // An SIOC*IF* ioctl on an AF_INET socket, with an ifreq naming this interface.
    private void InterfaceIoctl(ulong request, string what, IfReqAction? fill, IfReqAction? read = null)
    {
        int s = (int)Libc.Check(Libc.Socket(AF_INET, SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0), "socket");
        try
        {
            byte* ifr = stackalloc byte[IfReqSize];
            new Span<byte>(ifr, IfReqSize).Clear();
            Encoding.UTF8.GetBytes(InterfaceName, new Span<byte>(ifr, IfNameSize - 1));
            fill?.Invoke(ifr);
            if (Libc.Ioctl(s, request, ifr) < 0)
                throw Errno.Last.ToException($"{what} {InterfaceName}");
            read?.Invoke(ifr);
        }
        finally
        {
            Libc.Close(s);
        }
    }

    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            // EAGAIN (queue full) or EIO (interface down) drop the frame, as a congested cable would
            while (Libc.Write(fd, p, (nuint)frame.Length) < 0 && Errno.Last == Errno.EINTR)
            {
            }
        }
    }

    private void Receive()
    {
        var buffer = new byte[65536];
        var polls = stackalloc Libc.PollFd[2];
        while (true)
        {
            polls[0] = new Libc.PollFd { Fd = fd, Events = Libc.POLLIN };
            polls[1] = new Libc.PollFd { Fd = stop.Handle, Events = Libc.POLLIN };
            if (Libc.Poll(polls, 2, -1) < 0)
            {
                if (Errno.Last == Errno.EINTR)
                    continue;
                return;
            }
            if (polls[1].Revents != 0)
                return;
            fixed (byte* p = buffer)
            {
                nint n = Libc.Read(fd, p, (nuint)buffer.Length);
                if (n > 0)
                    dispatch.Raise(Received, buffer.AsSpan(0, (int)n));
            }
        }
    }

    public void Dispose()
    {
        stop.Signal();
        if (Thread.CurrentThread != receiver)
            receiver.Join();
        Libc.Close(fd);
        stop.Dispose();
    }
}
