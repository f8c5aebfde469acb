// SPDX-License-Identifier: MIT
// Managed side. A 48-bit Ethernet station address.

namespace LinuxShim.Devices;

public readonly record struct MacAddress(byte B0, byte B1, byte B2, byte B3, byte B4, byte B5)
{
    /// <summary>A locally administered unicast address (QEMU's default 52:54:00:12:34:56 prefix space).</summary>
    public static MacAddress Default { get; } = new(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);

    public byte this[int i] => i switch
    {
        0 => B0, 1 => B1, 2 => B2, 3 => B3, 4 => B4, 5 => B5,
        _ => throw new ArgumentOutOfRangeException(nameof(i)),
    };

    /// <summary>Six bytes as two hex digits each, separated by colons or hyphens (Shim.Netif.NetifMac's grammar).</summary>
    public static MacAddress Parse(string text)
    {
        if (!Shim.Netif.NetifMac.TryParseAny(text, out var b))
            throw new FormatException($"not a MAC address: {text}");
        return new MacAddress(b[0], b[1], b[2], b[3], b[4], b[5]);
    }

    public bool Matches(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 6 && bytes[0] == B0 && bytes[1] == B1 && bytes[2] == B2 && bytes[3] == B3 && bytes[4] == B4 && bytes[5] == B5;

    public byte[] ToArray() => [B0, B1, B2, B3, B4, B5];

    public override string ToString() => $"{B0:x2}:{B1:x2}:{B2:x2}:{B3:x2}:{B4:x2}:{B5:x2}";
}
