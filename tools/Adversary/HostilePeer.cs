// SPDX-License-Identifier: MIT
// Managed side. One connection of a hostile vfio-user client: sends whatever it is told (framed or
// raw, with any descriptors), and waits for the reply to one message while answering the server's own
// DMA_READ/DMA_WRITE as the campaign's policy says (correctly, wrongly, with garbage or an error).
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Tools.Adversary;

internal enum DmaReplyPolicy { Correct, WrongCount, Garbage, Error, WrongId }

internal sealed class HostilePeer : IDisposable
{
    private readonly UnixSocket socket;
    private readonly VfioUserConnection connection;
    private readonly Random rng;

    private HostilePeer(UnixSocket socket, Random rng)
    {
        this.socket = socket;
        this.rng = rng;
        connection = new VfioUserConnection(socket, 8 << 20);
    }

    /// <summary>How to answer the server's DMA_READ/DMA_WRITE.</summary>
    public DmaReplyPolicy Policy { get; set; }

    /// <summary>Server-to-client commands seen on this connection.</summary>
    public int ServerCommands { get; private set; }

    public UnixSocket Socket => socket;

    /// <summary>Connects; with <paramref name="handshake"/>, negotiates VERSION 0.1. Null when the server refused.</summary>
    public static HostilePeer? Open(string path, Random rng, bool handshake = true)
    {
        var peer = new HostilePeer(UnixSocket.Connect(path), rng);
        if (!handshake)
            return peer;
        byte[] caps = "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,\"linuxshim_repeated_access\":true}}\0"u8.ToArray();
        byte[] p = new byte[VfioUserVersion.FixedSize + caps.Length];
        new VfioUserVersion(VfioUserCapabilities.Major, VfioUserCapabilities.Minor).Encode(p, caps);
        if (!peer.Send(0xFFFF, (ushort)VfioUserCommand.Version, p, 0, default) || peer.Await(0xFFFF, 10_000) is not { IsError: false })
        {
            peer.Dispose();
            return null;
        }
        return peer;
    }

    /// <summary>Sends one framed message; false when the connection is gone.</summary>
    public bool Send(ushort id, ushort command, ReadOnlySpan<byte> payload, uint flags, ReadOnlySpan<int> fds)
    {
        try
        {
            connection.Send(new VfioUserHeader(id, command, 0, flags, 0), payload, fds);
            return true;
        }
        catch (Exception e) when (e is PosixException or IOException)
        {
            return false;
        }
    }

    public bool SendRaw(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> fds = default)
    {
        try
        {
            socket.Send(bytes, fds);
            return true;
        }
        catch (Exception e) when (e is PosixException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The reply to message <paramref name="id"/>; null when the server closed the connection; throws
    /// <see cref="TimeoutException"/> when neither happened within <paramref name="timeoutMs"/>.
    /// </summary>
    public VfioUserHeader? Await(ushort id, int timeoutMs, List<byte>? payload = null)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            long left = deadline - Environment.TickCount64;
            VfioUserMessage? m;
            try
            {
                if (left <= 0 || !socket.WaitReadable((int)left))
                    throw new TimeoutException($"no reply to message {id} within {timeoutMs} ms");
                m = connection.Receive(Environment.TickCount64 + 5000);
            }
            catch (Exception e) when (e is EndOfStreamException or PosixException)
            {
                return null;
            }
            if (m is null)
                return null;
            VfioUserConnection.CloseFds(m.Fds);
            if (m.FramingError is null && m.Header.IsCommand)
            {
                AnswerServer(m);
                continue;
            }
            if (m.Header.MessageId != id)
                continue; // a late reply to something sent without waiting
            payload?.AddRange(m.Payload.Span);
            return m.Header;
        }
    }

    private void AnswerServer(VfioUserMessage m)
    {
        ServerCommands++;
        var h = m.Header;
        var policy = Policy;
        ushort id = policy == DmaReplyPolicy.WrongId ? (ushort)(h.MessageId + 1) : h.MessageId;
        var reply = new VfioUserHeader(id, h.Command, 0, VfioUserHeader.TypeReply, 0);
        if (policy == DmaReplyPolicy.Error)
        {
            Send(reply with { Flags = VfioUserHeader.TypeReply | VfioUserHeader.ErrorFlag, Error = 14 }, default);
            return;
        }
        if (h.Command == (ushort)VfioUserCommand.DmaRead && VfioUserDmaAccess.TryDecode(m.Payload.Span, 0, out var read, out _))
        {
            ulong count = policy == DmaReplyPolicy.WrongCount ? read.Count + 1 : read.Count;
            var data = new byte[(int)Math.Min(count, 1 << 20)];
            rng.NextBytes(data); // the client's "memory": whatever it likes
            var p = new byte[VfioUserDmaData.FixedSize + data.Length];
            new VfioUserDmaData(read.Address, count).Encode(p, data);
            if (policy == DmaReplyPolicy.Garbage)
                rng.NextBytes(p);
            Send(reply, p);
            return;
        }
        if (h.Command == (ushort)VfioUserCommand.DmaWrite && VfioUserDmaData.TryDecode(m.Payload.Span, 0, out var write, out _, out _))
        {
            var p = new byte[VfioUserDmaAccess.FixedSize];
            new VfioUserDmaAccess(write.Address, policy == DmaReplyPolicy.WrongCount ? write.Count + 3 : write.Count).Encode(p);
            if (policy == DmaReplyPolicy.Garbage)
                rng.NextBytes(p);
            Send(reply, p);
            return;
        }
        Send(reply with { Flags = VfioUserHeader.TypeReply | VfioUserHeader.ErrorFlag, Error = 38 }, default);
    }

    private void Send(VfioUserHeader header, ReadOnlySpan<byte> payload)
    {
        try
        {
            connection.Send(header, payload);
        }
        catch (Exception e) when (e is PosixException or IOException)
        {
            // gone; the next receive says so
        }
    }

    public void Dispose() => connection.Dispose();
}
