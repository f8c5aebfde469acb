// SPDX-License-Identifier: MIT
// Managed side. Library routines of the kernel (lib/): CRC-32, bitmap search, checksums.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class KernelLib
{
    private static readonly uint[] Crc32Table = BuildCrc32Table();

    // The reflected CRC-32 of IEEE 802.3 (polynomial 0x04C11DB7, reversed 0xEDB88320).
    private static uint[] BuildCrc32Table()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }

    /// <summary>crc32_le: no pre- or post-inversion, as the kernel's.</summary>
    public static uint Crc32Le(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            crc = Crc32Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return crc;
    }

    /// <summary>__bitmap_andnot() (lib/bitmap.c): dst = a &amp; ~b over <paramref name="bits"/> bits; whether any bit is left.</summary>
    [KernelSymbol("__bitmap_andnot"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte BitmapAndnot(ulong* dst, ulong* a, ulong* b, uint bits)
    {
        uint whole = bits / 64;
        ulong any = 0;
        for (uint k = 0; k < whole; k++)
            any |= dst[k] = a[k] & ~b[k];
        if (bits % 64 != 0)
            any |= dst[whole] = a[whole] & ~b[whole] & (ulong.MaxValue >> (int)(64 - bits % 64));
        return any != 0 ? (byte)1 : (byte)0;
    }

    private const int RefcountSaturated = unchecked((int)0xc0000000);

    /// <summary>refcount_warn_saturate() (lib/refcount.c): the count is pinned at saturation and the misuse reported.</summary>
    [KernelSymbol("refcount_warn_saturate"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void RefcountWarnSaturate(int* r, uint type)
    {
        *r = RefcountSaturated;
        string what = type switch
        {
            0 or 1 or 2 => "saturated; leaking memory",
            3 => "underflow; use-after-free",
            4 => "decrement hit 0; leaking memory",
            _ => "unknown saturation event!?",
        };
        Machine.Log(4, $"refcount_t: {what}");
    }

    [KernelSymbol("crc32_le"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint Crc32LeEntry(uint crc, nint p, nuint len) => Crc32Le(crc, new ReadOnlySpan<byte>((void*)p, (int)len));

    [KernelSymbol("_find_next_bit"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong FindNextBit(ulong* addr, ulong size, ulong offset)
    {
        for (ulong i = offset; i < size;)
        {
            ulong word = addr[i / 64] >> (int)(i % 64);
            if (word != 0)
            {
                ulong bit = i + (ulong)BitOperations.TrailingZeroCount(word);
                return Math.Min(bit, size);
            }
            i = (i / 64 + 1) * 64;
        }
        return size;
    }

    [KernelSymbol("_find_first_bit"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong FindFirstBit(ulong* addr, ulong size)
    {
        for (ulong i = 0; i < size; i += 64)
            if (addr[i / 64] != 0)
                return Math.Min(i + (ulong)BitOperations.TrailingZeroCount(addr[i / 64]), size);
        return size;
    }

    [KernelSymbol("_find_next_zero_bit"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong FindNextZeroBit(ulong* addr, ulong size, ulong offset)
    {
        for (ulong i = offset; i < size; i++)
            if ((addr[i / 64] >> (int)(i % 64) & 1) == 0)
                return i;
        return size;
    }

    /// <summary>The IPv6 pseudo-header checksum (csum_ipv6_magic), folded and complemented.</summary>
    [KernelSymbol("csum_ipv6_magic"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ushort CsumIpv6Magic(nint saddr, nint daddr, uint len, byte proto, uint csum)
    {
        ulong sum = csum;
        for (int i = 0; i < 8; i++)
            sum += ((ushort*)saddr)[i] + (ulong)((ushort*)daddr)[i];
        sum += BinaryPrimitivesSwap((ushort)(len >> 16)) + (ulong)BinaryPrimitivesSwap((ushort)len) + BinaryPrimitivesSwap(proto);
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    private static ushort BinaryPrimitivesSwap(ushort v) => (ushort)((v >> 8) | (v << 8));

    // lib/list_debug.c (CONFIG_DEBUG_LIST): a list operation on corrupted links. Debian builds with
    // CONFIG_BUG_ON_DATA_CORRUPTION, so corruption is a BUG(): the driver ends.
    private static readonly nint ListPoison1 = unchecked((nint)0xdead000000000100), ListPoison2 = unchecked((nint)0xdead000000000122);

    private static byte Corrupted(string what)
    {
        Machine.Fatal($"list corruption: {what}");
        return 0;
    }

    [KernelSymbol("__list_add_valid"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte ListAddValid(nint* entry, nint* prev, nint* next)
    {
        if (next[1] != (nint)prev)
            return Corrupted($"next->prev should be prev (0x{(nint)prev:x}), but was 0x{next[1]:x} (next=0x{(nint)next:x})");
        if (prev[0] != (nint)next)
            return Corrupted($"prev->next should be next (0x{(nint)next:x}), but was 0x{prev[0]:x} (prev=0x{(nint)prev:x})");
        if (entry == prev || entry == next)
            return Corrupted($"list_add double add: new=0x{(nint)entry:x}, prev=0x{(nint)prev:x}, next=0x{(nint)next:x}");
        return 1;
    }

    [KernelSymbol("__list_del_entry_valid"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte ListDelEntryValid(nint* entry)
    {
        nint* next = (nint*)entry[0], prev = (nint*)entry[1];
        if ((nint)next == ListPoison1)
            return Corrupted($"list_del corruption, 0x{(nint)entry:x}->next is LIST_POISON1");
        if ((nint)prev == ListPoison2)
            return Corrupted($"list_del corruption, 0x{(nint)entry:x}->prev is LIST_POISON2");
        if (prev[0] != (nint)entry)
            return Corrupted($"list_del corruption. prev->next should be 0x{(nint)entry:x}, but was 0x{prev[0]:x}");
        if (next[1] != (nint)entry)
            return Corrupted($"list_del corruption. next->prev should be 0x{(nint)entry:x}, but was 0x{next[1]:x}");
        return 1;
    }
}
