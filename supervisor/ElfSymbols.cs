// SPDX-License-Identifier: MIT
// Managed side. Names the function at an offset of a driver library from its ELF symbol table
// (.symtab, static functions included; the port build does not strip it), so a crash is reported as
// "rtl8139_rx+0x1c3" rather than an address.
using System.Buffers.Binary;
using System.Text;

namespace LinuxShim.Supervisor;

public static class ElfSymbols
{
    private const uint ShtSymtab = 2;
    private const byte SttFunc = 2;

    /// <summary>"function+0xoffset" for <paramref name="offset"/> (a virtual address of the library), or null.</summary>
    public static string? Resolve(string library, ulong offset)
    {
        byte[] elf;
        try
        {
            elf = File.ReadAllBytes(library);
        }
        catch (IOException)
        {
            return null;
        }
        try
        {
            return Find(elf, offset);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // a truncated or foreign file
        }
    }

    private static string? Find(ReadOnlySpan<byte> elf, ulong offset)
    {
        if (elf.Length < 64 || !elf[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']) || elf[4] != 2 || elf[5] != 1)
            return null;
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3a..]);
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3c..]);
        for (int i = 0; i < shnum; i++)
        {
            var sh = elf.Slice(checked((int)shoff + i * shentsize), 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtSymtab)
                continue;
            int symOff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]));
            int symSize = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x20..]));
            int link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
            var strSh = elf.Slice(checked((int)shoff + link * shentsize), 64);
            int strOff = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(strSh[0x18..]));
            for (int s = symOff; s + 24 <= symOff + symSize; s += 24)
            {
                var sym = elf.Slice(s, 24);
                if ((sym[4] & 0xf) != SttFunc)
                    continue;
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]);
                ulong size = BinaryPrimitives.ReadUInt64LittleEndian(sym[16..]);
                if (offset < value || offset >= value + Math.Max(size, 1))
                    continue;
                var name = elf[(strOff + (int)BinaryPrimitives.ReadUInt32LittleEndian(sym))..];
                int end = name.IndexOf((byte)0);
                return $"{Encoding.UTF8.GetString(end < 0 ? name : name[..end])}+0x{offset - value:x}";
            }
        }
        return null;
    }
}
