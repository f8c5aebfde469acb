// SPDX-License-Identifier: MIT
// Managed side. vfio-user command numbers (QEMU docs/interop/vfio-user.rst, "Commands").
namespace LinuxShim.VfioUser;

public enum VfioUserCommand : ushort
{
    Version = 1,
    DmaMap = 2,
    DmaUnmap = 3,
    DeviceGetInfo = 4,
    DeviceGetRegionInfo = 5,
    DeviceGetRegionIoFds = 6,
    DeviceGetIrqInfo = 7,
    DeviceSetIrqs = 8,
    RegionRead = 9,
    RegionWrite = 10,
    DmaRead = 11,
    DmaWrite = 12,
    DeviceReset = 13,
    RegionWriteMulti = 15,
    DeviceFeature = 16,
    MigDataRead = 17,
    MigDataWrite = 18,

    // LinuxShim's own, offered only under the capability linuxshim_repeated_access (VfioUserCapabilities
    // .RepeatedAccess), numbered far from vfio-user's own: N accesses of one register (rep ins / rep outs).
    RegionReadRepeat = 0x4C01,
    RegionWriteRepeat = 0x4C02,
}
