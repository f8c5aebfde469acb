// SPDX-License-Identifier: MIT
// Managed side. A PCI function on real hardware through Linux VFIO (/dev/vfio): container with a
// type-1 IOMMU, the device's IOMMU group, the device descriptor; registers by pread/pwrite at each
// region's offset, DMA by VFIO_IOMMU_MAP_DMA of the host's own mapping, interrupts on eventfds.
// Same interface as the vfio-user client, so the driver host cannot tell them apart.
using LinuxShim.Shim.Pci;
using LinuxShim.VfioUser;
using static LinuxShim.Shim.Vfio.KernelVfioAbi;

namespace LinuxShim.Shim.Vfio;

public sealed unsafe class KernelVfioFunction : IPciFunction
{
    private readonly IVfioSystem sys;
    private readonly int container, group, device;
    private readonly RegionInfo[] regions = new RegionInfo[VfioAbi.PciRegionCount];
    private readonly int[] irqCounts = new int[VfioAbi.PciIrqCount];
    private readonly InterruptHandlers interrupts;
    private readonly PciBarInfo[] bars;
    private readonly uint deviceFlags;

    private KernelVfioFunction(IVfioSystem sys, int container, int group, int device)
    {
        this.sys = sys;
        this.container = container;
        this.group = group;
        this.device = device;
        var info = new DeviceInfo { Argsz = (uint)sizeof(DeviceInfo) };
        sys.Ioctl(device, DeviceGetInfo, (nint)(&info));
        if ((info.Flags & VfioAbi.DeviceFlagsPci) == 0)
            throw new InvalidDataException("VFIO device is not a PCI device");
        deviceFlags = info.Flags;
        for (uint i = 0; i < Math.Min(info.NumRegions, (uint)VfioAbi.PciRegionCount); i++)
        {
            var r = new RegionInfo { Argsz = (uint)sizeof(RegionInfo), Index = i };
            sys.Ioctl(device, DeviceGetRegionInfo, (nint)(&r));
            regions[i] = r;
        }
        for (uint i = 0; i < Math.Min(info.NumIrqs, (uint)VfioAbi.PciIrqCount); i++)
        {
            var q = new IrqInfo { Argsz = (uint)sizeof(IrqInfo), Index = i };
            sys.Ioctl(device, DeviceGetIrqInfo, (nint)(&q));
            irqCounts[i] = (int)Math.Min(q.Count, 2048);
        }
        bars = PciBarLayout.Read(i => regions[i].Size, off => ReadConfig(off, 4));
        interrupts = new InterruptHandlers(irqCounts, "vfio");
    }

    /// <summary>
    /// Opens PCI function <paramref name="address"/> ("0000:01:00.0", bound to vfio-pci) in IOMMU group
    /// <paramref name="iommuGroup"/>, in a container of its own.
    /// </summary>
    public static KernelVfioFunction Open(string address, int iommuGroup, IVfioSystem? system = null)
    {
        var sys = system ?? LinuxVfioSystem.Instance;
        int container = -1, group = -1, device = -1;
        try
        {
            container = sys.Open("/dev/vfio/vfio");
            if (sys.Ioctl(container, GetApiVersion, 0) != ApiVersion)
                throw new InvalidDataException("unknown VFIO API version");
            int iommu = sys.Ioctl(container, CheckExtension, Type1v2Iommu) > 0 ? Type1v2Iommu
                : sys.Ioctl(container, CheckExtension, Type1Iommu) > 0 ? Type1Iommu
                : throw new InvalidDataException("the VFIO container offers no type-1 IOMMU");
            group = sys.Open($"/dev/vfio/{iommuGroup}");
            var status = new GroupStatus { Argsz = (uint)sizeof(GroupStatus) };
            sys.Ioctl(group, GroupGetStatus, (nint)(&status));
            if ((status.Flags & GroupFlagsViable) == 0)
                throw new InvalidOperationException($"IOMMU group {iommuGroup} is not viable: bind all its devices to vfio-pci");
            int c = container;
            sys.Ioctl(group, GroupSetContainer, (nint)(&c));
            sys.Ioctl(container, SetIommu, iommu);
            var name = System.Text.Encoding.UTF8.GetBytes(address + "\0");
            fixed (byte* p = name)
                device = sys.Ioctl(group, GroupGetDeviceFd, (nint)p);
            return new KernelVfioFunction(sys, container, group, device);
        }
        catch
        {
            foreach (int fd in new[] { device, group, container })
            {
                if (fd >= 0)
                    sys.Close(fd);
            }
            throw;
        }
    }

    /// <summary>The IOMMU group of a PCI function, from sysfs.</summary>
    public static int IommuGroupOf(string address)
    {
        var link = new FileInfo($"/sys/bus/pci/devices/{address}/iommu_group").LinkTarget
            ?? throw new InvalidOperationException($"{address} has no IOMMU group");
        return int.Parse(Path.GetFileName(link), System.Globalization.CultureInfo.InvariantCulture);
    }

    public IReadOnlyList<PciBarInfo> Bars => bars;

    public uint ReadConfig(int offset, int size) => (uint)ReadRegion(VfioAbi.RegionConfig, (ulong)offset, size);

    public void WriteConfig(int offset, int size, uint value) => WriteRegion(VfioAbi.RegionConfig, (ulong)offset, size, value);

    public ulong ReadBar(int bar, ulong offset, int size) => ReadRegion(CheckBar(bar), offset, size);

    public void WriteBar(int bar, ulong offset, int size, ulong value) => WriteRegion(CheckBar(bar), offset, size, value);

    private ulong ReadRegion(int index, ulong offset, int size)
    {
        var r = CheckAccess(index, offset, size);
        ulong value = 0;
        var span = new Span<byte>(&value, size);
        if (sys.PRead(device, span, (long)(r.Offset + offset)) != size)
            throw new IOException($"short VFIO read of region {index} at 0x{offset:x}");
        return value;
    }

    private void WriteRegion(int index, ulong offset, int size, ulong value)
    {
        var r = CheckAccess(index, offset, size);
        if (sys.PWrite(device, new ReadOnlySpan<byte>(&value, size), (long)(r.Offset + offset)) != size)
            throw new IOException($"short VFIO write of region {index} at 0x{offset:x}");
    }

    private RegionInfo CheckAccess(int index, ulong offset, int size)
    {
        if (size is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(size), "access size must be 1, 2, 4 or 8");
        var r = regions[index];
        if (offset > r.Size || (ulong)size > r.Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), $"0x{offset:x}+{size} outside region {index} (0x{r.Size:x} bytes)");
        return r;
    }

    private int CheckBar(int bar)
    {
        if (bar is < 0 or > 5 || bars[bar].Size == 0)
            throw new ArgumentOutOfRangeException(nameof(bar), $"BAR {bar} is not implemented");
        return bar;
    }

    public void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable)
    {
        var m = new DmaMap
        {
            Argsz = (uint)sizeof(DmaMap),
            Flags = VfioAbi.DmaFlagRead | (writable ? VfioAbi.DmaFlagWrite : 0),
            Vaddr = (ulong)hostAddress,
            Iova = iova,
            Size = size,
        };
        sys.Ioctl(container, IommuMapDma, (nint)(&m));
    }

    public void UnmapDma(ulong iova, ulong size)
    {
        var u = new DmaUnmap { Argsz = (uint)sizeof(DmaUnmap), Iova = iova, Size = size };
        sys.Ioctl(container, IommuUnmapDma, (nint)(&u));
    }

    public int IrqCount(PciIrqKind kind) => interrupts.Count(kind);

    public void SetIrqHandler(PciIrqKind kind, int vector, Action? handler) =>
        interrupts.Set(kind, vector, handler, (index, v, trigger) =>
            SetIrqs(VfioAbi.IrqSetDataEventFd | VfioAbi.IrqSetActionTrigger, index, v, trigger?.Handle ?? -1));

    public void UnmaskIntx() => SetIrqs(VfioAbi.IrqSetDataNone | VfioAbi.IrqSetActionUnmask, VfioAbi.IrqIntx, 0, null);

    private void SetIrqs(uint flags, int index, int start, int? fd)
    {
        var s = new IrqSet
        {
            Argsz = (uint)(IrqSetHeaderSize + (fd is null ? 0 : sizeof(int))),
            Flags = flags,
            Index = (uint)index,
            Start = (uint)start,
            Count = 1,
            Fd = fd ?? 0,
        };
        sys.Ioctl(device, DeviceSetIrqs, (nint)(&s));
    }

    public void Reset()
    {
        if ((deviceFlags & VfioAbi.DeviceFlagsReset) == 0)
            throw new NotSupportedException("the device offers no function-level reset");
        sys.Ioctl(device, DeviceReset, 0);
    }

    public void Dispose()
    {
        interrupts.Dispose();
        sys.Close(device);
        sys.Close(group);
        sys.Close(container);
    }
}
