// SPDX-License-Identifier: MIT
// Test side. Ethernet frames for the tests.
namespace LinuxShim.Devices.Tests;

internal static class Frames
{
    public static readonly byte[] Broadcast = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    public static readonly byte[] OtherStation = [0x02, 0x00, 0x00, 0xAA, 0xBB, 0xCC];

    /// <summary>A frame to <paramref name="destination"/> from OtherStation with a recognisable payload.</summary>
    public static byte[] To(ReadOnlySpan<byte> destination, int length = 64, byte seed = 1, ushort etherType = 0x88B5)
    {
        var f = new byte[length];
        destination.CopyTo(f);
        OtherStation.CopyTo(f, 6);
        f[12] = (byte)(etherType >> 8);
        f[13] = (byte)etherType;
        for (int i = 14; i < length; i++)
            f[i] = (byte)(seed + i);
        return f;
    }
}
