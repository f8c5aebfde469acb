// SPDX-License-Identifier: MIT
// Managed side. PCI expansion ROMs (drivers/pci/rom.c). The host maps a function's BARs but not its
// expansion ROM, so the ROM resource is empty and pci_map_rom() finds no ROM (NULL, size 0), which
// drivers handle as a card without one (sunhme then takes its MAC address from elsewhere).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class PciRom
{
    [KernelSymbol("pci_map_rom"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciMapRom(nint pdev, nuint* size)
    {
        *size = 0;
        return 0;
    }

    [KernelSymbol("pci_unmap_rom"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciUnmapRom(nint pdev, nint rom)
    {
        if (rom != 0) // pci_map_rom() maps none: anything else is not a ROM mapping
            Machine.Fatal($"pci_unmap_rom(0x{rom:x}): pci_map_rom() mapped no ROM");
    }
}
