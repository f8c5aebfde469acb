// SPDX-License-Identifier: MIT
// Test side. The kernel-VFIO backend against a fake /dev/vfio: the open sequence (container, group,
// IOMMU, device), region access by pread/pwrite at region offsets, DMA mapping of the host's own
// address, interrupts through eventfds, unmask and reset, all with the kernel's ioctl numbers.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LinuxShim.Posix;
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Vfio;
using static LinuxShim.Shim.Vfio.KernelVfioAbi;

namespace LinuxShim.Devices.Tests;

public sealed class KernelVfioFunctionTests
{
    private const int ContainerFd = 100, GroupFd = 101, DeviceFd = 102;

    /// <summary>A pretend kernel with one 82540EM-shaped function in IOMMU group 7.</summary>
    private sealed unsafe class FakeVfioKernel : IVfioSystem
    {
        public readonly List<string> Calls = [];
        public readonly List<IrqSet> IrqSets = [];
        public readonly List<DmaMap> Maps = [];
        public readonly HashSet<int> Open_ = [];
        public readonly byte[][] Regions = [new byte[0x20000], new byte[0x40], [], [], [], [], [], new byte[256], []];
        public int Resets;

        public FakeVfioKernel()
        {
            BinaryPrimitives.WriteUInt32LittleEndian(Regions[7], 0x100E8086);
            BinaryPrimitives.WriteUInt32LittleEndian(Regions[7].AsSpan(0x14), 1); // BAR1: I/O
        }

        public int Open(string path)
        {
            int fd = path switch
            {
                "/dev/vfio/vfio" => ContainerFd,
                "/dev/vfio/7" => GroupFd,
                _ => throw new PosixException($"open {path}", Errno.ENOENT),
            };
            Calls.Add($"open {path}");
            Open_.Add(fd);
            return fd;
        }

        public void Close(int fd) => Assert.True(Open_.Remove(fd), $"close of {fd}, which is not open");

        public int Ioctl(int fd, ulong request, nint arg)
        {
            Calls.Add($"{fd}:{request:x}");
            switch (fd, request)
            {
                case (ContainerFd, GetApiVersion):
                    return 0;
                case (ContainerFd, CheckExtension):
                    return arg == Type1v2Iommu ? 1 : 0;
                case (GroupFd, GroupGetStatus):
                    ((GroupStatus*)arg)->Flags = GroupFlagsViable;
                    return 0;
                case (GroupFd, GroupSetContainer):
                    Assert.Equal(ContainerFd, *(int*)arg);
                    return 0;
                case (ContainerFd, SetIommu):
                    Assert.Equal(Type1v2Iommu, (int)arg);
                    return 0;
                case (GroupFd, GroupGetDeviceFd):
                    Assert.Equal("0000:03:00.0", Marshal.PtrToStringUTF8(arg));
                    Open_.Add(DeviceFd);
                    return DeviceFd;
                case (DeviceFd, DeviceGetInfo):
                    var info = (DeviceInfo*)arg;
                    Assert.True(info->Argsz >= 16);
                    *info = new DeviceInfo { Argsz = 16, Flags = 3, NumRegions = 9, NumIrqs = 5 };
                    return 0;
                case (DeviceFd, DeviceGetRegionInfo):
                    var r = (RegionInfo*)arg;
                    Assert.Equal(32u, r->Argsz);
                    r->Size = (ulong)Regions[r->Index].Length;
                    r->Offset = (ulong)r->Index << 40; // VFIO_PCI_INDEX_TO_OFFSET
                    r->Flags = 3;
                    return 0;
                case (DeviceFd, DeviceGetIrqInfo):
                    var q = (IrqInfo*)arg;
                    q->Count = q->Index <= 1 ? 1u : 0u;
                    return 0;
                case (DeviceFd, DeviceSetIrqs):
                    var s = *(IrqSet*)arg;
                    if (s.Argsz == IrqSetHeaderSize)
                        s.Fd = int.MinValue; // no data
                    IrqSets.Add(s);
                    return 0;
                case (DeviceFd, DeviceReset):
                    Resets++;
                    return 0;
                case (ContainerFd, IommuMapDma):
                    Maps.Add(*(DmaMap*)arg);
                    return 0;
                case (ContainerFd, IommuUnmapDma):
                    Assert.Equal(24u, ((DmaUnmap*)arg)->Argsz);
                    return 0;
                default:
                    throw new PosixException($"ioctl {request:x} on {fd}", Errno.ENOTTY);
            }
        }

        private Span<byte> At(long offset, int length) => Regions[offset >> 40].AsSpan((int)(offset & 0xFFFFFFFFFF), length);

        public int PRead(int fd, Span<byte> buffer, long offset)
        {
            Assert.Equal(DeviceFd, fd);
            At(offset, buffer.Length).CopyTo(buffer);
            return buffer.Length;
        }

        public int PWrite(int fd, ReadOnlySpan<byte> buffer, long offset)
        {
            Assert.Equal(DeviceFd, fd);
            buffer.CopyTo(At(offset, buffer.Length));
            return buffer.Length;
        }
    }

    [Fact]
    public void Ioctl_numbers_and_layouts_are_the_kernels()
    {
        Assert.Equal(0x3B64ul, GetApiVersion);
        Assert.Equal(0x3B6Aul, GroupGetDeviceFd);
        Assert.Equal(0x3B6Eul, DeviceSetIrqs);
        Assert.Equal(0x3B71ul, IommuMapDma);
        Assert.Equal(0x3B72ul, IommuUnmapDma);
        Assert.Equal(32, Marshal.SizeOf<RegionInfo>());
        Assert.Equal(32, Marshal.SizeOf<DmaMap>());
        Assert.Equal(24, Marshal.SizeOf<DmaUnmap>());
        Assert.Equal(16, Marshal.SizeOf<IrqInfo>());
        Assert.Equal(24, Marshal.SizeOf<IrqSet>());
    }

    [Fact]
    public void Open_follows_the_vfio_sequence_and_exposes_the_function()
    {
        var kernel = new FakeVfioKernel();
        using (var f = KernelVfioFunction.Open("0000:03:00.0", 7, kernel))
        {
            Assert.Equal(
                ["open /dev/vfio/vfio", $"{ContainerFd}:3b64", $"{ContainerFd}:3b65", "open /dev/vfio/7", $"{GroupFd}:3b67",
                 $"{GroupFd}:3b68", $"{ContainerFd}:3b66", $"{GroupFd}:3b6a"],
                kernel.Calls.Take(8));
            Assert.Equal(new PciBarInfo(0, 0x20000, false, false), f.Bars[0]);
            Assert.Equal(new PciBarInfo(1, 0x40, true, false), f.Bars[1]);
            Assert.Equal(0u, f.Bars[2].Size);
            Assert.Equal(0x100E8086u, f.ReadConfig(0, 4));
            f.WriteBar(0, 0xD0, 4, 0x9D);
            Assert.Equal(0x9Du, BinaryPrimitives.ReadUInt32LittleEndian(kernel.Regions[0].AsSpan(0xD0)));
            Assert.Equal(0x9Dul, f.ReadBar(0, 0xD0, 4));
            Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadBar(1, 0x40, 4));
            Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadBar(2, 0, 4));

            f.MapDma(0x100000, 0x200000, fd: 55, fileOffset: 0, hostAddress: unchecked((nint)0x7F0000000000), writable: true);
            var map = Assert.Single(kernel.Maps);
            Assert.Equal((0x7F0000000000ul, 0x100000ul, 0x200000ul, 3u), (map.Vaddr, map.Iova, map.Size, map.Flags));
            f.UnmapDma(0x100000, 0x200000);

            f.Reset();
            Assert.Equal(1, kernel.Resets);
            Assert.Equal(1, f.IrqCount(PciIrqKind.Intx));
            Assert.Equal(0, f.IrqCount(PciIrqKind.Msix));
        }
        Assert.Empty(kernel.Open_); // device, group and container closed
    }

    [Fact]
    public unsafe void Interrupts_arrive_through_the_eventfd_given_to_the_kernel()
    {
        var kernel = new FakeVfioKernel();
        using var f = KernelVfioFunction.Open("0000:03:00.0", 7, kernel);
        using var fired = new SemaphoreSlim(0);
        f.SetIrqHandler(PciIrqKind.Intx, 0, () => fired.Release());
        var set = Assert.Single(kernel.IrqSets);
        Assert.Equal((0x24u, 0u, 0u, 1u, 24u), (set.Flags, set.Index, set.Start, set.Count, set.Argsz));
        ulong one = 1;
        Assert.Equal(8, (int)Libc.Write(set.Fd, &one, 8)); // the "kernel" signals the line
        Assert.True(fired.Wait(2000));

        f.UnmaskIntx();
        Assert.Equal((0x11u, 20u, int.MinValue), (kernel.IrqSets[1].Flags, kernel.IrqSets[1].Argsz, kernel.IrqSets[1].Fd));
        f.SetIrqHandler(PciIrqKind.Intx, 0, null);
        Assert.Equal(-1, kernel.IrqSets[2].Fd); // de-assigned
        Assert.Throws<ArgumentOutOfRangeException>(() => f.SetIrqHandler(PciIrqKind.Msix, 0, () => { }));
    }

    [Fact]
    public void A_group_that_does_not_exist_fails_and_closes_what_was_opened()
    {
        var kernel = new FakeVfioKernel();
        Assert.Throws<PosixException>(() => KernelVfioFunction.Open("0000:03:00.0", 8, kernel));
        Assert.Empty(kernel.Open_);
    }
}
