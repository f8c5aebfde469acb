// SPDX-License-Identifier: MIT
// Managed side. Reads and writes of kernel structure fields through their loaded layout. Each accessor takes
// a field declared with its width (StructField<uint> for U32…), which was checked against the kernel's layout
// when it was loaded, so no access checks a size.
namespace LinuxShim.Shim.Layout;

public static unsafe class Access
{
    public static nint At(this nint p, StructField f) => p + f.Offset;

    public static byte U8(this nint p, StructField<byte> f) => *(byte*)(p + f.Offset);
    public static void U8(this nint p, StructField<byte> f, byte v) => *(byte*)(p + f.Offset) = v;
    public static ushort U16(this nint p, StructField<ushort> f) => *(ushort*)(p + f.Offset);
    public static void U16(this nint p, StructField<ushort> f, ushort v) => *(ushort*)(p + f.Offset) = v;
    public static uint U32(this nint p, StructField<uint> f) => *(uint*)(p + f.Offset);
    public static void U32(this nint p, StructField<uint> f, uint v) => *(uint*)(p + f.Offset) = v;
    public static int I32(this nint p, StructField<int> f) => *(int*)(p + f.Offset);
    public static void I32(this nint p, StructField<int> f, int v) => *(int*)(p + f.Offset) = v;
    public static ulong U64(this nint p, StructField<ulong> f) => *(ulong*)(p + f.Offset);
    public static void U64(this nint p, StructField<ulong> f, ulong v) => *(ulong*)(p + f.Offset) = v;
    public static nint Ptr(this nint p, StructField<nint> f) => *(nint*)(p + f.Offset);
    public static void Ptr(this nint p, StructField<nint> f, nint v) => *(nint*)(p + f.Offset) = v;

    /// <summary>Reads a bit-field.</summary>
    public static uint Bits(this nint p, BitField f)
    {
        int bytes = (f.BitOffset + f.BitWidth + 7) / 8;
        ulong word = 0;
        for (int i = 0; i < bytes; i++)
            word |= (ulong)((byte*)(p + f.Offset))[i] << (8 * i);
        return (uint)((word >> f.BitOffset) & ((1UL << f.BitWidth) - 1));
    }

    /// <summary>Writes a bit-field, leaving its neighbours alone.</summary>
    public static void Bits(this nint p, BitField f, uint v)
    {
        // The field lies within the byte at Offset and the few after it; update only those bytes.
        int bytes = (f.BitOffset + f.BitWidth + 7) / 8;
        ulong word = 0;
        for (int i = 0; i < bytes; i++)
            word |= (ulong)((byte*)(p + f.Offset))[i] << (8 * i);
        ulong mask = ((1UL << f.BitWidth) - 1) << f.BitOffset;
        word = (word & ~mask) | (((ulong)v << f.BitOffset) & mask);
        for (int i = 0; i < bytes; i++)
            ((byte*)(p + f.Offset))[i] = (byte)(word >> (8 * i));
    }

    /// <summary>Atomic bit operations on an unsigned long bitmap field (Linux set_bit/clear_bit/test_bit).</summary>
    public static bool TestBit(this nint p, StructField f, int bit) => ((*(ulong*)(p + f.Offset + bit / 64 * 8)) >> (bit % 64) & 1) != 0;

    public static bool SetBit(this nint p, StructField f, int bit)
    {
        ulong m = 1UL << (bit % 64);
        return (Interlocked.Or(ref *(ulong*)(p + f.Offset + bit / 64 * 8), m) & m) != 0;
    }

    public static bool ClearBit(this nint p, StructField f, int bit)
    {
        ulong m = 1UL << (bit % 64);
        return (Interlocked.And(ref *(ulong*)(p + f.Offset + bit / 64 * 8), ~m) & m) != 0;
    }

    public static string? CString(nint p) => p == 0 ? null : System.Runtime.InteropServices.Marshal.PtrToStringUTF8(p);

    public static void WriteCString(nint dest, int capacity, string s)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(s);
        int n = Math.Min(bytes.Length, capacity - 1);
        new ReadOnlySpan<byte>(bytes, 0, n).CopyTo(new Span<byte>((void*)dest, n));
        ((byte*)dest)[n] = 0;
    }
}
