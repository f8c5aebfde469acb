// SPDX-License-Identifier: MIT
// Managed side. MSI and MSI-X (drivers/pci/msi/api.c, msi.c). The driver host delivers no message-signalled
// interrupts yet (QEMU's device server has none; vfio-user MSI is not wired up): the machine runs as Linux
// booted with pci=nomsi, where pci_msi_enabled() is false and pci_msi_supported() refuses every enable with
// -EINVAL, so each driver takes its own fallback down to INTx; pci_alloc_irq_vectors() makes that choice
// itself, as Linux does, and pci_irq_vector() then names the INTx line.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Msi
{
    private const int EInval = -22, ENoSpc = -28;
    public const uint IrqIntx = 1, IrqMsi = 2, IrqMsix = 4; // PCI_IRQ_INTX (PCI_IRQ_LEGACY), PCI_IRQ_MSI, PCI_IRQ_MSIX

    [KernelSymbol("pci_msi_enabled"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciMsiEnabled() => 0;

    [KernelSymbol("pci_enable_msi"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciEnableMsi(nint pdev) => EInval;

    [KernelSymbol("pci_enable_msix_range"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciEnableMsixRange(nint pdev, nint entries, int minvec, int maxvec) => maxvec < minvec ? -34 : EInval;

    // Neither is ever enabled, so there is nothing to disable (msi.c returns early then).
    [KernelSymbol("pci_disable_msi"), KernelSymbol("pci_disable_msix"), KernelSymbol("pci_free_irq_vectors"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciDisableMsi(nint pdev) { }

    /// <summary>pci_alloc_irq_vectors_affinity()'s choice with MSI and MSI-X refused: one INTx vector, or the error.</summary>
    public static int Allocate(nint pdev, uint minVecs, uint maxVecs, uint flags)
    {
        if (maxVecs < minVecs)
            return EInval;
        int error = ENoSpc;
        if ((flags & (IrqMsix | IrqMsi)) != 0)
            error = EInval;
        if ((flags & IrqIntx) != 0 && minVecs == 1 && pdev.U32(PciLayout.Irq) != 0)
        {
            PciCore.SetIntx(pdev, enable: true);
            return 1;
        }
        return error;
    }

    [KernelSymbol("pci_alloc_irq_vectors"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciAllocIrqVectors(nint pdev, uint minVecs, uint maxVecs, uint flags) => Allocate(pdev, minVecs, maxVecs, flags);

    // The affinity descriptor only spreads vectors over CPUs: one CPU, one vector.
    [KernelSymbol("pci_alloc_irq_vectors_affinity"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciAllocIrqVectorsAffinity(nint pdev, uint minVecs, uint maxVecs, uint flags, nint affinity) => Allocate(pdev, minVecs, maxVecs, flags);

    [KernelSymbol("pci_irq_vector"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciIrqVector(nint pdev, uint nr) => nr > 0 ? EInval : (int)pdev.U32(PciLayout.Irq);

    // msi/api.c: an INTx vector (the only one, nr 0) carries no affinity of its own, so it may run on any
    // possible CPU: cpu_possible_mask (shim/native/runtime.c), which is CPU 0 here.
    [KernelSymbol("pci_irq_get_affinity"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciIrqGetAffinity(nint pdev, int nr)
    {
        if (nr != 0 || pdev.U32(PciLayout.Irq) == 0)
        {
            Machine.Log(4, $"WARNING: pci_irq_get_affinity: no vector {nr}");
            return 0;
        }
        return Machine.Library is { } lib ? lib.Descriptor->PossibleCpus : 0;
    }
}
