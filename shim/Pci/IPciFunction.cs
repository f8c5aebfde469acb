// SPDX-License-Identifier: MIT
// Managed side. How the shim's PCI core reaches one PCI function, whatever is behind it: an
// emulated device in another process (vfio-user client), real hardware (kernel VFIO), or an
// in-memory fake in tests. Offsets are byte offsets; sizes are 1, 2, 4 or 8 bytes.
namespace LinuxShim.Shim.Pci;

/// <summary>One base address register as the device describes it.</summary>
/// <param name="Index">BAR number, 0–5.</param>
/// <param name="Size">Region size in bytes (0: BAR not implemented).</param>
/// <param name="IsIo">I/O port space (PCI_BASE_ADDRESS_SPACE_IO) rather than memory.</param>
/// <param name="Is64Bit">A 64-bit memory BAR (it then also uses the next BAR slot).</param>
public readonly record struct PciBarInfo(int Index, ulong Size, bool IsIo, bool Is64Bit);

public enum PciIrqKind { Intx, Msi, Msix }

public interface IPciFunction : IDisposable
{
    /// <summary>Reads <paramref name="size"/> bytes of configuration space, little-endian.</summary>
    uint ReadConfig(int offset, int size);

    /// <summary>Writes configuration space (BAR sizing and command-register semantics are the device's).</summary>
    void WriteConfig(int offset, int size, uint value);

    /// <summary>The BARs the function implements (Size 0 for the unused ones), always 6 entries.</summary>
    IReadOnlyList<PciBarInfo> Bars { get; }

    /// <summary>Reads a register of a BAR region.</summary>
    ulong ReadBar(int bar, ulong offset, int size);

    /// <summary>Writes a register of a BAR region.</summary>
    void WriteBar(int bar, ulong offset, int size, ulong value);

    /// <summary>
    /// Reads the register at <paramref name="offset"/> <paramref name="data"/>.Length / <paramref name="width"/>
    /// times in a row into <paramref name="data"/> (a CPU's <c>rep ins</c> on a data port), little-endian.
    /// </summary>
    void ReadBarRepeated(int bar, ulong offset, int width, Span<byte> data) => PciStringAccess.ReadEach(this, bar, offset, width, data);

    /// <summary>Writes the register at <paramref name="offset"/> once per <paramref name="width"/> bytes of <paramref name="data"/>, in order (<c>rep outs</c>).</summary>
    void WriteBarRepeated(int bar, ulong offset, int width, ReadOnlySpan<byte> data) => PciStringAccess.WriteEach(this, bar, offset, width, data);

    /// <summary>
    /// Makes host memory visible to the device at bus address <paramref name="iova"/>: the memory is the
    /// file <paramref name="fd"/> (a memfd) from <paramref name="fileOffset"/> for <paramref name="size"/>
    /// bytes, also mapped in this process at <paramref name="hostAddress"/>.
    /// </summary>
    void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable);

    /// <summary>Removes a mapping made by <see cref="MapDma"/>.</summary>
    void UnmapDma(ulong iova, ulong size);

    /// <summary>How many vectors of the kind the function supports (INTx: 0 or 1).</summary>
    int IrqCount(PciIrqKind kind);

    /// <summary>
    /// Routes vector <paramref name="vector"/> of <paramref name="kind"/> to <paramref name="handler"/>,
    /// called on a thread the implementation owns, once per interrupt (null disconnects). For INTx the
    /// line is masked when it fires until <see cref="UnmaskIntx"/> (VFIO semantics).
    /// </summary>
    void SetIrqHandler(PciIrqKind kind, int vector, Action? handler);

    /// <summary>Re-enables INTx delivery after the handler has run.</summary>
    void UnmaskIntx();

    /// <summary>Function-level reset.</summary>
    void Reset();

    /// <summary>
    /// A platform device rather than a PCI function (a vfio-user server's VFIO_DEVICE_FLAGS_PLATFORM): no configuration
    /// space; its MMIO regions are the "BARs" of their index and its first interrupt line is the "INTx" (level,
    /// masked when it fires until <see cref="UnmaskIntx"/>). The platform bus gives it to the device-tree node it backs.
    /// </summary>
    bool IsPlatformDevice => false;

    /// <summary>
    /// Returns once the DMA the device started before the call has landed in memory. A PCI device orders its
    /// own writes (a descriptor's status after its data), so for one nothing is to be done; a model that relies
    /// on a virtual machine's CPU stopping while it runs needs a round trip (VfioUserClient.CompleteDma).
    /// </summary>
    void CompleteDma()
    {
    }
}

/// <summary>A string of accesses to one register made one <see cref="IPciFunction.ReadBar"/> or <see cref="IPciFunction.WriteBar"/> at a time.</summary>
public static class PciStringAccess
{
    public static void ReadEach(IPciFunction function, int bar, ulong offset, int width, Span<byte> data)
    {
        for (int at = 0; at + width <= data.Length; at += width)
        {
            ulong value = function.ReadBar(bar, offset, width);
            for (int b = 0; b < width; b++)
                data[at + b] = (byte)(value >> (8 * b));
        }
    }

    public static void WriteEach(IPciFunction function, int bar, ulong offset, int width, ReadOnlySpan<byte> data)
    {
        for (int at = 0; at + width <= data.Length; at += width)
        {
            ulong value = 0;
            for (int b = 0; b < width; b++)
                value |= (ulong)data[at + b] << (8 * b);
            function.WriteBar(bar, offset, width, value);
        }
    }
}
