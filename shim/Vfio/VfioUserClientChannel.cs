// SPDX-License-Identifier: MIT
// Managed side. The vfio-user client's end of its socket: whole messages out and in, each within a
// deadline and none larger than a limit, so a device server that stops reading, sends one byte at a
// time, never answers or announces a huge message holds the client no longer than the deadline and
// makes it allocate no more than the limit. Descriptors arriving with a message are closed and counted,
// unless the caller asked for them (a reply that carries memory or eventfds).
using System.Buffers;
using LinuxShim.Posix;
using LinuxShim.VfioUser;

namespace LinuxShim.Shim.Vfio;

/// <summary>One received message; <see cref="Payload"/> is valid until the next receive.</summary>
internal readonly record struct VfioUserFrame(VfioUserHeader Header, ReadOnlyMemory<byte> Payload, int Descriptors);

internal sealed unsafe class VfioUserClientChannel(UnixSocket socket, int maxMessage)
{
    // Received bytes not yet handed out are rx[start..end); the buffer grows to the largest message
    // actually received, never beyond maxMessage.
    private byte[] rx = new byte[4096];
    private int start, end;

    public int MaxMessage => maxMessage;

    /// <summary>Milliseconds left until <paramref name="deadline"/> (an <see cref="Environment.TickCount64"/> value).</summary>
    public static int Remaining(long deadline) => (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);

    /// <summary>
    /// Sends one message (its size field set from the payload); <paramref name="fds"/> travel with its
    /// first byte. <see cref="TimeoutException"/> when the server has not taken it all by the deadline.
    /// </summary>
    public void Send(VfioUserHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, long deadline)
    {
        int total = VfioUserHeader.Size + payload.Length;
        byte[]? rented = total > 256 ? ArrayPool<byte>.Shared.Rent(total) : null;
        Span<byte> frame = rented ?? stackalloc byte[256];
        try
        {
            (header with { MessageSize = (uint)total }).Write(frame);
            payload.CopyTo(frame[VfioUserHeader.Size..]);
            SendAll(frame[..total], fds, deadline);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void SendAll(ReadOnlySpan<byte> data, ReadOnlySpan<int> fds, long deadline)
    {
        if (fds.Length > UnixSocket.MaxFdsPerMessage)
            throw new ArgumentException($"at most {UnixSocket.MaxFdsPerMessage} descriptors per message", nameof(fds));
        byte* control = stackalloc byte[Libc.CmsgSpace(UnixSocket.MaxFdsPerMessage * sizeof(int))];
        int controlLength = UnixSocket.WriteRights(control, fds);
        fixed (byte* first = data)
        {
            int sent = 0;
            while (sent < data.Length)
            {
                var iov = new Libc.IoVec { Base = first + sent, Length = (nuint)(data.Length - sent) };
                var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1 };
                if (sent == 0 && controlLength > 0)
                {
                    msg.Control = control;
                    msg.ControlLength = (nuint)controlLength;
                }
                nint n = Libc.SendMsg(socket.Handle, &msg, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);
                if (n >= 0)
                {
                    sent += (int)n;
                    continue;
                }
                var err = Errno.Last;
                if (err == Errno.EINTR)
                    continue;
                if (err == Errno.EPIPE)
                    throw new EndOfStreamException("the server closed the connection");
                if (err != Errno.EAGAIN)
                    throw err.ToException("sendmsg");
                if (!Wait(Libc.POLLOUT, deadline))
                    throw new TimeoutException($"the server took {sent} of {data.Length} bytes and no more");
            }
        }
    }

    /// <summary>
    /// The next message. <see cref="TimeoutException"/> when it is not all there by the deadline,
    /// <see cref="EndOfStreamException"/> when the server closed the connection,
    /// <see cref="InvalidDataException"/> when its size field is below the header or above the limit.
    /// </summary>
    public VfioUserFrame Receive(long deadline, List<int>? keep = null)
    {
        int descriptors = Fill(VfioUserHeader.Size, deadline, 0, keep);
        if (!VfioUserHeader.TryDecode(rx.AsSpan(start, VfioUserHeader.Size), out var header, out string? error))
            throw new InvalidDataException(error);
        if (header.MessageSize > (uint)maxMessage)
            throw new InvalidDataException($"message size {header.MessageSize} exceeds this client's limit of {maxMessage}");
        int size = (int)header.MessageSize;
        descriptors = Fill(size, deadline, descriptors, keep);
        var payload = rx.AsMemory(start + VfioUserHeader.Size, size - VfioUserHeader.Size);
        start += size;
        if (start == end)
            start = end = 0;
        return new VfioUserFrame(header, payload, descriptors);
    }

    // Makes at least `need` unread bytes available (need <= maxMessage); returns the descriptors seen, which go
    // to `keep` when it is given (the caller closes them) and are closed otherwise.
    private int Fill(int need, long deadline, int descriptors, List<int>? keep)
    {
        if (end - start >= need)
            return descriptors;
        if (rx.Length - start < need)
        {
            var target = rx.Length >= need ? rx : new byte[Math.Min(maxMessage, Math.Max(need, rx.Length * 2))];
            Buffer.BlockCopy(rx, start, target, 0, end - start);
            end -= start;
            start = 0;
            rx = target;
        }
        int controlSize = Libc.CmsgSpace(UnixSocket.MaxFdsPerMessage * sizeof(int));
        byte* control = stackalloc byte[controlSize];
        while (end - start < need)
        {
            if (!Wait(Libc.POLLIN, deadline))
                throw new TimeoutException(end == start ? "nothing arrived" : $"{end - start} of {need} bytes arrived");
            fixed (byte* buffer = rx)
            {
                var iov = new Libc.IoVec { Base = buffer + end, Length = (nuint)(rx.Length - end) };
                var msg = new Libc.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlSize };
                nint n = Libc.RecvMsg(socket.Handle, &msg, Libc.MSG_CMSG_CLOEXEC | Libc.MSG_DONTWAIT);
                if (n < 0)
                {
                    var err = Errno.Last;
                    if (err == Errno.EINTR || err == Errno.EAGAIN)
                        continue;
                    throw err.ToException("recvmsg");
                }
                descriptors += keep is null ? CloseDescriptors(&msg) : ((msg.Flags & Libc.MSG_CTRUNC) != 0 ? 1 : 0) + UnixSocket.CollectFds(&msg, keep);
                if (n == 0)
                    throw new EndOfStreamException(end == start
                        ? "the server closed the connection"
                        : $"the server closed the connection inside a message ({end - start} of {need} bytes)");
                end += (int)n;
            }
        }
        return descriptors;
    }

    // Waits until the socket is ready for `events` or the deadline passes (false).
    private bool Wait(short events, long deadline)
    {
        var p = new Libc.PollFd { Fd = socket.Handle, Events = events };
        while (true)
        {
            int n = Libc.Poll(&p, 1, Remaining(deadline));
            if (n > 0)
                return true;
            if (n == 0)
            {
                if (Environment.TickCount64 >= deadline)
                    return false;
                continue; // poll's millisecond rounding woke it a little early
            }
            if (Errno.Last != Errno.EINTR)
                throw Errno.Last.ToException("poll");
        }
    }

    // A server passes the client no descriptor in any message this client understands: each is closed.
    private static int CloseDescriptors(Libc.MsgHdr* msg) =>
        ((msg->Flags & Libc.MSG_CTRUNC) != 0 ? 1 : 0) + UnixSocket.CollectFds(msg, null);
}
