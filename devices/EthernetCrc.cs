// SPDX-License-Identifier: MIT
// Managed side. CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320): the frame check sequence
// NICs append, and the multicast hash functions built on it.
namespace LinuxShim.Devices;

public static class EthernetCrc
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>The raw register value: initial ~0, no final inversion (Linux crc32_le(~0, ...)).</summary>
    public static uint Raw(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    /// <summary>The FCS as transmitted (inverted CRC, least significant byte first on the wire).</summary>
    public static uint Fcs(ReadOnlySpan<byte> frame) => ~Raw(frame);

    /// <summary>Linux ether_crc(): bit-reversed raw CRC, whose top bits index multicast hash tables.</summary>
    public static uint EtherCrc(ReadOnlySpan<byte> data)
    {
        uint v = Raw(data);
        uint r = 0;
        for (int i = 0; i < 32; i++)
        {
            r = (r << 1) | (v & 1);
            v >>= 1;
        }
        return r;
    }

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }
}
