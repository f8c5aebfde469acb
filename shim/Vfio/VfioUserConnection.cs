// SPDX-License-Identifier: MIT
// Managed side. vfio-user message framing over a UNIX socket: a header, its payload and the
// descriptors that came with it. Used by both the client (driver host) and the server (devices).
using System.Buffers;

namespace LinuxShim.Shim.Vfio;

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
    /// Receives the next message; null at end of stream. A frame whose size field is below the header
    /// size or above the limit comes back with <see cref="VfioUserMessage.FramingError"/> set and no
    /// payload (an oversized payload is read and discarded so the stream stays in step).
    /// </summary>
    public VfioUserMessage? Receive()
    {
        message.Fds.Clear();
        message.FramingError = null;
        message.Payload = ReadOnlyMemory<byte>.Empty;
        Span<byte> head = stackalloc byte[VfioUserHeader.Size];
        if (!Socket.ReceiveExactly(head, message.Fds))
            return null;
        var header = VfioUserHeader.Read(head);
        message.Header = header;
        if (header.MessageSize < VfioUserHeader.Size)
        {
            message.FramingError = $"message size {header.MessageSize} is smaller than the header";
            return message;
        }
        long payloadLength = header.MessageSize - VfioUserHeader.Size;
        if (header.MessageSize > maxMessageSize)
        {
            Discard(payloadLength);
            message.FramingError = $"message size {header.MessageSize} exceeds {maxMessageSize}";
            return message;
        }
        if (buffer.Length < payloadLength)
            buffer = new byte[Math.Max(payloadLength, buffer.Length * 2)];
        if (payloadLength > 0 && !Socket.ReceiveExactly(buffer.AsSpan(0, (int)payloadLength), message.Fds))
            throw new EndOfStreamException("connection closed inside a message");
        message.Payload = buffer.AsMemory(0, (int)payloadLength);
        return message;
    }

    private void Discard(long length)
    {
        Span<byte> sink = stackalloc byte[4096];
        while (length > 0)
        {
            int n = Socket.Receive(sink[..(int)Math.Min(length, sink.Length)], message.Fds);
            if (n == 0)
                throw new EndOfStreamException("connection closed inside an oversized message");
            length -= n;
        }
    }

    public void Dispose() => Socket.Dispose();
}
