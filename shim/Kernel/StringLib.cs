// SPDX-License-Identifier: MIT
// Managed side. String routines of lib/string.c that drivers call off the data path (the hot ones,
// memcpy or strlen, are native: shim/native/string.c).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class StringLib
{
    private static nuint Length(byte* s)
    {
        nuint n = 0;
        while (s[n] != 0)
            n++;
        return n;
    }

    // lib/ctype.c's tolower(): ASCII and the Latin-1 capitals (0xc0-0xde but 0xd7, the multiplication sign).
    private static byte ToLower(byte c) => c is >= (byte)'A' and <= (byte)'Z' or >= 0xc0 and <= 0xde and not 0xd7 ? (byte)(c + 32) : c;

    /// <summary>strcasecmp(): compares as lower case; the difference of the first differing (lowered) bytes.</summary>
    [KernelSymbol("strcasecmp"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Strcasecmp(byte* a, byte* b) => CompareIgnoringCase(a, b);

    public static int CompareIgnoringCase(byte* a, byte* b)
    {
        int c1, c2;
        do
        {
            c1 = ToLower(*a++);
            c2 = ToLower(*b++);
        }
        while (c1 == c2 && c1 != 0);
        return c1 - c2;
    }

    /// <summary>strstr(): the first occurrence of <paramref name="needle"/> in <paramref name="haystack"/>, or NULL; an empty needle matches at once.</summary>
    [KernelSymbol("strstr"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte* Strstr(byte* haystack, byte* needle) => Find(haystack, needle);

    public static byte* Find(byte* haystack, byte* needle)
    {
        nuint n = Length(needle);
        if (n == 0)
            return haystack;
        for (nuint left = Length(haystack); left >= n; left--, haystack++)
            if (new ReadOnlySpan<byte>(haystack, (int)n).SequenceEqual(new ReadOnlySpan<byte>(needle, (int)n)))
                return haystack;
        return null;
    }

    /// <summary>
    /// strlcat(): appends <paramref name="src"/> to <paramref name="dest"/> in a buffer of <paramref name="count"/>
    /// bytes, truncating and terminating; returns the length it tried to create. A destination not terminated
    /// within the buffer is a BUG in Linux.
    /// </summary>
    [KernelSymbol("strlcat"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nuint Strlcat(byte* dest, byte* src, nuint count) => Append(dest, src, count);

    public static nuint Append(byte* dest, byte* src, nuint count)
    {
        nuint dsize = Length(dest), len = Length(src), res = dsize + len;
        if (dsize >= count)
        {
            Machine.Fatal($"kernel BUG: strlcat() of a destination of {dsize} characters in a buffer of {count} bytes");
            return res;
        }
        dest += dsize;
        count -= dsize;
        if (len >= count)
            len = count - 1;
        Buffer.MemoryCopy(src, dest, len, len);
        dest[len] = 0;
        return res;
    }

    /// <summary>
    /// simple_strtoull() (lib/vsprintf.c): the number at the start of <paramref name="cp"/> in <paramref name="base"/>
    /// (0: "0x" hexadecimal, "0" octal, else decimal; 16 also skips a "0x"), wrapping on overflow as Linux does;
    /// *<paramref name="endp"/> is set past the last digit.
    /// </summary>
    public static ulong ParseUnsigned(byte* cp, byte** endp, uint radix)
    {
        if (radix == 0)
            radix = cp[0] == '0' ? (cp[1] is (byte)'x' or (byte)'X' && KernelLib.HexToBin(cp[2]) >= 0 ? 16u : 8u) : 10u;
        if (radix == 16 && cp[0] == '0' && cp[1] is (byte)'x' or (byte)'X')
            cp += 2;
        ulong result = 0;
        for (int d; (d = KernelLib.HexToBin(*cp)) >= 0 && d < radix; cp++)
            result = unchecked(result * radix + (ulong)d);
        if (endp != null)
            *endp = cp;
        return result;
    }

    [KernelSymbol("simple_strtoul"), KernelSymbol("simple_strtoull"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong SimpleStrtoul(byte* cp, byte** endp, uint radix) => ParseUnsigned(cp, endp, radix);
}
