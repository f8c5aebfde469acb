// SPDX-License-Identifier: MIT
// Managed side. PCI capabilities (drivers/pci/pci.c, probe.c, access.c): the capability list is walked
// once when a function becomes a pci_dev, as pci_setup_device() does, filling pcie_cap, pcie_flags_reg,
// pm_cap, msi_cap and msix_cap; the PCI Express capability's registers are read and written through the
// pcie_capability_*() accessors, which answer for the registers a function of its type implements.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Kernel;

public static unsafe class PciCapabilities
{
    public const int IdPm = 0x01, IdMsi = 0x05, IdExpress = 0x10, IdMsix = 0x11;
    private const int Status = 0x06, StatusCapList = 0x10, CapabilityList = 0x34;
    private const int BadRegisterNumber = 0x87; // PCIBIOS_BAD_REGISTER_NUMBER

    /// <summary>The offset of capability <paramref name="id"/> in <paramref name="function"/>'s list, or 0 (pci_find_capability()).</summary>
    public static int Find(IPciFunction function, int id)
    {
        if ((function.ReadConfig(Status, 2) & StatusCapList) == 0)
            return 0;
        return FindNext(function, CapabilityList, id);
    }

    /// <summary>__pci_find_next_cap(): the walk from the list pointer at <paramref name="pointerAt"/> to capability <paramref name="id"/>, or 0.</summary>
    public static int FindNext(IPciFunction function, int pointerAt, int id)
    {
        int at = (int)function.ReadConfig(pointerAt, 1);
        for (int ttl = 48; ttl > 0 && at >= 0x40; ttl--)
        {
            at &= ~3;
            uint header = function.ReadConfig(at, 2);
            if ((header & 0xff) == 0xff)
                return 0;
            if ((header & 0xff) == id)
                return at;
            at = (int)(header >> 8);
        }
        return 0;
    }

    /// <summary>pci_find_ext_capability(): extended capability <paramref name="id"/> in configuration space past 256 bytes, or 0.
    /// Only a PCI Express function has that space here (a conventional function's cfg_size is 256).</summary>
    public static int FindExtended(IPciFunction function, bool express, int id)
    {
        const int start = 0x100;
        if (!express)
            return 0;
        uint header = function.ReadConfig(start, 4);
        if (header == 0 || header == 0xffffffff)
            return 0;
        int at = start;
        for (int ttl = (4096 - 256) / 8; ttl > 0; ttl--)
        {
            if ((header & 0xffff) == id)
                return at;
            at = (int)(header >> 20) & 0xffc;
            if (at < start)
                break;
            header = function.ReadConfig(at, 4);
        }
        return 0;
    }

    [KernelSymbol("pci_find_capability"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte PciFindCapability(nint pdev, int cap) => (byte)Find(PciCore.Require(pdev).Function, cap);

    [KernelSymbol("pci_find_next_capability"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte PciFindNextCapability(nint pdev, byte pos, int cap) => (byte)FindNext(PciCore.Require(pdev).Function, pos + 1, cap);

    [KernelSymbol("pci_find_ext_capability"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ushort PciFindExtCapability(nint pdev, int cap) =>
        (ushort)FindExtended(PciCore.Require(pdev).Function, pdev.U8(PciLayout.PcieCap) != 0, cap);

    /// <summary>What set_pcie_port_type(), pci_pm_init() and pci_msi_init()/pci_msix_init() record of the list.</summary>
    internal static void Setup(nint pdev, IPciFunction function)
    {
        int express = Find(function, IdExpress);
        pdev.U8(PciLayout.PcieCap, (byte)express);
        if (express != 0)
            pdev.U16(PciLayout.PcieFlagsReg, (ushort)function.ReadConfig(express + 2, 2));
        pdev.U8(PciLayout.PmCap, (byte)Find(function, IdPm));
        pdev.U8(PciLayout.MsiCap, (byte)Find(function, IdMsi));
        pdev.U8(PciLayout.MsixCap, (byte)Find(function, IdMsix));
    }

    // PCI_EXP_* register offsets and port types (include/uapi/linux/pci_regs.h).
    private const int Flags = 0x00, DevCap = 0x04, DevCtl = 0x08, DevSta = 0x0a, LnkCap = 0x0c, LnkCtl = 0x10, LnkSta = 0x12,
        SltCap = 0x14, SltCtl = 0x18, SltSta = 0x1a, RtCtl = 0x1c, RtCap = 0x1e, RtSta = 0x20,
        DevCap2 = 0x24, DevCtl2 = 0x28, LnkCap2 = 0x2c, LnkCtl2 = 0x30, LnkSta2 = 0x32;
    private const int TypeEndpoint = 0, TypeLegacyEndpoint = 1, TypeRootPort = 4, TypeUpstream = 5, TypeDownstream = 6,
        TypePciBridge = 7, TypePcieBridge = 8, TypeRootEventCollector = 10;
    private const int FlagsSlot = 0x0100;

    /// <summary>pcie_capability_reg_implemented(): which registers a function of its type and capability version has.</summary>
    public static bool Implemented(ushort flags, bool express, int pos)
    {
        if (!express)
            return false;
        int type = (flags >> 4) & 0xf, version = flags & 0xf;
        bool downstream = Downstream(type);
        return pos switch
        {
            Flags or DevCap or DevCtl or DevSta => true,
            LnkCap or LnkCtl or LnkSta => type is TypeEndpoint or TypeLegacyEndpoint or TypeRootPort or TypeUpstream or TypeDownstream or TypePciBridge or TypePcieBridge,
            SltCap or SltCtl or SltSta => downstream && (flags & FlagsSlot) != 0,
            RtCtl or RtCap or RtSta => type is TypeRootPort or TypeRootEventCollector,
            DevCap2 or DevCtl2 or LnkCap2 or LnkCtl2 or LnkSta2 => version > 1,
            _ => false,
        };
    }

    private static bool Downstream(int type) => type is TypeRootPort or TypeDownstream or TypePcieBridge;

    private static bool Implemented(nint pdev, int pos) =>
        Implemented(pdev.U16(PciLayout.PcieFlagsReg), pdev.U8(PciLayout.PcieCap) != 0, pos);

    private static int Read(nint pdev, int pos, int size, nint value)
    {
        if (size == 2)
            *(ushort*)value = 0;
        else
            *(uint*)value = 0;
        if ((pos & (size - 1)) != 0)
            return BadRegisterNumber;
        if (!Implemented(pdev, pos))
        {
            // A downstream port without a slot reads Presence Detect State set in SLTSTA (access.c).
            if (pos == SltSta && pdev.U8(PciLayout.PcieCap) != 0 && Downstream((pdev.U16(PciLayout.PcieFlagsReg) >> 4) & 0xf))
                *(ushort*)value = 0x0040;
            return 0;
        }
        uint v = PciCore.Require(pdev).Function.ReadConfig(pdev.U8(PciLayout.PcieCap) + pos, size);
        if (size == 2)
            *(ushort*)value = (ushort)v;
        else
            *(uint*)value = v;
        return 0;
    }

    private static int Write(nint pdev, int pos, int size, uint value)
    {
        if ((pos & (size - 1)) != 0)
            return BadRegisterNumber;
        if (Implemented(pdev, pos))
            PciCore.Require(pdev).Function.WriteConfig(pdev.U8(PciLayout.PcieCap) + pos, size, value);
        return 0;
    }

    [KernelSymbol("pcie_capability_read_word"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ReadWord(nint pdev, int pos, nint value) => Read(pdev, pos, 2, value);

    [KernelSymbol("pcie_capability_read_dword"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ReadDword(nint pdev, int pos, nint value) => Read(pdev, pos, 4, value);

    [KernelSymbol("pcie_capability_write_word"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WriteWord(nint pdev, int pos, ushort value) => Write(pdev, pos, 2, value);

    [KernelSymbol("pcie_capability_write_dword"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WriteDword(nint pdev, int pos, uint value) => Write(pdev, pos, 4, value);

    // One CPU under the big lock: the _locked variant's spinlock (6.5+) adds nothing; 6.1 names it without suffix.
    [KernelSymbol("pcie_capability_clear_and_set_word"), KernelSymbol("pcie_capability_clear_and_set_word_unlocked"),
     KernelSymbol("pcie_capability_clear_and_set_word_locked"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClearAndSetWord(nint pdev, int pos, ushort clear, ushort set) => ClearAndSet(pdev, pos, clear, set);

    private static int ClearAndSet(nint pdev, int pos, ushort clear, ushort set)
    {
        ushort v;
        int r = Read(pdev, pos, 2, (nint)(&v));
        return r != 0 ? r : Write(pdev, pos, 2, (ushort)((v & ~clear) | set));
    }

    private const ushort DevCtlReadRq = 0x7000; // PCI_EXP_DEVCTL_READRQ: Max_Read_Request_Size, 128 << n bytes

    /// <summary>pcie_get_readrq(): the Max_Read_Request_Size a Device Control value sets, in bytes.</summary>
    public static int ReadRequestBytes(ushort devctl) => 128 << ((devctl & DevCtlReadRq) >> 12);

    /// <summary>pcie_set_readrq()'s encoding of <paramref name="bytes"/> in Device Control; null for a size the
    /// register cannot hold (a power of two from 128 to 4096).</summary>
    public static ushort? ReadRequestField(int bytes) =>
        bytes is >= 128 and <= 4096 && (bytes & (bytes - 1)) == 0 ? (ushort)((System.Numerics.BitOperations.Log2((uint)bytes) - 7) << 12) : null;

    // A conventional function has no Device Control register: it reads 0 (pcie_capability_read_word()), so 128.
    [KernelSymbol("pcie_get_readrq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcieGetReadrq(nint pdev)
    {
        ushort ctl;
        Read(pdev, DevCtl, 2, (nint)(&ctl));
        return ReadRequestBytes(ctl);
    }

    // drivers/pci/pci.c: the size is not clamped to the Max_Payload_Size, as under the default PCIe bus
    // configuration (no pci=pcie_bus_perf here), and no host bridge of this machine forbids raising it
    // (no_inc_mrrs is a quirk of particular bridges).
    [KernelSymbol("pcie_set_readrq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcieSetReadrq(nint pdev, int rq)
    {
        if (ReadRequestField(rq) is not { } field)
            return -22; // -EINVAL
        return ClearAndSet(pdev, DevCtl, DevCtlReadRq, field) == 0 ? 0 : -14; // pcibios_err_to_errno(): -EFAULT
    }

    // ASPM belongs to whoever owns the link (the platform's firmware, or the VMM for these virtual links): as
    // drivers/pci/pcie/aspm.c when the OS has no ASPM control, the request is refused with -EPERM.
    [KernelSymbol("pci_disable_link_state"), KernelSymbol("pci_disable_link_state_locked"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DisableLinkState(nint pdev, int state)
    {
        Machine.Log(6, $"{PciCore.Require(pdev).Name}: can't disable ASPM; OS doesn't have ASPM control");
        return -1;
    }

    // AER: the OS has no native control of error reporting here (pcie_aer_is_native() false): -EIO, as aer.c says then.
    [KernelSymbol("pci_enable_pcie_error_reporting"), KernelSymbol("pci_disable_pcie_error_reporting"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcieErrorReporting(nint pdev) => -5;
}
