// SPDX-License-Identifier: MIT
// Managed side. The demo's frames on the wire (EtherType 0x88b5, local experimental): an event from
// the hardware monitor's logger ("LSEV", sequence number, time produced), the collector's
// cumulative acknowledgement ("LSAK", highest sequence number with everything below it received),
// and the attacker's crafted frame carrying the trojan's trigger bytes.
using System.Buffers.Binary;
using System.Text;

namespace LinuxShim.Tools.Demo;

public static class DemoFrames
{
    public static readonly byte[] CollectorMac = [0x02, 0x4c, 0x53, 0x00, 0x00, 0xc0];
    public static readonly byte[] AttackerMac = [0x02, 0x4c, 0x53, 0x00, 0x00, 0xa7];
    private const ushort EtherType = 0x88b5;
    private static readonly byte[] EventTag = "LSEV"u8.ToArray(), AckTag = "LSAK"u8.ToArray();

    private static byte[] Frame(byte[] destination, byte[] source, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[Math.Max(60, 14 + payload.Length)];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType);
        payload.CopyTo(frame.AsSpan(14));
        return frame;
    }

    public static byte[] Event(byte[] nicMac, int sequence, long producedTicks, string text)
    {
        var payload = new byte[4 + 4 + 8 + Encoding.UTF8.GetByteCount(text)];
        EventTag.CopyTo(payload, 0);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), sequence);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(8), producedTicks);
        Encoding.UTF8.GetBytes(text, payload.AsSpan(16));
        return Frame(CollectorMac, nicMac, payload);
    }

    public static byte[] Ack(byte[] nicMac, int upTo)
    {
        var payload = new byte[8];
        AckTag.CopyTo(payload, 0);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), upTo);
        return Frame(nicMac, CollectorMac, payload);
    }

    public static byte[] Attack(byte[] nicMac) => Frame(nicMac, AttackerMac, "hello LSTROJAN"u8);

    /// <summary>The crafted frame with the digit that picks the trojan's action (1 crash, 2 hang, 3 leak, 4 storm, 5 escape).</summary>
    public static byte[] Attack(byte[] nicMac, int action) => Frame(nicMac, AttackerMac, Encoding.ASCII.GetBytes($"inject LSTROJAN{action}"));

    /// <summary>One frame off the cable into <paramref name="buffer"/>: its length, or -1 when none came within the socket's receive timeout.</summary>
    public static int ReceiveFromCable(System.Net.Sockets.Socket cable, byte[] buffer)
    {
        try
        {
            return cable.Receive(buffer);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return -1;
        }
    }

    public static bool TryEvent(ReadOnlySpan<byte> frame, out int sequence)
    {
        sequence = -1;
        if (frame.Length < 30 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherType || !frame.Slice(14, 4).SequenceEqual(EventTag))
            return false;
        sequence = BinaryPrimitives.ReadInt32BigEndian(frame[18..]);
        return sequence >= 0;
    }

    public static bool TryAck(ReadOnlySpan<byte> frame, out int upTo)
    {
        upTo = -1;
        if (frame.Length < 22 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherType || !frame.Slice(14, 4).SequenceEqual(AckTag))
            return false;
        upTo = BinaryPrimitives.ReadInt32BigEndian(frame[18..]);
        return true;
    }
}
