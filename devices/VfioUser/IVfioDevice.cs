// SPDX-License-Identifier: MIT
// Managed side. What the vfio-user server needs of a device model: its regions, its interrupt
// counts, region access and reset. The server validates every request before it reaches the model.
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.VfioUser;

/// <summary>One VFIO region as the device describes it (size 0: not implemented).</summary>
public readonly record struct VfioRegionInfo(ulong Size, bool Readable, bool Writable);

/// <summary>
/// A register of a BAR that a client may write through a doorbell (VFIO_USER_DEVICE_GET_REGION_IO_FDS, an ioeventfd
/// with shadow memory): the value goes into shared memory and an eventfd is signalled, no message and no wait. The
/// server hands the value to <see cref="IVfioDevice.WriteRegion"/> as if a REGION_WRITE had brought it; only later
/// reads are ordered after it (as with KVM's ioeventfds), so only registers that start work the device does on its
/// own (a ring's tail, a transmit start) are doorbells. Several writes before the device sees them are one: the last
/// value, once.
/// </summary>
public readonly record struct VfioDoorbell(ulong Offset, int Size);

/// <summary>
/// Pages of a BAR a client may map (VFIO_REGION_INFO_CAP_SPARSE_MMAP): registers without side effects, kept by the
/// model in the memory behind <paramref name="Fd"/> (the region's offset in it is its offset in the BAR), which it
/// reads when it needs them and which the client reads and writes with plain loads and stores.
/// </summary>
public sealed record VfioMappedAreas(int Fd, IReadOnlyList<(ulong Offset, ulong Size)> Areas);

public interface IVfioDevice
{
    /// <summary>Number of regions (VFIO_PCI_NUM_REGIONS for a PCI device; a platform device's MMIO ranges).</summary>
    int RegionCount { get; }

    /// <summary>
    /// A platform device (VFIO_DEVICE_FLAGS_PLATFORM), not a PCI function: its regions are its MMIO ranges by index,
    /// with no configuration space, and its IRQ indexes (<see cref="IrqIndexCount"/>) are its interrupt lines, each
    /// one level-triggered vector driven through <see cref="IDeviceBus.SetIntx"/> as INTx is (index 0 is the only line
    /// the bus drives today), with no MSI.
    /// </summary>
    bool IsPlatform => false;

    /// <summary>Number of IRQ indexes (VFIO_PCI_NUM_IRQS for a PCI device; a platform device's lines).</summary>
    int IrqIndexCount => VfioAbi.PciIrqCount;

    VfioRegionInfo GetRegion(int index);

    /// <summary>Vectors of VFIO IRQ index <paramref name="irqIndex"/> (PCI: INTx 0, MSI 1, ...; platform: line 0, ...).</summary>
    int IrqCount(int irqIndex);

    /// <summary>
    /// Reads <paramref name="data"/>.Length bytes at <paramref name="offset"/>; the range lies inside the region,
    /// and for BAR regions the length is 1, 2, 4 or 8.
    /// </summary>
    void ReadRegion(int region, ulong offset, Span<byte> data);

    /// <summary>Writes, under the same guarantees as <see cref="ReadRegion"/>.</summary>
    void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data);

    /// <summary>
    /// Reads the one register at <paramref name="offset"/> of BAR <paramref name="region"/> <paramref name="data"/>.Length
    /// / <paramref name="width"/> times in order, the values one after the other in <paramref name="data"/> (a data
    /// port read by rep ins); the server has checked the register as for <see cref="ReadRegion"/>. A model that can do
    /// the accesses faster together than one by one (QEMU's, each a round trip) overrides this; the result is the same.
    /// </summary>
    void ReadRegionRepeated(int region, ulong offset, int width, Span<byte> data) =>
        RepeatedAccess.ReadEach(this, region, offset, width, data);

    /// <summary>Writes the successive values of <paramref name="data"/> to the one register (rep outs), as for
    /// <see cref="ReadRegionRepeated"/>.</summary>
    void WriteRegionRepeated(int region, ulong offset, int width, ReadOnlySpan<byte> data) =>
        RepeatedAccess.WriteEach(this, region, offset, width, data);

    /// <summary>Function-level reset.</summary>
    void Reset();

    /// <summary>The doorbells of BAR <paramref name="region"/> (see <see cref="VfioDoorbell"/>); none by default.</summary>
    IReadOnlyList<VfioDoorbell> Doorbells(int region) => [];

    /// <summary>The pages of BAR <paramref name="region"/> a client may map (see <see cref="VfioMappedAreas"/>); none by default.</summary>
    VfioMappedAreas? MappedAreas(int region) => null;

    /// <summary>Connects the device to its bus (DMA and interrupts); called once by the server.</summary>
    void Attach(IDeviceBus bus);

    /// <summary>
    /// A model written for a virtual machine's CPU, which stops at each register access until the model is done
    /// with it (QEMU's): the server offers VfioUserCapabilities.SynchronousModel, so that the client waits for
    /// its writes and for its DMA in flight. A model of hardware (ours) takes PCI's posted writes: false.
    /// </summary>
    bool SynchronousModel => false;

    /// <summary>Who must hear of every DMA window (see <see cref="IDmaWindowObserver"/>): the device itself if it
    /// is one; a device wrapping another (DeviceFaults) answers for the one it wraps.</summary>
    IDmaWindowObserver? DmaWindowObserver => this as IDmaWindowObserver;

    /// <summary>Who drives INTx through a resampled line (see <see cref="IIntxResampler"/>), as for
    /// <see cref="DmaWindowObserver"/>.</summary>
    IIntxResampler? IntxResampler => this as IIntxResampler;
}

/// <summary>A repeated access made as single accesses, one per <c>width</c> bytes, in order.</summary>
public static class RepeatedAccess
{
    public static void ReadEach(IVfioDevice device, int region, ulong offset, int width, Span<byte> data)
    {
        for (int at = 0; at < data.Length; at += width)
            device.ReadRegion(region, offset, data.Slice(at, width));
    }

    public static void WriteEach(IVfioDevice device, int region, ulong offset, int width, ReadOnlySpan<byte> data)
    {
        for (int at = 0; at < data.Length; at += width)
            device.WriteRegion(region, offset, data.Slice(at, width));
    }
}

/// <summary>
/// A device whose DMA happens outside this process (QEMU's device server): it is told of every DMA window
/// with a descriptor, and may refuse one it cannot honour.
/// </summary>
public interface IDmaWindowObserver
{
    /// <summary>
    /// Window [iova, iova+size) at <paramref name="fileOffset"/> of <paramref name="fd"/> (valid during the call
    /// only; -1 for a window reached by messages) is about to be mapped: 0 to allow it, else an errno and why.
    /// </summary>
    int Mapping(ulong iova, ulong size, int fd, long fileOffset, bool writable, out string? why);

    /// <summary>Window [iova, iova+size) is gone; the device must no longer reach it when this returns.</summary>
    void Unmapped(ulong iova, ulong size);

    /// <summary>Every window is gone (unmap-all, or the client left).</summary>
    void Cleared();
}

/// <summary>
/// A device that drives INTx through a resampled line (QEMU's irqfd and resample fd): told when the client
/// unmasks INTx, it asserts the line again if the device still holds it.
/// </summary>
public interface IIntxResampler
{
    void IntxUnmasked();
}
