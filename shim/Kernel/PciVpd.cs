// SPDX-License-Identifier: MIT
// Managed side. PCI Vital Product Data (drivers/pci/vpd.c, PCI Local Bus 3.0 section 6.4 and appendix I):
// dwords reached through the VPD capability's address and data registers, the address register's
// F flag flipping when a transfer completes; and the search of a VPD image for a read-only keyword.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Kernel;

public static unsafe class PciVpd
{
    private const int CapIdVpd = 0x03, Addr = 2, Data = 4, AddrF = 0x8000, MaxSize = 0x8000;
    private const int ENoent = -2, EInval = -22, ENodev = -19, ETimedout = -110;
    private const byte LrdtFlag = 0x80, LrdtRoData = 0x90; // large resource tags; VPD-R
    private const int LrdtTagSize = 3, InfoHeaderSize = 3;

    // pci_vpd_wait(): the F flag reaches the wanted value within 125 ms, else the device is at fault.
    private static int Wait(IPciFunction f, int cap, bool set)
    {
        long deadline = Environment.TickCount64 + 125;
        while (true)
        {
            if ((f.ReadConfig(cap + Addr, 2) & AddrF) != 0 == set)
                return 0;
            if (Environment.TickCount64 > deadline)
            {
                Machine.Log(4, "VPD access failed.  This is likely a firmware bug on this device.  Contact the card vendor for a firmware update");
                return ETimedout;
            }
            Cpu.Sleep(TimeSpan.FromMicroseconds(100));
        }
    }

    /// <summary>pci_read_vpd_any(): up to <paramref name="count"/> bytes from <paramref name="pos"/> (of the largest VPD space); bytes read or -errno.</summary>
    public static long Read(IPciFunction f, long pos, ulong count, byte* buf)
    {
        int cap = PciCapabilities.Find(f, CapIdVpd);
        if (cap == 0)
            return ENodev;
        if (pos < 0)
            return EInval;
        if (pos >= MaxSize)
            return 0;
        long end = (long)Math.Min((ulong)pos + count, MaxSize);
        long n = end - pos;
        while (pos < end)
        {
            f.WriteConfig(cap + Addr, 2, (uint)(pos & ~3));
            if (Wait(f, cap, true) is var r and < 0)
                return r;
            uint val = f.ReadConfig(cap + Data, 4);
            for (int i = (int)(pos & 3); i < 4 && pos < end; i++, pos++)
                *buf++ = (byte)(val >> (8 * i));
        }
        return n;
    }

    /// <summary>pci_write_vpd_any(): whole dwords at a dword-aligned position; bytes written or -errno.</summary>
    public static long Write(IPciFunction f, long pos, ulong count, byte* buf)
    {
        int cap = PciCapabilities.Find(f, CapIdVpd);
        if (cap == 0)
            return ENodev;
        if (pos < 0 || (pos & 3) != 0 || (count & 3) != 0 || (ulong)pos + count > MaxSize)
            return EInval;
        for (long end = pos + (long)count; pos < end; pos += 4, buf += 4)
        {
            f.WriteConfig(cap + Data, 4, *(uint*)buf);
            f.WriteConfig(cap + Addr, 2, (uint)pos | AddrF);
            if (Wait(f, cap, false) is var r and < 0)
                return r;
        }
        return (long)count;
    }

    [KernelSymbol("pci_read_vpd_any"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long PciReadVpdAny(nint pdev, long pos, nuint count, byte* buf) => Read(PciCore.Require(pdev).Function, pos, count, buf);

    [KernelSymbol("pci_write_vpd_any"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static long PciWriteVpdAny(nint pdev, long pos, nuint count, byte* buf) => Write(PciCore.Require(pdev).Function, pos, count, buf);

    /// <summary>
    /// pci_vpd_find_ro_info_keyword(): the offset of the data of keyword <paramref name="keyword"/> (two characters)
    /// in the read-only section (VPD-R) of the image, its length in <paramref name="size"/>; -ENOENT when the section
    /// or the keyword is missing, -EINVAL when its data runs past the image.
    /// </summary>
    public static int FindRoInfoKeyword(ReadOnlySpan<byte> vpd, byte k0, byte k1, out uint size)
    {
        size = 0;
        int i = 0, roStart = -1, roLen = 0;
        // Only large resource tags are searched: the end tag is the only small one.
        while (i + LrdtTagSize <= vpd.Length && (vpd[i] & LrdtFlag) != 0)
        {
            int len = vpd[i + 1] | vpd[i + 2] << 8;
            byte tag = vpd[i];
            i += LrdtTagSize;
            if (tag == LrdtRoData)
            {
                roStart = i;
                roLen = Math.Min(len, vpd.Length - i);
                break;
            }
            i += len;
        }
        if (roStart < 0)
            return ENoent;
        for (i = roStart; i + InfoHeaderSize <= roStart + roLen; i += InfoHeaderSize + vpd[i + 2])
        {
            if (vpd[i] != k0 || vpd[i + 1] != k1)
                continue;
            int start = i + InfoHeaderSize;
            if (start + vpd[i + 2] > vpd.Length)
                return EInval;
            size = vpd[i + 2];
            return start;
        }
        return ENoent;
    }

    [KernelSymbol("pci_vpd_find_ro_info_keyword"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciVpdFindRoInfoKeyword(byte* buf, uint len, byte* kw, uint* size)
    {
        int r = FindRoInfoKeyword(new ReadOnlySpan<byte>(buf, (int)len), kw[0], kw[1], out uint s);
        if (r >= 0 && size != null)
            *size = s;
        return r;
    }
}
