// SPDX-License-Identifier: MIT
// Managed side. The six BAR descriptions of a function, from the region sizes VFIO reports and the
// type bits of the BAR registers in configuration space (PCI 3.0, 6.2.5.1).
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Vfio;

internal static class PciBarLayout
{
    public const int FirstBarOffset = 0x10;

    public static PciBarInfo[] Read(Func<int, ulong> regionSize, Func<int, uint> readConfigDword)
    {
        var bars = new PciBarInfo[6];
        for (int i = 0; i < 6; i++)
        {
            ulong size = regionSize(i);
            if (size == 0 || (i > 0 && bars[i - 1].Is64Bit))
            {
                bars[i] = new PciBarInfo(i, 0, false, false);
                continue;
            }
            uint reg = readConfigDword(FirstBarOffset + 4 * i);
            bool io = (reg & 1) != 0;
            bool is64 = !io && ((reg >> 1) & 3) == 2 && i < 5;
            bars[i] = new PciBarInfo(i, size, io, is64);
        }
        return bars;
    }
}
