// SPDX-License-Identifier: MIT
// Managed side. Library routines of the kernel (lib/): CRC-32, bitmap search, checksums; and the small
// services of other subsystems a driver asks and this machine has nothing behind: module references
// (kernel/module), LED triggers (drivers/leds), deferred probing's timeout (drivers/base/dd.c).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

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
    /// <summary>
    /// csum_partial() (arch/x86/lib/csum-partial_64.c): the 32-bit ones' complement sum of the buffer's
    /// little-endian 16-bit words (an odd last byte is the low byte of a last word) added to
    /// <paramref name="sum"/>, not folded; csum_fold() of it is the Internet checksum.
    /// </summary>
    public static uint CsumPartial(ReadOnlySpan<byte> data, uint sum)
    {
        ulong total = sum;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            total += (uint)(data[i] | data[i + 1] << 8);
        if (i < data.Length)
            total += data[i];
        while (total >> 32 != 0)
            total = (total & 0xffffffff) + (total >> 32);
        return (uint)total;
    }

    [KernelSymbol("csum_partial"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint CsumPartialEntry(nint buff, int len, uint sum) => CsumPartial(new ReadOnlySpan<byte>((void*)buff, Math.Max(len, 0)), sum);

    // Since 5.10 the copy-and-checksum family starts from ~0U, so that 0 can mean a fault in the user copies.
    [KernelSymbol("csum_partial_copy_nocheck"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint CsumPartialCopyNocheck(nint src, nint dst, int len)
    {
        var from = new ReadOnlySpan<byte>((void*)src, Math.Max(len, 0));
        from.CopyTo(new Span<byte>((void*)dst, from.Length));
        return CsumPartial(from, 0xffffffff);
    }

    private static readonly ushort[] CrcCcittTable = BuildCrcCcittTable();

    // lib/crc-ccitt.c: the reflected CRC-CCITT (polynomial x^16 + x^12 + x^5 + 1, reversed 0x8408).
    private static ushort[] BuildCrcCcittTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0x8408 ^ (c >> 1) : c >> 1;
            table[i] = (ushort)c;
        }
        return table;
    }

    public static ushort CrcCcitt(ushort crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            crc = (ushort)((crc >> 8) ^ CrcCcittTable[(crc ^ b) & 0xff]);
        return crc;
    }

    [KernelSymbol("crc_ccitt"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ushort CrcCcittEntry(ushort crc, nint buffer, nuint len) => CrcCcitt(crc, new ReadOnlySpan<byte>((void*)buffer, (int)len));

    /// <summary>hex_to_bin() (lib/hexdump.c): the value of one hex digit, or -1.</summary>
    public static int HexToBin(byte ch) => ch switch
    {
        >= (byte)'0' and <= (byte)'9' => ch - '0',
        >= (byte)'a' and <= (byte)'f' => ch - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => ch - 'A' + 10,
        _ => -1,
    };

    [KernelSymbol("hex_to_bin"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int HexToBinEntry(byte ch) => HexToBin(ch);

    private static readonly Dictionary<nint, long> ModuleReferences = [];

    /// <summary>
    /// try_module_get(): a reference to a module (NULL: built in, always there). The host's modules are linked into
    /// its one driver image and stay live until the host ends, so a reference is always had; they are counted.
    /// </summary>
    [KernelSymbol("try_module_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte TryModuleGet(nint module)
    {
        if (module != 0)
            lock (ModuleReferences)
                ModuleReferences[module] = ModuleReferences.GetValueOrDefault(module) + 1;
        return 1;
    }

    [KernelSymbol("module_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ModulePut(nint module)
    {
        if (module == 0)
            return;
        lock (ModuleReferences)
        {
            long n = ModuleReferences.GetValueOrDefault(module);
            if (n == 0)
                Machine.Log(4, $"WARNING: module_put(0x{module:x}) of a module with no reference taken");
            else
                ModuleReferences[module] = n - 1;
        }
    }

    /// <summary>References try_module_get() took on <paramref name="module"/> and module_put() did not drop.</summary>
    public static long ModuleReferenceCount(nint module)
    {
        lock (ModuleReferences)
            return ModuleReferences.GetValueOrDefault(module);
    }

    private static readonly HashSet<string> LedTriggers = [];

    /// <summary>led_trigger_register(): a trigger by its name (-EEXIST if one has it). No LED exists to attach to it.</summary>
    [KernelSymbol("led_trigger_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int LedTriggerRegister(nint trigger)
    {
        string name = Access.CString(trigger.Ptr(LedLayout.TriggerName)) ?? "";
        lock (LedTriggers)
            return LedTriggers.Add(name) ? 0 : -17;
    }

    [KernelSymbol("led_trigger_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void LedTriggerUnregister(nint trigger)
    {
        string name = Access.CString(trigger.Ptr(LedLayout.TriggerName)) ?? "";
        lock (LedTriggers)
            LedTriggers.Remove(name);
    }

    // led_trigger_event(): sets the brightness of the trigger's LEDs, of which there are none.
    [KernelSymbol("led_trigger_event"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void LedTriggerEvent(nint trigger, uint brightness)
    {
    }

    /// <summary>
    /// driver_deferred_probe_check_state() (drivers/base/dd.c): whether a device may wait for a supplier that is not
    /// there yet. The host's boot is over and it never retries a deferred probe, as a kernel whose deferred-probe
    /// timeout has passed: the dependency is ignored (-ETIMEDOUT, with Linux's warning), so fwnode_mdio registers a
    /// PHY whose interrupt is not available with polling instead of failing the bus.
    /// </summary>
    [KernelSymbol("driver_deferred_probe_check_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DriverDeferredProbeCheckState(nint dev)
    {
        Machine.Log(4, "deferred probe timeout, ignoring dependency");
        return -110;
    }
}
