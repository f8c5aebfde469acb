// SPDX-License-Identifier: MIT
// Managed side. The ioctl numbers and argument structures of <linux/vfio.h> (type ';', base 100)
// that the kernel-VFIO backend uses; layouts are the kernel's, asserted by size in the tests.
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Vfio;

public static class KernelVfioAbi
{
    private const ulong Type = ';', Base = 100;

    // _IO(VFIO_TYPE, VFIO_BASE + n): no size or direction bits
    public const ulong GetApiVersion = Type << 8 | (Base + 0), CheckExtension = Type << 8 | (Base + 1),
        SetIommu = Type << 8 | (Base + 2), GroupGetStatus = Type << 8 | (Base + 3),
        GroupSetContainer = Type << 8 | (Base + 4), GroupGetDeviceFd = Type << 8 | (Base + 6),
        DeviceGetInfo = Type << 8 | (Base + 7), DeviceGetRegionInfo = Type << 8 | (Base + 8),
        DeviceGetIrqInfo = Type << 8 | (Base + 9), DeviceSetIrqs = Type << 8 | (Base + 10),
        DeviceReset = Type << 8 | (Base + 11), IommuMapDma = Type << 8 | (Base + 13), IommuUnmapDma = Type << 8 | (Base + 14);

    public const int ApiVersion = 0, Type1Iommu = 1, Type1v2Iommu = 3;

    public const uint GroupFlagsViable = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct GroupStatus
    {
        public uint Argsz, Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct DeviceInfo
    {
        public uint Argsz, Flags, NumRegions, NumIrqs;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct RegionInfo
    {
        public uint Argsz, Flags, Index, CapOffset;
        public ulong Size, Offset;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IrqInfo
    {
        public uint Argsz, Flags, Index, Count;
    }

    /// <summary>struct vfio_irq_set with room for one eventfd in data[].</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IrqSet
    {
        public uint Argsz, Flags, Index, Start, Count;
        public int Fd;
    }

    public const int IrqSetHeaderSize = 20;

    [StructLayout(LayoutKind.Sequential)]
    public struct DmaMap
    {
        public uint Argsz, Flags;
        public ulong Vaddr, Iova, Size;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct DmaUnmap
    {
        public uint Argsz, Flags;
        public ulong Iova, Size;
    }
}
