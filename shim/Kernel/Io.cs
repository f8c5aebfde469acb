// SPDX-License-Identifier: MIT
// Managed side. Linux device I/O (lib/iomap.c, arch/x86/mm/ioremap.c, arch/x86/lib/iomem.c): each
// BAR gets an address range in the host. A BAR the function can map directly is plain memory there;
// any other range is reserved inaccessible, and ioread*/iowrite*, readb()..writeq() (shadow
// asm/io.h) and the memcpy/memset_io family on it become register accesses of the function.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Posix;
using LinuxShim.Shim.Layout;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Io
{
    private sealed record Window(nint Base, ulong Size, IPciFunction Function, int Bar, bool Direct);

    private static readonly List<Window> Windows = [];

    // I/O BARs get x86 port numbers (16 bits, what IN/OUT take); lib/iomap's cookies for them are
    // the port plus PioOffset, so that ioread*() tells ports from memory.
    private const int FirstPort = 0xc000, PioOffset = 0x10000;
    private static int _nextPort = FirstPort;

    /// <summary>Gives BAR <paramref name="bar"/> its resource start: a port number, or a host address range.</summary>
    internal static nint MapBar(IPciFunction function, PciBarInfo bar)
    {
        if (bar.IsIo)
        {
            int size = (int)Math.Max(bar.Size, 4);
            int port = (_nextPort + size - 1) / size * size;
            if (port + size > 0x10000)
                throw new IOException($"no room in the I/O port space for BAR {bar.Index} ({bar.Size} bytes)");
            _nextPort = port + size;
            lock (Windows)
                Windows.Add(new Window(PioOffset + port, bar.Size, function, bar.Index, false));
            return port;
        }
        nint direct = !bar.IsIo && function is IDirectBars d ? d.MapBar(bar.Index) : 0;
        nint address = direct;
        if (address == 0)
        {
            ulong size = (bar.Size + 4095) & ~4095UL;
            address = Libc.Mmap(0, (nuint)size, Libc.PROT_NONE, Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_NORESERVE, -1, 0);
            if (address == Libc.MAP_FAILED)
                throw new IOException($"cannot reserve address space for BAR {bar.Index}: {Errno.Last.Describe()}");
        }
        lock (Windows)
            Windows.Add(new Window(address, bar.Size, function, bar.Index, direct != 0));
        return address;
    }

    private static Window? Find(nint address)
    {
        lock (Windows)
            foreach (var w in Windows)
                if (address >= w.Base && (ulong)(address - w.Base) < w.Size)
                    return w;
        return null;
    }

    private static ulong Read(nint address, int size)
    {
        var w = Find(address);
        if (w is null)
        {
            Machine.Fatal($"{size * 8}-bit register read from 0x{address:x}, which is no mapped device register");
            return 0;
        }
        if (w.Direct)
            return size switch { 1 => *(byte*)address, 2 => *(ushort*)address, 4 => *(uint*)address, _ => *(ulong*)address };
        return w.Function.ReadBar(w.Bar, (ulong)(address - w.Base), size);
    }

    private static void Write(nint address, int size, ulong value)
    {
        var w = Find(address);
        if (w is null)
        {
            Machine.Fatal($"{size * 8}-bit register write to 0x{address:x}, which is no mapped device register");
            return;
        }
        if (w.Direct)
        {
            switch (size)
            {
                case 1: *(byte*)address = (byte)value; break;
                case 2: *(ushort*)address = (ushort)value; break;
                case 4: *(uint*)address = (uint)value; break;
                default: *(ulong*)address = value; break;
            }
            return;
        }
        w.Function.WriteBar(w.Bar, (ulong)(address - w.Base), size, value);
    }

    [KernelSymbol("ioread8"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint Ioread8(nint addr) => (uint)Read(addr, 1);

    [KernelSymbol("ioread16"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint Ioread16(nint addr) => (uint)Read(addr, 2);

    [KernelSymbol("ioread32"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint Ioread32(nint addr) => (uint)Read(addr, 4);

    [KernelSymbol("iowrite8"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iowrite8(byte value, nint addr) => Write(addr, 1, value);

    [KernelSymbol("iowrite16"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iowrite16(ushort value, nint addr) => Write(addr, 2, value);

    [KernelSymbol("iowrite32"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iowrite32(uint value, nint addr) => Write(addr, 4, value);

    // A string access of one register (rep ins/outs, ioread*_rep, readsb()..): count accesses of width bytes,
    // in one message to the device where its channel allows it (IPciFunction.ReadBarRepeated).
    // The window of the register a string of count accesses of width bytes goes to; null (after ending the
    // host, or for no access at all) when there is none.
    private static Window? FindRegister(nint address, ulong count, int width, string what)
    {
        if (count == 0)
            return null;
        var w = Find(address);
        if (w is null || (ulong)(address - w.Base) + (ulong)width > w.Size || count > int.MaxValue / (ulong)width)
        {
            Machine.Fatal($"{count} {width * 8}-bit register {what} 0x{address:x}, which is no mapped device register");
            return null;
        }
        return w;
    }

    private static void ReadRepeated(nint address, nint buffer, ulong count, int width)
    {
        if (FindRegister(address, count, width, "reads from") is not { } w)
            return;
        var data = new Span<byte>((void*)buffer, (int)count * width);
        if (w.Direct)
            for (int at = 0; at < data.Length; at += width)
                Unsafe.CopyBlockUnaligned(ref data[at], ref *(byte*)address, (uint)width);
        else
            w.Function.ReadBarRepeated(w.Bar, (ulong)(address - w.Base), width, data);
    }

    private static void WriteRepeated(nint address, nint buffer, ulong count, int width)
    {
        if (FindRegister(address, count, width, "writes to") is not { } w)
            return;
        var data = new ReadOnlySpan<byte>((void*)buffer, (int)count * width);
        if (w.Direct)
            for (int at = 0; at < data.Length; at += width)
                Unsafe.CopyBlockUnaligned(ref *(byte*)address, ref Unsafe.AsRef(in data[at]), (uint)width);
        else
            w.Function.WriteBarRepeated(w.Bar, (ulong)(address - w.Base), width, data);
    }

    // lib/iomap.c: ioread*_rep/iowrite*_rep take a port cookie or a memory address alike.
    [KernelSymbol("ioread8_rep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Ioread8Rep(nint addr, nint dst, ulong count) => ReadRepeated(addr, dst, count, 1);

    [KernelSymbol("ioread16_rep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Ioread16Rep(nint addr, nint dst, ulong count) => ReadRepeated(addr, dst, count, 2);

    [KernelSymbol("ioread32_rep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Ioread32Rep(nint addr, nint dst, ulong count) => ReadRepeated(addr, dst, count, 4);

    [KernelSymbol("iowrite8_rep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iowrite8Rep(nint addr, nint src, ulong count) => WriteRepeated(addr, src, count, 1);

    [KernelSymbol("iowrite16_rep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iowrite16Rep(nint addr, nint src, ulong count) => WriteRepeated(addr, src, count, 2);

    [KernelSymbol("iowrite32_rep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iowrite32Rep(nint addr, nint src, ulong count) => WriteRepeated(addr, src, count, 4);

    [KernelSymbol("memcpy_fromio"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MemcpyFromio(nint dst, nint src, nuint count)
    {
        for (nuint i = 0; i < count; i++)
            ((byte*)dst)[i] = (byte)Read(src + (nint)i, 1);
    }

    [KernelSymbol("memcpy_toio"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MemcpyToio(nint dst, nint src, nuint count)
    {
        for (nuint i = 0; i < count; i++)
            Write(dst + (nint)i, 1, ((byte*)src)[i]);
    }

    [KernelSymbol("memset_io"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MemsetIo(nint dst, int value, nuint count)
    {
        for (nuint i = 0; i < count; i++)
            Write(dst + (nint)i, 1, (byte)value);
    }

    // readb()..writeq() and their __raw_/_relaxed forms (shadow asm/io.h): one MOV each on x86.
    [HostOp("linuxshim_host_mmio_read"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong MmioRead(nint addr, int size) => Read(addr, size);

    [HostOp("linuxshim_host_mmio_write"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MmioWrite(nint addr, int size, ulong value) => Write(addr, size, value);

    private static nint ResourceStart(nint pdev, int bar) =>
        (nint)(pdev.At(PciLayout.Resource) + bar * PciLayout.ResourceSize.Size).U64(PciLayout.ResourceStart);

    /// <summary>The cookie pci_iomap gives for a BAR: its host address, or port + PIO offset for I/O.</summary>
    private static nint Cookie(nint pdev, int bar)
    {
        if (bar is < 0 or >= 6)
            return 0;
        nint r = pdev.At(PciLayout.Resource) + bar * PciLayout.ResourceSize.Size;
        nint start = (nint)r.U64(PciLayout.ResourceStart);
        if (start == 0)
            return 0;
        return (r.U64(PciLayout.ResourceFlags) & PciLayout.IoResource) != 0 ? start + PioOffset : start;
    }

    [KernelSymbol("pci_iomap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciIomap(nint pdev, int bar, ulong maxlen) => FaultInjection.Fail("ioremap") ? 0 : Cookie(pdev, bar);

    // pcim_iomap(): the mapping of a BAR lives as long as the address range the host gave it, which
    // outlives every driver; nothing is left to undo when the driver goes.
    [KernelSymbol("pcim_iomap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PcimIomap(nint pdev, int bar, ulong maxlen) => Record(pdev, bar, Cookie(pdev, bar));

    [KernelSymbol("pci_iomap_range"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciIomapRange(nint pdev, int bar, ulong offset, ulong maxlen) =>
        !FaultInjection.Fail("ioremap") && Cookie(pdev, bar) is var s and not 0 ? s + (nint)offset : 0;

    [KernelSymbol("ioport_map"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint IoportMap(ulong port, uint count) => (nint)(port + PioOffset);

    [KernelSymbol("ioport_unmap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void IoportUnmap(nint addr) { }

    [HostOp("linuxshim_host_port_in"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint PortIn(ushort port, int size) => (uint)Read(PioOffset + port, size);

    [HostOp("linuxshim_host_port_out"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PortOut(ushort port, int size, uint value) => Write(PioOffset + port, size, value);

    // insb()..outsl() (shadow asm/io.h): x86's rep insb/insw/insl and rep outs* on one port.
    [HostOp("linuxshim_host_port_ins"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PortIns(ushort port, int size, nint buffer, ulong count) => ReadRepeated(PioOffset + port, buffer, count, size);

    [HostOp("linuxshim_host_port_outs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PortOuts(ushort port, int size, nint buffer, ulong count) => WriteRepeated(PioOffset + port, buffer, count, size);

    // readsb()..readsq() and writesb()..writesq() (shadow asm/io.h): a string of accesses to one MMIO register.
    [HostOp("linuxshim_host_mmio_reads"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MmioReads(nint addr, int size, nint buffer, ulong count) => ReadRepeated(addr, buffer, count, size);

    [HostOp("linuxshim_host_mmio_writes"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MmioWrites(nint addr, int size, nint buffer, ulong count) => WriteRepeated(addr, buffer, count, size);

    [KernelSymbol("pci_iounmap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciIounmap(nint pdev, nint addr) { }

    [KernelSymbol("pci_ioremap_bar"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciIoremapBar(nint pdev, int bar) => bar is >= 0 and < 6 && !FaultInjection.Fail("ioremap") ? ResourceStart(pdev, bar) : 0;

    [KernelSymbol("pci_iomap_wc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciIomapWc(nint pdev, int bar, ulong maxlen) => FaultInjection.Fail("ioremap") ? 0 : Cookie(pdev, bar);

    // A BAR's resource start is already its host address: "physical" and virtual coincide.
    [KernelSymbol("ioremap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint Ioremap(ulong phys, ulong size) => Find((nint)phys) is not null && !FaultInjection.Fail("ioremap") ? (nint)phys : 0;

    [KernelSymbol("iounmap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Iounmap(nint addr) { }

    // The managed iomap table of a device (drivers/pci/devres.c): one slot per standard BAR, filled by
    // pcim_iomap(), which drivers read through pcim_iomap_table().
    private const int StdBars = 6;
    private static readonly Dictionary<nint, nint> IomapTables = [];

    private static nint Table(nint pdev)
    {
        lock (IomapTables)
        {
            if (!IomapTables.TryGetValue(pdev, out nint table))
                IomapTables[pdev] = table = (nint)NativeMemory.AllocZeroed(StdBars, (nuint)sizeof(nint));
            return table;
        }
    }

    private static nint Record(nint pdev, int bar, nint mapping)
    {
        if (mapping != 0 && bar is >= 0 and < StdBars)
            ((nint*)Table(pdev))[bar] = mapping;
        return mapping;
    }

    [KernelSymbol("pcim_iomap_table"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PcimIomapTable(nint pdev) => Table(pdev);

    /// <summary>pcim_iomap_regions(): requests and maps each BAR of <paramref name="mask"/>; on failure undoes what it did. 0 or -errno.</summary>
    [KernelSymbol("pcim_iomap_regions"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcimIomapRegions(nint pdev, int mask, nint name)
    {
        const int EInval = -22, ENoMem = -12;
        var request = (delegate* unmanaged[Cdecl]<nint, int, nint, int>)&PciCore.PciRequestRegion;
        for (int bar = 0; bar < StdBars; bar++)
        {
            if ((mask & (1 << bar)) == 0)
                continue;
            int rc = Cookie(pdev, bar) == 0 ? EInval : request(pdev, bar, name);
            if (rc == 0 && (FaultInjection.Fail("ioremap") || Record(pdev, bar, Cookie(pdev, bar)) == 0))
            {
                ReleaseBar(pdev, bar);
                rc = ENoMem;
            }
            if (rc != 0)
            {
                UnmapRegions(pdev, mask & ((1 << bar) - 1));
                return rc;
            }
        }
        return 0;
    }

    [KernelSymbol("pcim_iounmap_regions"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PcimIounmapRegions(nint pdev, int mask) => UnmapRegions(pdev, mask);

    private static void UnmapRegions(nint pdev, int mask)
    {
        for (int bar = 0; bar < StdBars; bar++)
            if ((mask & (1 << bar)) != 0 && ((nint*)Table(pdev))[bar] != 0)
            {
                ((nint*)Table(pdev))[bar] = 0;
                ReleaseBar(pdev, bar);
            }
    }

    private static void ReleaseBar(nint pdev, int bar) => ((delegate* unmanaged[Cdecl]<nint, int, void>)&PciCore.PciReleaseRegion)(pdev, bar);
}
