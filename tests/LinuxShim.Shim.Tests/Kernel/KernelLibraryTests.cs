// SPDX-License-Identifier: MIT
// Tests of the shim's library routines (lib/, arch/x86/lib): checksums against RFC 1071's worked example
// and a reference fold, CRC-CCITT against its standard check value, hex digits, strstr and strlcat.
using System.Text;
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed unsafe class KernelLibraryTests
{
    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)sum;
    }

    [Fact]
    public void CsumPartialFoldsToTheInternetChecksum()
    {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (big-endian words), f2dd in memory order.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xf2dd, Fold(KernelLib.CsumPartial(data, 0)));
        // An odd length: the last byte is the low byte of a word.
        Assert.Equal(Fold(KernelLib.CsumPartial(data, 0) + 0xab), Fold(KernelLib.CsumPartial([.. data, 0xab], 0)));
        // The seed is added in.
        Assert.Equal(Fold(0xf2dd + 0x1234u), Fold(KernelLib.CsumPartial(data, 0x1234)));
    }

    [Fact]
    public void CsumOfLongBuffersKeepsEveryCarry()
    {
        var data = Enumerable.Repeat((byte)0xff, 70000).ToArray(); // 35000 words of ffff: the 32-bit sum overflows
        ulong reference = 0;
        for (int i = 0; i < data.Length; i += 2)
            reference += 0xffff;
        while (reference >> 16 != 0)
            reference = (reference & 0xffff) + (reference >> 16);
        Assert.Equal((ushort)reference, Fold(KernelLib.CsumPartial(data, 0)));
    }

    [Fact]
    public void CrcCcittGivesTheStandardCheckValue()
    {
        // CRC-16/KERMIT (reflected CCITT, seed 0) of "123456789" is 0x2189.
        Assert.Equal(0x2189, KernelLib.CrcCcitt(0, Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0, KernelLib.CrcCcitt(0, []));
    }

    [Theory]
    [InlineData('0', 0)]
    [InlineData('9', 9)]
    [InlineData('a', 10)]
    [InlineData('F', 15)]
    [InlineData('g', -1)]
    [InlineData(':', -1)]
    public void HexDigits(char c, int value) => Assert.Equal(value, KernelLib.HexToBin((byte)c));

    private static byte[] C(string s) => [.. Encoding.ASCII.GetBytes(s), 0];

    [Theory]
    [InlineData("firmware 1.2.3", "1.2", 9)]
    [InlineData("abcabd", "abd", 3)]
    [InlineData("abc", "", 0)]
    [InlineData("abc", "abcd", -1)]
    [InlineData("abc", "x", -1)]
    public void Strstr(string haystack, string needle, int at)
    {
        fixed (byte* h = C(haystack), n = C(needle))
        {
            byte* found = StringLib.Find(h, n);
            Assert.Equal(at, found == null ? -1 : (int)(found - h));
        }
    }

    [Theory]
    [InlineData("eth", "0", 16, "eth0", 4)]
    [InlineData("abc", "defgh", 6, "abcde", 8)] // truncated, terminated, the full length returned
    [InlineData("", "xyz", 1, "", 3)]
    public void Strlcat(string dest, string src, int size, string result, int length)
    {
        var buffer = new byte[32];
        Encoding.ASCII.GetBytes(dest).CopyTo(buffer, 0);
        fixed (byte* d = buffer, s = C(src))
        {
            Assert.Equal((nuint)length, StringLib.Append(d, s, (nuint)size));
            Assert.Equal(result, Encoding.ASCII.GetString(buffer, 0, Array.IndexOf(buffer, (byte)0)));
        }
    }

    [Fact]
    public void KmallocSizeRoundupIsTheBlockKmallocGives()
    {
        using var memory = new PhysicalMemory(1 << 20);
        var heap = new HeapAllocator(memory);
        foreach (long size in new long[] { 1, 16, 17, 100, 2048, 2049, 5000 })
            Assert.Equal(heap.SizeOf(heap.Allocate(size)), HeapAllocator.BlockSize(size));
    }

    [Theory]
    [InlineData("0x1f:rest", 0u, 31ul, 4)]
    [InlineData("0755", 0u, 493ul, 4)]
    [InlineData("0x", 0u, 0ul, 1)]     // "0" then not a hex digit: octal 0, stops at the x
    [InlineData("ff", 16u, 255ul, 2)]
    [InlineData("0XfF", 16u, 255ul, 4)]
    [InlineData("129z", 10u, 129ul, 3)]
    [InlineData("z", 10u, 0ul, 0)]
    public void SimpleStrtoul(string text, uint radix, ulong value, int consumed)
    {
        fixed (byte* s = C(text))
        {
            byte* end;
            Assert.Equal(value, StringLib.ParseUnsigned(s, &end, radix));
            Assert.Equal(consumed, (int)(end - s));
        }
    }

    [Fact]
    public void SimpleReadFromBufferAdvancesAndStopsAtTheEnd()
    {
        byte[] from = Encoding.ASCII.GetBytes("0123456789");
        var to = new byte[4];
        long pos = 0;
        fixed (byte* f = from, t = to)
        {
            Assert.Equal(4, Debugfs.ReadFromBuffer(t, 4, &pos, f, 10));
            Assert.Equal(4, Debugfs.ReadFromBuffer(t, 4, &pos, f, 10));
            Assert.Equal("4567", Encoding.ASCII.GetString(to));
            Assert.Equal(2, Debugfs.ReadFromBuffer(t, 4, &pos, f, 10));
            Assert.Equal(0, Debugfs.ReadFromBuffer(t, 4, &pos, f, 10));
            Assert.Equal(10, pos);
            pos = -1;
            Assert.Equal(-22, Debugfs.ReadFromBuffer(t, 4, &pos, f, 10));
        }
    }

    [Fact]
    public void EthtoolPutsFillsOneSlotAndTruncates()
    {
        var strings = new byte[64];
        fixed (byte* start = strings, a = C("rx_packets"), b = C(new string('x', 40)))
        {
            byte* p = start;
            Ethtool.Puts(&p, a);
            Assert.Equal(32, (int)(p - start));
            Ethtool.Puts(&p, b);
            Assert.Equal(64, (int)(p - start));
        }
        Assert.Equal("rx_packets", Encoding.ASCII.GetString(strings, 0, 10));
        Assert.Equal(0, strings[10]);
        Assert.Equal(new string('x', 31), Encoding.ASCII.GetString(strings, 32, 31)); // ETH_GSTRING_LEN - 1 characters
        Assert.Equal(0, strings[63]);
    }
}
