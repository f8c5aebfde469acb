// SPDX-License-Identifier: MIT
// Tests of the shim's PCI Vital Product Data (drivers/pci/vpd.c): dword transfers through the VPD
// capability of a function that completes them as PCI 3.0 appendix I says (the F flag), unaligned
// reads, refused writes, and the search of an image for a read-only keyword.
using System.Text;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed unsafe class PciVpdTests
{
    /// <summary>A function with a VPD capability at 0x40 over 256 bytes of VPD storage.</summary>
    private sealed class VpdFunction : IPciFunction
    {
        private readonly MemoryPciFunction _inner = new(0x11ab, 0x4362, 0x020000);
        public readonly byte[] Storage = new byte[256];
        private ushort _addr;
        private uint _data;

        public VpdFunction()
        {
            _inner.WriteConfig(0x06, 2, 0x10);    // capability list
            _inner.WriteConfig(0x34, 1, 0x40);
            _inner.WriteConfig(0x40, 2, 0x0003);  // VPD, last capability
        }

        public uint ReadConfig(int offset, int size) => offset switch
        {
            0x42 => _addr,
            0x44 => _data,
            _ => _inner.ReadConfig(offset, size),
        };

        public void WriteConfig(int offset, int size, uint value)
        {
            if (offset == 0x44)
                _data = value;
            else if (offset == 0x42)
            {
                int at = (int)(value & 0x7ffc) % Storage.Length;
                if ((value & 0x8000) != 0)
                    BitConverter.GetBytes(_data).CopyTo(Storage, at); // write done: F cleared
                else
                    _data = BitConverter.ToUInt32(Storage, at);       // read done: F set
                _addr = (ushort)((value & 0x7fff) | ((value & 0x8000) ^ 0x8000));
            }
            else
                _inner.WriteConfig(offset, size, value);
        }

        public IReadOnlyList<PciBarInfo> Bars => _inner.Bars;
        public ulong ReadBar(int bar, ulong offset, int size) => _inner.ReadBar(bar, offset, size);
        public void WriteBar(int bar, ulong offset, int size, ulong value) => _inner.WriteBar(bar, offset, size, value);
        public void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable) { }
        public void UnmapDma(ulong iova, ulong size) { }
        public int IrqCount(PciIrqKind kind) => 0;
        public void SetIrqHandler(PciIrqKind kind, int vector, Action? handler) { }
        public void UnmaskIntx() { }
        public void Reset() { }
        public void Dispose() => _inner.Dispose();
    }

    [Fact]
    public void ReadsAnyBytesAndWritesWholeDwords()
    {
        using var f = new VpdFunction();
        for (int i = 0; i < f.Storage.Length; i++)
            f.Storage[i] = (byte)(i * 7);
        var buf = new byte[10];
        fixed (byte* p = buf)
            Assert.Equal(10, PciVpd.Read(f, 5, 10, p));
        Assert.Equal(f.Storage.Skip(5).Take(10), buf);

        byte[] data = [1, 2, 3, 4, 5, 6, 7, 8];
        fixed (byte* p = data)
        {
            Assert.Equal(8, PciVpd.Write(f, 16, 8, p));
            Assert.Equal(-22, PciVpd.Write(f, 18, 4, p)); // unaligned
            Assert.Equal(-22, PciVpd.Write(f, 16, 3, p)); // not whole dwords
        }
        Assert.Equal(data, f.Storage.Skip(16).Take(8));
    }

    [Fact]
    public void AFunctionWithoutVpdHasNone()
    {
        using var f = new MemoryPciFunction(0x10ec, 0x8139, 0x020000);
        var buf = new byte[4];
        fixed (byte* p = buf)
            Assert.Equal(-19, PciVpd.Read(f, 0, 4, p));
    }

    // An identifier string, then VPD-R with PN and SN, then the end tag.
    private static byte[] Image()
    {
        var b = new List<byte> { 0x82, 5, 0 };
        b.AddRange(Encoding.ASCII.GetBytes("Board"));
        byte[] ro = [.. "PN"u8, 4, .. "1234"u8, .. "SN"u8, 3, .. "XYZ"u8, .. "RV"u8, 1, 0];
        b.AddRange([0x90, (byte)ro.Length, 0]);
        b.AddRange(ro);
        b.Add(0x78);
        return [.. b];
    }

    [Fact]
    public void FindsAReadOnlyKeyword()
    {
        byte[] vpd = Image();
        int at = PciVpd.FindRoInfoKeyword(vpd, (byte)'S', (byte)'N', out uint size);
        Assert.Equal(3u, size);
        Assert.Equal("XYZ", Encoding.ASCII.GetString(vpd, at, (int)size));
        Assert.Equal(-2, PciVpd.FindRoInfoKeyword(vpd, (byte)'V', (byte)'0', out _)); // no such keyword
        Assert.Equal(-2, PciVpd.FindRoInfoKeyword(vpd[..8], (byte)'P', (byte)'N', out _)); // no VPD-R in what was read
        Assert.Equal(-22, PciVpd.FindRoInfoKeyword(vpd[..17], (byte)'P', (byte)'N', out _)); // PN's data cut off
    }
}
