// SPDX-License-Identifier: MIT
// Managed side. Frames through a Linux TAP interface (/dev/net/tun, IFF_TAP | IFF_NO_PI): what the
// NIC sends, the host kernel receives on that interface, and the other way round. Needs
// CAP_NET_ADMIN to create the interface; a non-persistent TAP disappears when it is closed.
using System.Text;
using LinuxShim.Shim.Vfio;
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Devices.Wire;

public sealed unsafe class TapWire : IWire
{
    private const ulong TUNSETIFF = 0x400454CA; // _IOW('T', 202, int)
    private const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    private const int IfNameSize = 16, IfReqSize = 40;

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
            int err = Libc.LastError;
            Libc.Close(fd);
            throw new NativeCallException($"TUNSETIFF {name}", err);
        }
        InterfaceName = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(ifr, IfNameSize)).TrimEnd('\0');
        Description = $"tap:{InterfaceName}";
        receiver = new Thread(Receive) { IsBackground = true, Name = Description };
        receiver.Start();
    }

    public event FrameHandler? Received;

    public string Description { get; }

    /// <summary>The interface's name as the kernel gave it.</summary>
    public string InterfaceName { get; }

    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            // EAGAIN (queue full) or EIO (interface down) drop the frame, as a congested cable would
            while (Libc.Write(fd, p, (nuint)frame.Length) < 0 && Libc.LastError == Libc.EINTR)
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
                if (Libc.LastError == Libc.EINTR)
                    continue;
                return;
            }
            if (polls[1].Revents != 0)
                return;
            fixed (byte* p = buffer)
            {
                nint n = Libc.Read(fd, p, (nuint)buffer.Length);
                if (n > 0)
                    Received?.Invoke(buffer.AsSpan(0, (int)n));
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
