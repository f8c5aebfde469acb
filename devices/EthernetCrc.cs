// SPDX-License-Identifier: MIT
// Managed side. CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320): the frame check sequence
// NICs append, and the multicast hash functions built on it.
namespace LinuxShim.Devices;

public static class EthernetCrc
{
    /// <summary>The raw register value: initial ~0, no final inversion (Linux crc32_le(~0, ...), the shim's own).</summary>
    public static uint Raw(ReadOnlySpan<byte> data) => Shim.Kernel.KernelLib.Crc32Le(0xFFFFFFFF, data);

    /// <summary>
    /// The FCS as transmitted (inverted CRC, least significant byte first on the wire): ~<see cref="Raw"/>, which is
    /// the standard CRC-32 that System.IO.Hashing computes 16 bytes at a time, where the table takes one: every
    /// received frame has one computed, a full-size frame in a tenth of the time.
    /// </summary>
    public static uint Fcs(ReadOnlySpan<byte> frame) => System.IO.Hashing.Crc32.HashToUInt32(frame);

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
}
