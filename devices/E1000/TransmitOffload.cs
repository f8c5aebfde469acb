// SPDX-License-Identifier: MIT
// Managed side. What the 82540EM does to a packet on its way out when a context descriptor asked
// for it: IP and TCP/UDP checksum insertion and TCP segmentation (TSO), per the SDM's sections on
// transmit context descriptors and TCP segmentation. Pure functions over byte buffers. Every offset
// comes from a driver-written descriptor: one outside the packet is not inserted, never an exception.
using System.Buffers.Binary;

namespace LinuxShim.Devices.E1000;

/// <summary>The offload context of a TCP/IP context descriptor.</summary>
internal readonly record struct OffloadContext(int Ipcss, int Ipcso, int Ipcse, int Tucss, int Tucso, int Tucse,
    int PayloadLength, byte TuCmd, int HeaderLength, int Mss);

internal static class TransmitOffload
{
    /// <summary>
    /// Stores the one's-complement sum of [start, end] (end inclusive, 0 = to the end) at <paramref name="at"/>,
    /// big-endian. A start or field outside the packet, or an end before the start, inserts nothing.
    /// </summary>
    public static void InsertChecksum(Span<byte> packet, int start, int at, int end, uint add = 0)
    {
        if (start < 0 || start >= packet.Length || !Fits(at, 2, packet.Length))
            return;
        int last = end == 0 || end >= packet.Length ? packet.Length - 1 : end;
        if (last < start)
            return;
        uint sum = add + Sum(packet[start..(last + 1)]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], (ushort)~Fold(sum));
    }

    /// <summary>Whether <paramref name="length"/> bytes at <paramref name="at"/> lie inside <paramref name="limit"/> bytes.</summary>
    private static bool Fits(int at, int length, int limit) => at >= 0 && at <= limit - length;

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        return sum;
    }

    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>Applies the checksums the POPTS bits ask for to one whole packet.</summary>
    public static void Checksum(Span<byte> packet, OffloadContext c, bool ip, bool l4)
    {
        if (ip)
            InsertChecksum(packet, c.Ipcss, c.Ipcso, c.Ipcse);
        if (l4)
            InsertChecksum(packet, c.Tucss, c.Tucso, c.Tucse);
    }

    /// <summary>
    /// Cuts a TSO packet (header + payload) into frames of at most MSS payload bytes: per segment the
    /// IPv4 total length and id (or IPv6 payload length), the TCP sequence number, PSH/FIN only on the
    /// last, and checksums with the segment's length added to the pseudo-header sum the driver left.
    /// A context that cannot describe the packet (HDRLEN 0 or past the packet, MSS 0, an IP or TCP/UDP
    /// header that does not fit in HDRLEN) is malformed: nothing is sent. Checksum fields (IPCSO, TUCSO)
    /// must lie in the header every segment repeats; one that does not is not inserted.
    /// </summary>
    public static IEnumerable<byte[]> Segment(byte[] packet, OffloadContext c, bool ip, bool l4)
    {
        int hdr = c.HeaderLength;
        if (hdr <= 0 || hdr > packet.Length || c.Mss <= 0 || !Fits(c.Tucss, 20, hdr) || !Fits(c.Ipcss, 20, hdr))
            yield break;
        ip &= Fits(c.Ipcso, 2, hdr);
        l4 &= Fits(c.Tucso, 2, hdr);
        bool ipv4 = (c.TuCmd & E1000Registers.TuCmdIp) != 0;
        bool tcp = (c.TuCmd & E1000Registers.TuCmdTcp) != 0;
        int payload = packet.Length - hdr;
        ushort ipId = BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(c.Ipcss + 4));
        uint seq = tcp ? BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(c.Tucss + 4)) : 0;
        int n = 0;
        for (int offset = 0; offset < payload || (payload == 0 && n == 0); offset += c.Mss, n++)
        {
            int chunk = Math.Min(c.Mss, payload - offset);
            bool last = offset + chunk >= payload;
            var frame = new byte[hdr + chunk];
            packet.AsSpan(0, hdr).CopyTo(frame);
            packet.AsSpan(hdr + offset, chunk).CopyTo(frame.AsSpan(hdr));
            if (ipv4)
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(c.Ipcss + 2), (ushort)(frame.Length - c.Ipcss));
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(c.Ipcss + 4), (ushort)(ipId + n));
                if (ip)
                {
                    frame[c.Ipcso] = 0;
                    frame[c.Ipcso + 1] = 0;
                    InsertChecksum(frame, c.Ipcss, c.Ipcso, c.Ipcse);
                }
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(c.Ipcss + 4), (ushort)(frame.Length - c.Ipcss - 40));
            }
            if (tcp)
            {
                BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(c.Tucss + 4), seq + (uint)offset);
                if (!last)
                    frame[c.Tucss + 13] &= unchecked((byte)~0x09); // PSH and FIN only on the last segment
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(c.Tucss + 4), (ushort)(frame.Length - c.Tucss));
            }
            if (l4)
                InsertChecksum(frame, c.Tucss, c.Tucso, c.Tucse, (uint)(frame.Length - c.Tucss));
            yield return frame;
            if (last)
                yield break;
        }
    }
}
