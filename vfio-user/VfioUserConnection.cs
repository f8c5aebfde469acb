// SPDX-License-Identifier: MIT
// Managed side. vfio-user message framing over a UNIX socket: a header, its payload and the
// descriptors that came with it. Used by both the client (driver host) and the server (devices).
using System.Buffers;
using LinuxShim.Posix;

namespace LinuxShim.VfioUser;

/// <summary>One received message. <see cref="Payload"/> is valid until the next receive.</summary>
public sealed class VfioUserMessage
{
    public VfioUserHeader Header { get; internal set; }

    public ReadOnlyMemory<byte> Payload { get; internal set; }

    /// <summary>Descriptors received with the message; whoever handles it closes or keeps them.</summary>
    public List<int> Fds { get; } = [];

    /// <summary>Why the frame itself was unusable (size below the header or above the limit), or null.</summary>
    public string? FramingError { get; internal set; }
}

public sealed class VfioUserConnection : IDisposable
{
    /// <summary>Default max_data_xfer_size of the specification, 1 MiB.</summary>
    public const int DefaultMaxDataTransfer = 1 << 20;

    private readonly int maxMessageSize;
    private readonly VfioUserMessage message = new();
    private byte[] buffer = new byte[4096];

    public VfioUserConnection(UnixSocket socket, int maxMessageSize = DefaultMaxDataTransfer + 64)
    {
        Socket = socket;
        this.maxMessageSize = maxMessageSize;
    }

    public UnixSocket Socket { get; }

    /// <summary>Sends one message; the header's size field is set from the payload.</summary>
    public void Send(VfioUserHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        int total = VfioUserHeader.Size + payload.Length;
        byte[] frame = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            (header with { MessageSize = (uint)total }).Write(frame);
            payload.CopyTo(frame.AsSpan(VfioUserHeader.Size));
            Socket.Send(frame.AsSpan(0, total), fds);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>
    /// Receives the next message; null at end of stream. A frame whose header does not decode (size below
    /// the header, unknown flag bits or type) or whose size is above the limit comes back with
    /// <see cref="VfioUserMessage.FramingError"/> set and no payload (the payload is read and discarded
    /// so the stream stays in step). The whole message must arrive before <paramref name="deadline"/>
    /// (Environment.TickCount64), else <see cref="TimeoutException"/>. When this throws, every descriptor
    /// that came with the partial message has been closed.
    /// </summary>
    public VfioUserMessage? Receive(long deadline = long.MaxValue)
    {
        try
        {
            return ReceiveFrame(deadline);
        }
        catch
        {
            CloseFds(message.Fds);
            throw;
        }
    }

    /// <summary>Closes and forgets every descriptor in <paramref name="fds"/>.</summary>
    public static void CloseFds(List<int> fds)
    {
        foreach (int fd in fds)
            LinuxShim.Posix.Libc.Close(fd);
        fds.Clear();
    }

    private VfioUserMessage? ReceiveFrame(long deadline)
    {
        message.Fds.Clear();
        message.FramingError = null;
        message.Payload = ReadOnlyMemory<byte>.Empty;
        Span<byte> head = stackalloc byte[VfioUserHeader.Size];
        if (!Socket.ReceiveExactly(head, message.Fds, deadline))
            return null;
        if (!VfioUserHeader.TryDecode(head, out var header, out string? error))
        {
            header = VfioUserHeader.ReadUnchecked(head);
            message.Header = header;
            message.FramingError = error;
            if (header.MessageSize >= VfioUserHeader.Size)
                Discard(header.MessageSize - VfioUserHeader.Size, deadline);
            return message;
        }
        message.Header = header;
        long payloadLength = header.MessageSize - VfioUserHeader.Size;
        if ((header.Flags & VfioUserHeader.TypeMask) > VfioUserHeader.TypeReply)
        {
            Discard(payloadLength, deadline);
            message.FramingError = $"header.flags: type {header.Flags & VfioUserHeader.TypeMask} is neither command (0) nor reply (1)";
            return message;
        }
        if (header.MessageSize > maxMessageSize)
        {
            Discard(payloadLength, deadline);
            message.FramingError = $"header.message_size: {header.MessageSize} exceeds {maxMessageSize}";
            return message;
        }
        if (buffer.Length < payloadLength)
            buffer = new byte[Math.Max(payloadLength, buffer.Length * 2)];
        if (payloadLength > 0 && !Socket.ReceiveExactly(buffer.AsSpan(0, (int)payloadLength), message.Fds, deadline))
            throw new EndOfStreamException("connection closed inside a message");
        message.Payload = buffer.AsMemory(0, (int)payloadLength);
        return message;
    }

    private void Discard(long length, long deadline)
    {
        Span<byte> sink = stackalloc byte[4096];
        while (length > 0)
        {
            int n = (int)Math.Min(length, sink.Length);
            if (!Socket.ReceiveExactly(sink[..n], message.Fds, deadline))
                throw new EndOfStreamException("connection closed inside a discarded message");
            length -= n;
        }
    }

    public void Dispose() => Socket.Dispose();
}
