// SPDX-License-Identifier: MIT
// Managed side. Single-root I/O virtualisation (drivers/pci/iov.c). The functions a host is given are
// never SR-IOV physical functions (no PCI_EXT_CAP_ID_SRIOV is walked into pci_dev->sriov, is_physfn stays
// clear), so, as iov.c says of such a device, there are no virtual functions to enable, disable or assign.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Sriov
{
    [KernelSymbol("pci_enable_sriov"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciEnableSriov(nint pdev, int nrVirtfn) => -19; // -ENODEV: !dev->is_physfn

    [KernelSymbol("pci_disable_sriov"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciDisableSriov(nint pdev) { } // !dev->is_physfn: nothing was enabled

    [KernelSymbol("pci_vfs_assigned"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciVfsAssigned(nint pdev) => 0; // !dev->is_physfn: no virtual function to be assigned
}
