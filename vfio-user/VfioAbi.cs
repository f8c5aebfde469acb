// SPDX-License-Identifier: MIT
// Managed side. Constants of <linux/vfio.h> that kernel VFIO and vfio-user share: PCI region and
// IRQ indexes, and the flag bits of device, region, IRQ and DMA descriptions. A platform device
// (VFIO_DEVICE_FLAGS_PLATFORM) has no fixed indexes: its regions are its MMIO ranges and its IRQ
// indexes its interrupt lines, in the order its firmware description lists them.
namespace LinuxShim.VfioUser;

public static class VfioAbi
{
    // enum { VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_NUM_REGIONS }
    public const int RegionBar0 = 0, RegionRom = 6, RegionConfig = 7, RegionVga = 8, PciRegionCount = 9;

    // enum { VFIO_PCI_INTX_IRQ_INDEX ... VFIO_PCI_NUM_IRQS }
    public const int IrqIntx = 0, IrqMsi = 1, IrqMsix = 2, IrqErr = 3, IrqReq = 4, PciIrqCount = 5;

    public const uint DeviceFlagsReset = 1 << 0, DeviceFlagsPci = 1 << 1, DeviceFlagsPlatform = 1 << 2;

    public const uint RegionInfoFlagRead = 1 << 0, RegionInfoFlagWrite = 1 << 1, RegionInfoFlagMmap = 1 << 2,
        RegionInfoFlagCaps = 1 << 3;

    public const uint IrqInfoEventFd = 1 << 0, IrqInfoMaskable = 1 << 1, IrqInfoAutomasked = 1 << 2,
        IrqInfoNoResize = 1 << 3;

    public const uint IrqSetDataNone = 1 << 0, IrqSetDataBool = 1 << 1, IrqSetDataEventFd = 1 << 2,
        IrqSetActionMask = 1 << 3, IrqSetActionUnmask = 1 << 4, IrqSetActionTrigger = 1 << 5;

    public const uint IrqSetDataTypeMask = IrqSetDataNone | IrqSetDataBool | IrqSetDataEventFd;

    public const uint IrqSetActionTypeMask = IrqSetActionMask | IrqSetActionUnmask | IrqSetActionTrigger;

    public const uint DmaFlagRead = 1 << 0, DmaFlagWrite = 1 << 1;

    // VFIO_REGION_INFO_CAP_SPARSE_MMAP and its version.
    public const ushort RegionInfoCapSparseMmap = 1, RegionInfoCapSparseMmapVersion = 1;

    // The sub-region types of VFIO_USER_DEVICE_GET_REGION_IO_FDS (libvfio-user's vfio-user.h).
    public const uint IoFdTypeIoeventfd = 0, IoFdTypeIoregionfd = 1, IoFdTypeIoeventfdShadow = 2;
}
