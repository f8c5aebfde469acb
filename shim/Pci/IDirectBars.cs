// SPDX-License-Identifier: MIT
// Managed side. A PCI function whose memory BARs can be mapped straight into the host (plain memory
// in tests; device memory through VFIO), so inline readl()/writel() in a driver work unchanged.
namespace LinuxShim.Shim.Pci;

public interface IDirectBars
{
    /// <summary>Host address of BAR <paramref name="bar"/>, or 0 when it cannot be mapped.</summary>
    nint MapBar(int bar);
}
