// SPDX-License-Identifier: MIT
// Managed side. A UNIX stream socket on a raw descriptor, with file descriptors passed as
// SCM_RIGHTS (what vfio-user needs and System.Net.Sockets cannot do). Blocking calls; EINTR retried.
namespace LinuxShim.Posix;

public sealed unsafe class UnixSocket : IDisposable
{
    /// <summary>Most descriptors accepted in one message; more are closed by the kernel (MSG_CTRUNC).</summary>
    public const int MaxFdsPerMessage = 16;

    private readonly SocketDescriptor fd;

    private UnixSocket(int fd) => this.fd = new SocketDescriptor(fd);

    /// <summary>The descriptor's number (ObjectDisposedException once closed); the socket still owns it.</summary>
    public int Handle => fd.Number;

    /// <summary>The descriptor itself, for a caller that must hold it open across a call (see <see cref="FileDescriptor.Lease"/>).</summary>
    public SocketDescriptor Descriptor => fd;

    /// <summary>Takes ownership of a connected (or listening) UNIX socket descriptor, e.g. one a supervisor passed in.</summary>
    public static UnixSocket FromHandle(int fd) =>
        fd >= 0 ? new UnixSocket(fd) : throw new ArgumentOutOfRangeException(nameof(fd));

    public static UnixSocket Connect(string path)
    {
        int s = NewSocket();
        var addr = Libc.UnixAddress(path, out uint len);
        if (Libc.Connect(s, &addr, len) < 0)
        {
            var err = Errno.Last;
            Libc.Close(s);
            throw err.ToException($"connect {path}");
        }
        return new UnixSocket(s);
    }

    /// <summary>A listening socket bound to <paramref name="path"/> (an existing socket file there is replaced).</summary>
    public static UnixSocket Listen(string path, int backlog = 8)
    {
        if (File.Exists(path))
            File.Delete(path);
        int s = NewSocket();
        var addr = Libc.UnixAddress(path, out uint len);
        if (Libc.Bind(s, &addr, len) < 0 || Libc.Listen(s, backlog) < 0)
        {
            var err = Errno.Last;
            Libc.Close(s);
            throw err.ToException($"listen on {path}");
        }
        return new UnixSocket(s);
    }

    /// <summary>Two connected sockets (socketpair), e.g. for a device server in the same process.</summary>
    public static (UnixSocket, UnixSocket) CreatePair()
    {
        int* fds = stackalloc int[2];
        Libc.Check(Libc.SocketPair(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0, fds), "socketpair");
        return (new UnixSocket(fds[0]), new UnixSocket(fds[1]));
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for a connection; null when none came.</summary>
    public UnixSocket? Accept(int timeoutMs)
    {
        if (!WaitReadable(timeoutMs))
            return null;
        using var held = fd.Lease();
        while (true)
        {
            int c = Libc.Accept4(held.Number, null, null, Libc.SOCK_CLOEXEC);
            if (c >= 0)
                return new UnixSocket(c);
            var err = Errno.Last;
            if (err == Errno.EINTR)
                continue;
            if (err == Errno.EAGAIN)
                return null;
            throw err.ToException("accept");
        }
    }

    /// <summary>True when data (or end of stream) can be read within the timeout (-1: wait for ever).</summary>
    public bool WaitReadable(int timeoutMs)
    {
        using var held = fd.Lease();
        var p = new Libc.PollFd { Fd = held.Number, Events = Libc.POLLIN };
        while (true)
        {
            int n = Libc.Poll(&p, 1, timeoutMs);
            if (n >= 0)
                return n > 0;
            if (Errno.Last != Errno.EINTR)
                throw Errno.Last.ToException("poll");
        }
    }

    /// <summary>
    /// Bounds every later send: one that cannot go on for <paramref name="timeoutMs"/> (a peer that stops
    /// reading) fails with EAGAIN instead of blocking for ever (SO_SNDTIMEO; 0: no bound).
    /// </summary>
    public void SetSendTimeout(int timeoutMs)
    {
        var tv = new Libc.TimeVal { Seconds = timeoutMs / 1000, Microseconds = timeoutMs % 1000 * 1000 };
        using var held = fd.Lease();
        Libc.Check(Libc.SetSockOpt(held.Number, Libc.SOL_SOCKET, Libc.SO_SNDTIMEO, &tv, (uint)sizeof(Libc.TimeVal)), "setsockopt SO_SNDTIMEO");
    }

    /// <summary>Sends all of <paramref name="data"/>; <paramref name="fds"/> travel with its first byte.</summary>
    public void Send(ReadOnlySpan<byte> data, ReadOnlySpan<int> fds = default)
    {
        if (fds.Length > MaxFdsPerMessage)
            throw new ArgumentException($"at most {MaxFdsPerMessage} descriptors per message", nameof(fds));
        byte* control = stackalloc byte[Libc.CmsgSpace(MaxFdsPerMessage * sizeof(int))];
        int controlLength = WriteRights(control, fds);
        using var held = fd.Lease();
        fixed (byte* start = data)
        {
            int sent = 0;
            do
            {
                var iov = new Libc.IoVec { Base = start + sent, Length = (nuint)(data.Length - sent) };
                var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1 };
                if (sent == 0 && controlLength > 0)
                {
                    msg.Control = control;
                    msg.ControlLength = (nuint)controlLength;
                }
                nint n = Libc.SendMsg(held.Number, &msg, Libc.MSG_NOSIGNAL);
                if (n < 0)
                {
                    if (Errno.Last == Errno.EINTR)
                        continue;
                    throw Errno.Last.ToException("sendmsg");
                }
                sent += (int)n;
            }
            while (sent < data.Length);
        }
    }

    /// <summary>
    /// Reads what is available, up to the buffer's size (0: end of stream). Received descriptors are
    /// appended to <paramref name="fds"/>, or closed when it is null.
    /// </summary>
    public int Receive(Span<byte> buffer, List<int>? fds) => Receive(buffer, fds, wait: true);

    // wait false: -1 instead of blocking when nothing is there (EAGAIN).
    private int Receive(Span<byte> buffer, List<int>? fds, bool wait)
    {
        int controlSize = Libc.CmsgSpace(MaxFdsPerMessage * sizeof(int));
        byte* control = stackalloc byte[controlSize];
        using var held = fd.Lease();
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var iov = new Libc.IoVec { Base = start, Length = (nuint)buffer.Length };
                var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlSize };
                nint n = Libc.RecvMsg(held.Number, &msg, Libc.MSG_CMSG_CLOEXEC | (wait ? 0 : Libc.MSG_DONTWAIT));
                if (n < 0)
                {
                    if (Errno.Last == Errno.EINTR)
                        continue;
                    if (!wait && Errno.Last == Errno.EAGAIN)
                        return -1;
                    throw Errno.Last.ToException("recvmsg");
                }
                CollectFds(&msg, fds);
                return (int)n;
            }
        }
    }

    /// <summary>Fills the whole buffer; false on end of stream before its first byte (throws on a cut-off).</summary>
    public bool ReceiveExactly(Span<byte> buffer, List<int>? fds) => ReceiveExactly(buffer, fds, long.MaxValue);

    /// <summary>
    /// Like <see cref="ReceiveExactly(Span{byte}, List{int}?)"/>, but the whole buffer must arrive before
    /// <paramref name="deadline"/> (Environment.TickCount64; long.MaxValue: no bound), else <see cref="TimeoutException"/>.
    /// </summary>
    public bool ReceiveExactly(Span<byte> buffer, List<int>? fds, long deadline)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            // What is already there is taken without a poll first (one system call per read, not two).
            int n = deadline == long.MaxValue ? Receive(buffer[got..], fds) : Receive(buffer[got..], fds, wait: false);
            if (n < 0)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !WaitReadable((int)Math.Min(left, int.MaxValue)))
                    throw new TimeoutException($"no data for {got} of {buffer.Length} bytes before the deadline");
                continue;
            }
            if (n == 0)
            {
                if (got == 0)
                    return false;
                throw new EndOfStreamException($"connection closed after {got} of {buffer.Length} bytes");
            }
            got += n;
        }
        return true;
    }

    /// <summary>
    /// Writes an SCM_RIGHTS control message carrying <paramref name="fds"/> (at most <see cref="MaxFdsPerMessage"/>)
    /// to <paramref name="control"/>; returns its length, 0 when there are none.
    /// </summary>
    public static int WriteRights(byte* control, ReadOnlySpan<int> fds)
    {
        if (fds.IsEmpty)
            return 0;
        int controlLength = Libc.CmsgSpace(fds.Length * sizeof(int));
        new Span<byte>(control, controlLength).Clear();
        var cmsg = (Libc.CmsgHdr*)control;
        cmsg->Length = (nuint)(Libc.CmsgHeaderSize + fds.Length * sizeof(int));
        cmsg->Level = Libc.SOL_SOCKET;
        cmsg->Type = Libc.SCM_RIGHTS;
        fds.CopyTo(new Span<int>(control + Libc.CmsgHeaderSize, fds.Length));
        return controlLength;
    }

    /// <summary>
    /// The descriptors of every SCM_RIGHTS message in <paramref name="msg"/>: appended to <paramref name="fds"/>,
    /// or closed when it is null. Returns how many there were.
    /// </summary>
    public static int CollectFds(Libc.MsgHdr* msg, List<int>? fds)
    {
        int total = 0;
        byte* p = (byte*)msg->Control;
        byte* end = p + (long)msg->ControlLength;
        while (p + Libc.CmsgHeaderSize <= end)
        {
            var cmsg = (Libc.CmsgHdr*)p;
            long len = (long)cmsg->Length;
            if (len < Libc.CmsgHeaderSize || p + len > end)
                break;
            if (cmsg->Level == Libc.SOL_SOCKET && cmsg->Type == Libc.SCM_RIGHTS)
            {
                int count = (int)((len - Libc.CmsgHeaderSize) / sizeof(int));
                total += count;
                int* data = (int*)(p + Libc.CmsgHeaderSize);
                for (int i = 0; i < count; i++)
                {
                    if (fds is null)
                        Libc.Close(data[i]);
                    else
                        fds.Add(data[i]);
                }
            }
            p += (len + 7) & ~7;
        }
        return total;
    }

    /// <summary>Wakes any thread blocked on this socket (it then sees end of stream or an error).</summary>
    public void Shutdown()
    {
        if (!fd.TryLease(out var held))
            return;
        using (held)
            Libc.Shutdown(held.Number, Libc.SHUT_RDWR);
    }

    /// <summary>
    /// Closes this process's descriptor without shutting the connection down: for a socket whose
    /// other copy was passed to another process, which goes on using it.
    /// </summary>
    public void CloseDescriptor() => fd.Dispose();

    /// <summary>Shuts the connection down (waking a thread blocked on it) and closes the descriptor once no call holds it.</summary>
    public void Dispose()
    {
        Shutdown();
        fd.Dispose();
    }

    private static int NewSocket() =>
        (int)Libc.Check(Libc.Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0), "socket");
}
