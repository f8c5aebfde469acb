// SPDX-License-Identifier: MIT
// Managed side. The framing of the control channels (netif's, and the supervisor's): on a UNIX stream
// socket, each message is a 4-byte little-endian length and that many bytes of one JSON object;
// descriptors travel with it as SCM_RIGHTS. The messages themselves (NetifRequest, NetifReply,
// SupervisorMessage…) are described in shim/Protocol/control.protocol.json and generated, parser and
// writer included: a message is checked field by field, and against the descriptors that came with
// it, before Receive returns it.
using System.Buffers.Binary;
using LinuxShim.Posix;
using LinuxShim.Shim.Protocol;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Netif;

public static class NetifMac
{
    /// <summary>A station (unicast, non-zero) address like 52:54:00:12:34:56.</summary>
    public static bool TryParse(string text, out byte[] mac) =>
        TryParseAny(text, out mac) && (mac[0] & 1) == 0 && mac.Any(b => b != 0);

    /// <summary>
    /// Any six bytes as two hex digits each, separated by colons or by hyphens (IEEE 802's two canonical forms;
    /// group addresses included). The one MAC grammar of LinuxShim: the device models' MacAddress parses with it.
    /// </summary>
    public static bool TryParseAny(string text, out byte[] mac)
    {
        mac = new byte[6];
        var parts = text.Split(text.Contains('-', StringComparison.Ordinal) ? '-' : ':');
        if (parts.Length != 6)
            return false;
        for (int i = 0; i < 6; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], System.Globalization.NumberStyles.HexNumber, null, out mac[i]))
                return false;
        }
        return true;
    }

    public static string Format(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2")));
}

/// <summary>Length-prefixed control messages on a UNIX socket.</summary>
public static class NetifChannel
{
    public const int MaxMessage = 1 << 20;

    public static void Send<T>(UnixSocket socket, T message, ReadOnlySpan<int> fds = default) where T : class, IControlMessage<T>
    {
        byte[] json = ControlMessage.ToJson(message);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, json.Length);
        json.CopyTo(frame, 4);
        socket.Send(frame, fds);
    }

    /// <summary>
    /// The next message, or null at end of stream. A malformed one throws <see cref="NetifBadMessageException"/>
    /// (the stream is still in step) or <see cref="NetifProtocolException"/> (it is not: a bad length, a
    /// cut-off). Received descriptors go to <paramref name="fds"/>, or are closed when it is null.
    /// </summary>
    public static T? Receive<T>(UnixSocket socket, List<int>? fds) where T : class, IControlMessage<T>
    {
        var received = fds ?? [];
        int before = received.Count;
        try
        {
            Span<byte> prefix = stackalloc byte[4];
            if (!socket.ReceiveExactly(prefix, received))
                return null;
            int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
            if (length <= 0 || length > MaxMessage)
                throw new NetifProtocolException($"control message of {length} bytes (1..{MaxMessage})");
            var body = new byte[length];
            if (!socket.ReceiveExactly(body, received))
                throw new NetifProtocolException("control message cut off");
            return T.TryParse(body, received.Count - before, out var message, out string? error)
                ? message
                : throw new NetifBadMessageException(error);
        }
        finally
        {
            if (fds is null)
                CloseAll(received);
        }
    }

    public static void CloseAll(List<int> fds)
    {
        foreach (int f in fds)
            Libc.Close(f);
        fds.Clear();
    }
}
