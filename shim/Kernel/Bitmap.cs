// SPDX-License-Identifier: MIT
// Managed side. Bitmaps (lib/bitmap.c): the out-of-line operations the inline helpers of <linux/bitmap.h> call
// for bitmaps longer than one word (phylib's and phylink's link-mode masks), and bitmaps allocated whole. As
// in Linux, the bits of the last word past nbits are ignored by the tests, cleared by __bitmap_and() and
// copied by __bitmap_or().
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Bitmap
{
    private static ulong LastWordMask(uint bits) => ulong.MaxValue >> (int)((64 - bits % 64) % 64);

    private static uint Longs(uint bits) => (bits + 63) / 64;

    /// <summary>__bitmap_and(): dst = a &amp; b over <paramref name="bits"/> bits; whether any bit is set.</summary>
    [KernelSymbol("__bitmap_and"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte BitmapAnd(ulong* dst, ulong* a, ulong* b, uint bits) => And(dst, a, b, bits) ? (byte)1 : (byte)0;

    public static bool And(ulong* dst, ulong* a, ulong* b, uint bits)
    {
        uint whole = bits / 64;
        ulong any = 0;
        for (uint k = 0; k < whole; k++)
            any |= dst[k] = a[k] & b[k];
        if (bits % 64 != 0)
            any |= dst[whole] = a[whole] & b[whole] & LastWordMask(bits);
        return any != 0;
    }

    /// <summary>__bitmap_or(): dst = a | b, every word the bits reach.</summary>
    [KernelSymbol("__bitmap_or"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void BitmapOr(ulong* dst, ulong* a, ulong* b, uint bits) => Or(dst, a, b, bits);

    public static void Or(ulong* dst, ulong* a, ulong* b, uint bits)
    {
        for (uint k = 0; k < Longs(bits); k++)
            dst[k] = a[k] | b[k];
    }

    [KernelSymbol("__bitmap_equal"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte BitmapEqual(ulong* a, ulong* b, uint bits) => Equal(a, b, bits) ? (byte)1 : (byte)0;

    public static bool Equal(ulong* a, ulong* b, uint bits)
    {
        uint whole = bits / 64;
        for (uint k = 0; k < whole; k++)
            if (a[k] != b[k])
                return false;
        return bits % 64 == 0 || ((a[whole] ^ b[whole]) & LastWordMask(bits)) == 0;
    }

    /// <summary>__bitmap_subset(): whether every bit of <paramref name="a"/> is set in <paramref name="b"/>.</summary>
    [KernelSymbol("__bitmap_subset"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte BitmapSubset(ulong* a, ulong* b, uint bits) => Subset(a, b, bits) ? (byte)1 : (byte)0;

    public static bool Subset(ulong* a, ulong* b, uint bits)
    {
        uint whole = bits / 64;
        for (uint k = 0; k < whole; k++)
            if ((a[k] & ~b[k]) != 0)
                return false;
        return bits % 64 == 0 || (a[whole] & ~b[whole] & LastWordMask(bits)) == 0;
    }

    /// <summary>__bitmap_intersects(): whether a bit is set in both.</summary>
    [KernelSymbol("__bitmap_intersects"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte BitmapIntersects(ulong* a, ulong* b, uint bits) => Intersects(a, b, bits) ? (byte)1 : (byte)0;

    public static bool Intersects(ulong* a, ulong* b, uint bits)
    {
        uint whole = bits / 64;
        for (uint k = 0; k < whole; k++)
            if ((a[k] & b[k]) != 0)
                return true;
        return bits % 64 != 0 && (a[whole] & b[whole] & LastWordMask(bits)) != 0;
    }

    // bitmap_alloc()/bitmap_zalloc(): kmalloc_array() of the longs the bits need (a kmalloc: it may fail on purpose, failslab).
    [KernelSymbol("bitmap_alloc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint BitmapAlloc(uint bits, uint gfp) => Allocate(bits, gfp);

    [KernelSymbol("bitmap_zalloc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint BitmapZalloc(uint bits, uint gfp) => Allocate(bits, gfp | GfpFlags.Zero);

    public static nint Allocate(uint bits, uint gfp)
    {
        if (FaultInjection.Fail("slab"))
            return 0;
        long size = Longs(bits) * 8L;
        return size == 0 ? 16 : Memory.Allocate(size, gfp); // kmalloc(0): ZERO_SIZE_PTR
    }

    [KernelSymbol("bitmap_free"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void BitmapFree(nint bitmap) => Memory.Free(bitmap);
}
