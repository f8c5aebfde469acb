// SPDX-License-Identifier: MIT
// Managed side. What the server does for each client command (docs/vfio-user.rst, "Commands"): each
// payload is decoded by its generated decoder (vfio-user.wire.json), then checked against the device
// (regions, vectors, limits) before the device sees it. Returns 0 and the reply payload, or an errno
// and why (for the operator's log). A platform device (IVfioDevice.IsPlatform) has only its own
// regions and lines: asking it for configuration space, a BAR it lacks or MSI is refused like any
// index past the end. Descriptors it keeps it removes from the list; the caller closes
// the rest.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.VfioUser;

internal sealed class CommandHandler(VfioUserServer server)
{
    private IVfioDevice Device => server.Device;

    /// <summary>Whether the client named linuxshim_repeated_access in its VERSION (the server always has it).</summary>
    public bool RepeatedAccess { get; set; }

    /// <summary>Descriptors that go with the reply of the command just handled (the server's own: sent, not closed).</summary>
    public List<int> ReplyFds { get; } = [];

    private Doorbells.RingAction? ring;

    public int Handle(VfioUserHeader header, ReadOnlySpan<byte> payload, List<int> fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        why = null;
        if (!header.IsCommand)
        {
            why = "a message that is neither command nor reply";
            return Errno.EINVAL;
        }
        try
        {
            return (VfioUserCommand)header.Command switch
            {
                VfioUserCommand.Version => Fail(out why, "VERSION again: it is negotiated once, first", Errno.EINVAL),
                VfioUserCommand.DmaMap => DmaMap(payload, fds, out why),
                VfioUserCommand.DmaUnmap => DmaUnmap(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DeviceGetInfo => GetInfo(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DeviceGetRegionInfo => GetRegionInfo(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DeviceGetRegionIoFds => GetRegionIoFds(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DeviceGetIrqInfo => GetIrqInfo(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DeviceSetIrqs => SetIrqs(payload, fds, out why),
                VfioUserCommand.RegionRead => RegionRead(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.RegionWrite => RegionWrite(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DeviceReset => Reset(payload, fds.Count, out why),
                VfioUserCommand.RegionReadRepeat when RepeatedAccess => RegionReadRepeat(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.RegionWriteRepeat when RepeatedAccess => RegionWriteRepeat(payload, fds.Count, reply, out length, out why),
                VfioUserCommand.DmaRead or VfioUserCommand.DmaWrite => Fail(out why, "DMA_READ/DMA_WRITE go from server to client", Errno.EINVAL),
                _ => Fail(out why, $"command {header.Command} is not implemented", Errno.ENOSYS),
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A device model threw: the request fails, the server goes on (the model contains its own faults).
            server.CountInternalError(e);
            length = 0;
            why = $"device model: {e.GetType().Name}: {e.Message}";
            return Errno.EIO;
        }
    }

    private int DmaMap(ReadOnlySpan<byte> p, List<int> fds, out string? why)
    {
        if (!VfioUserDmaMap.TryDecode(p, fds.Count, out var m, out why))
            return Errno.EINVAL;
        if (fds.Count == 0 && m.Offset != 0)
            return Fail(out why, "DMA_MAP.offset: not 0 for a window without a descriptor", Errno.EINVAL);
        int fd = fds.Count == 1 ? fds[0] : -1;
        return server.Dma.Map(m.Address, m.Size, fd, (long)m.Offset, (m.Flags & VfioAbi.DmaFlagWrite) != 0, out why);
    }

    private int DmaUnmap(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserDmaUnmap.TryDecode(p, fds, out var u, out _, out why))
            return Errno.EINVAL;
        if ((u.Flags & DmaUnmapGetDirtyBitmap) != 0)
            return Fail(out why, "DMA_UNMAP.flags: dirty page tracking is not supported", Errno.ENOTSUP);
        if ((u.Flags & DmaUnmapAll) != 0)
        {
            if (u.Address != 0 || u.Size != 0)
                return Fail(out why, "DMA_UNMAP: unmap-all with an address or size", Errno.EINVAL);
            server.Dma.UnmapAll();
        }
        else
        {
            int errno = server.Dma.Unmap(u.Address, u.Size);
            if (errno != 0)
                return Fail(out why, $"DMA_UNMAP: no window is exactly 0x{u.Address:x}+0x{u.Size:x}", errno);
        }
        length = (u with { Argsz = VfioUserDmaUnmap.FixedSize }).Encode(reply);
        return 0;
    }

    private const uint DmaUnmapGetDirtyBitmap = 1, DmaUnmapAll = 2;

    private int GetInfo(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserDeviceInfo.TryDecode(p, fds, out _, out why))
            return Errno.EINVAL;
        uint bus = Device.IsPlatform ? VfioAbi.DeviceFlagsPlatform : VfioAbi.DeviceFlagsPci;
        length = new VfioUserDeviceInfo(VfioUserDeviceInfo.FixedSize, VfioAbi.DeviceFlagsReset | bus,
            (uint)Device.RegionCount, (uint)IrqIndexes).Encode(reply);
        return 0;
    }

    /// <summary>The device's IRQ indexes: PCI's five, or a platform device's lines (at most as many, the routing's size).</summary>
    private int IrqIndexes => Math.Clamp(Device.IrqIndexCount, 0, VfioAbi.PciIrqCount);

    /// <summary>Whether region <paramref name="index"/> is one a client may map or ring doorbells in: a BAR, or any region of a platform device.</summary>
    private bool IsMmioRegion(uint index) => Device.IsPlatform ? index < (uint)Device.RegionCount : index < VfioAbi.RegionRom;

    private int GetRegionInfo(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserRegionInfo.TryDecode(p, fds, out var q, out _, out why))
            return Errno.EINVAL;
        if (q.Index >= (uint)Device.RegionCount)
            return Fail(out why, $"DEVICE_GET_REGION_INFO.index: {q.Index}, the device has {Device.RegionCount} regions", Errno.EINVAL);
        var info = Device.GetRegion((int)q.Index);
        uint flags = (info.Readable ? VfioAbi.RegionInfoFlagRead : 0) | (info.Writable ? VfioAbi.RegionInfoFlagWrite : 0);
        var mapped = IsMmioRegion(q.Index) ? Device.MappedAreas((int)q.Index) : null;
        if (mapped is null || mapped.Areas.Count == 0)
        {
            length = new VfioUserRegionInfo(VfioUserRegionInfo.FixedSize, flags, q.Index, 0, info.Size, 0).Encode(reply);
            return 0;
        }
        // Pages the client may map: the sparse mmap capability after the info, the memory's descriptor with the
        // reply (its offset 0 is the region's). A request too small for the capability learns the size it needs
        // (argsz) and gets neither capability nor descriptor.
        int capabilityAt = VfioUserRegionInfo.FixedSize;
        int areasAt = capabilityAt + VfioInfoCapHeader.FixedSize + VfioRegionSparseMmap.FixedSize;
        int needed = areasAt + mapped.Areas.Count * VfioRegionSparseArea.FixedSize;
        flags |= VfioAbi.RegionInfoFlagMmap | VfioAbi.RegionInfoFlagCaps;
        if (q.Argsz < needed)
        {
            length = new VfioUserRegionInfo((uint)needed, flags, q.Index, 0, info.Size, 0).Encode(reply);
            return 0;
        }
        new VfioInfoCapHeader(VfioAbi.RegionInfoCapSparseMmap, VfioAbi.RegionInfoCapSparseMmapVersion, 0).Encode(reply.AsSpan(capabilityAt));
        new VfioRegionSparseMmap((uint)mapped.Areas.Count, 0).Encode(reply.AsSpan(capabilityAt + VfioInfoCapHeader.FixedSize));
        for (int i = 0; i < mapped.Areas.Count; i++)
            new VfioRegionSparseArea(mapped.Areas[i].Offset, mapped.Areas[i].Size).Encode(reply.AsSpan(areasAt + i * VfioRegionSparseArea.FixedSize));
        new VfioUserRegionInfo((uint)needed, flags, q.Index, (uint)capabilityAt, info.Size, 0).Encode(reply);
        ReplyFds.Add(mapped.Fd);
        length = needed;
        return 0;
    }

    // The doorbells of a BAR (shadow ioeventfds), see Doorbells.
    private int GetRegionIoFds(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserRegionIoFds.TryDecode(p, fds, out var q, out var tail, out why))
            return Errno.EINVAL;
        if (q.Count != 0 || !tail.IsEmpty)
            return Fail(out why, "DEVICE_GET_REGION_IO_FDS: a request has count 0 and no sub-regions", Errno.EINVAL);
        if (!IsMmioRegion(q.Index) || Device.GetRegion((int)q.Index).Size == 0)
            return Fail(out why, $"DEVICE_GET_REGION_IO_FDS.index: {q.Index} is not an implemented BAR", Errno.EINVAL);
        return server.Doorbells.Describe(Device, q.Index, q.Argsz, reply, ReplyFds, out length, out why);
    }

    /// <summary>Hands every doorbell rung since the last call to the device, as the register writes they stand for.</summary>
    public int RingDoorbells(ReadOnlySpan<Libc.PollFd> polled = default)
    {
        try
        {
            return server.Doorbells.Ring(ring ??= (region, offset, value) => Device.WriteRegion(region, offset, value), polled);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            server.CountInternalError(e);
            return 0;
        }
    }

    private int GetIrqInfo(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserIrqInfo.TryDecode(p, fds, out var q, out why))
            return Errno.EINVAL;
        if (q.Index >= (uint)IrqIndexes)
            return Fail(out why, $"DEVICE_GET_IRQ_INFO.index: {q.Index}, there are {IrqIndexes}", Errno.EINVAL);
        // Every index can be masked (INTx, and a platform device's level-triggered line, are also automasked); MSI
        // and MSI-X keep a pending bit while masked.
        uint flags = VfioAbi.IrqInfoEventFd | VfioAbi.IrqInfoMaskable | (q.Index == VfioAbi.IrqIntx
            ? VfioAbi.IrqInfoAutomasked
            : VfioAbi.IrqInfoNoResize);
        length = new VfioUserIrqInfo(VfioUserIrqInfo.FixedSize, flags, q.Index, (uint)server.Irqs.Count((int)q.Index)).Encode(reply);
        return 0;
    }

    private int SetIrqs(ReadOnlySpan<byte> p, List<int> fds, out string? why)
    {
        if (!VfioUserSetIrqs.TryDecode(p, fds.Count, out var s, out var data, out why))
            return Errno.EINVAL;
        uint dataType = s.Flags & VfioAbi.IrqSetDataTypeMask;
        uint action = s.Flags & VfioAbi.IrqSetActionTypeMask;
        if (!IsSingleBit(dataType) || !IsSingleBit(action))
            return Fail(out why, $"DEVICE_SET_IRQS.flags: 0x{s.Flags:x} must name one data type and one action", Errno.EINVAL);
        if (s.Index >= (uint)IrqIndexes)
            return Fail(out why, $"DEVICE_SET_IRQS.index: {s.Index}, there are {IrqIndexes}", Errno.EINVAL);
        int vectors = server.Irqs.Count((int)s.Index);
        bool disableAll = s.Count == 0 && s.Start == 0 && dataType == VfioAbi.IrqSetDataNone;
        if (!disableAll && (s.Count == 0 || s.Start >= (uint)vectors || s.Count > (uint)vectors - s.Start))
            return Fail(out why, $"DEVICE_SET_IRQS: vectors {s.Start}+{s.Count} outside the {vectors} of index {s.Index}", Errno.EINVAL);
        int expectedData = dataType == VfioAbi.IrqSetDataBool ? (int)s.Count : 0;
        if (data.Length != expectedData)
            return Fail(out why, $"DEVICE_SET_IRQS.data: {data.Length} bytes, expected {expectedData}", Errno.EINVAL);
        bool eventFds = dataType == VfioAbi.IrqSetDataEventFd;
        if (eventFds ? fds.Count != 0 && fds.Count != s.Count : fds.Count != 0)
            return Fail(out why, $"DEVICE_SET_IRQS: {fds.Count} descriptors for {s.Count} vectors", Errno.EINVAL);
        var adopted = new EventFd[eventFds ? fds.Count : 0];
        for (int i = 0; i < adopted.Length; i++)
        {
            var e = EventFd.AdoptForSignalling(fds[i], out string? bad);
            if (e is null)
            {
                // Not taken over: give back the ones adopted so far to the list the caller closes.
                for (int j = 0; j < i; j++)
                    adopted[j].DetachHandle();
                return Fail(out why, $"DEVICE_SET_IRQS: descriptor {i}: {bad}", Errno.EINVAL);
            }
            adopted[i] = e;
        }
        fds.Clear();
        return server.Irqs.Apply((int)s.Index, action, dataType, (int)s.Start, (int)s.Count, data, adopted);
    }

    private static bool IsSingleBit(uint v) => v != 0 && (v & (v - 1)) == 0;

    private int RegionRead(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserRegionAccess.TryDecode(p, fds, out var a, out why))
            return Errno.EINVAL;
        int errno = CheckAccess(a.Region, a.Offset, a.Count, write: false, out why);
        if (errno != 0)
            return errno;
        var data = reply.AsSpan(VfioUserRegionData.FixedSize, (int)a.Count);
        Device.ReadRegion((int)a.Region, a.Offset, data);
        length = new VfioUserRegionData(a.Offset, a.Region, a.Count).Encode(reply) + (int)a.Count;
        return 0;
    }

    private int RegionWrite(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserRegionData.TryDecode(p, fds, out var a, out var data, out why))
            return Errno.EINVAL;
        int errno = CheckAccess(a.Region, a.Offset, a.Count, write: true, out why);
        if (errno != 0)
            return errno;
        Device.WriteRegion((int)a.Region, a.Offset, data);
        length = new VfioUserRegionAccess(a.Offset, a.Region, a.Count).Encode(reply);
        return 0;
    }

    // LinuxShim's REGION_READ_REPEAT: count / width reads of the one register at offset, in order (a CPU's
    // rep ins on a data port; each read may pop a FIFO), answered with their data, the first read's first.
    private int RegionReadRepeat(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserRegionRepeat.TryDecode(p, fds, out var a, out why))
            return Errno.EINVAL;
        int errno = CheckRepeat(a.Region, a.Offset, a.Width, a.Count, write: false, out why);
        if (errno != 0)
            return errno;
        var data = reply.AsSpan(VfioUserRegionRepeatData.FixedSize, (int)a.Count);
        Device.ReadRegionRepeated(a.Region, a.Offset, a.Width, data);
        length = new VfioUserRegionRepeatData(a.Offset, a.Region, a.Width, a.Count).Encode(reply) + (int)a.Count;
        return 0;
    }

    // LinuxShim's REGION_WRITE_REPEAT: count / width writes of the one register at offset, in order (rep outs).
    private int RegionWriteRepeat(ReadOnlySpan<byte> p, int fds, byte[] reply, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserRegionRepeatData.TryDecode(p, fds, out var a, out var data, out why))
            return Errno.EINVAL;
        int errno = CheckRepeat(a.Region, a.Offset, a.Width, a.Count, write: true, out why);
        if (errno != 0)
            return errno;
        Device.WriteRegionRepeated(a.Region, a.Offset, a.Width, data);
        length = new VfioUserRegionRepeat(a.Offset, a.Region, a.Width, a.Count).Encode(reply);
        return 0;
    }

    // A BAR's register (never configuration space, which has no data ports), each access inside the BAR and
    // naturally aligned, as the single accesses of REGION_READ/WRITE to a BAR are; count a whole number of
    // accesses and no more bytes than one REGION_READ may carry.
    private int CheckRepeat(ushort region, ulong offset, ushort width, uint count, bool write, out string? why)
    {
        string op = write ? "REGION_WRITE_REPEAT" : "REGION_READ_REPEAT";
        if (!IsMmioRegion(region))
            return Fail(out why, Device.IsPlatform
                ? $"{op}.region: {region}, the device has {Device.RegionCount}"
                : $"{op}.region: {region}, not a BAR (0-{VfioAbi.RegionRom - 1})", Errno.EINVAL);
        if (count % width != 0)
            return Fail(out why, $"{op}.count: {count} bytes is not a whole number of {width}-byte accesses", Errno.EINVAL);
        if (offset % width != 0)
            return Fail(out why, $"{op}.offset: 0x{offset:x} is not aligned to its {width}-byte accesses", Errno.EINVAL);
        if (count > (uint)VfioUserServer.Capabilities.MaxDataXferSize)
            return Fail(out why, $"{op}.count: {count} is above max_data_xfer_size {VfioUserServer.Capabilities.MaxDataXferSize}", Errno.EINVAL);
        return CheckAccess(region, offset, width, write, out why);
    }

    // Any size from 1 byte to the negotiated max_data_xfer_size, anywhere inside the region; the device
    // splits it into the naturally aligned register accesses its bus would make.
    private int CheckAccess(uint region, ulong offset, uint count, bool write, out string? why)
    {
        why = null;
        string op = write ? "REGION_WRITE" : "REGION_READ";
        if (region >= (uint)Device.RegionCount)
            return Fail(out why, $"{op}.region: {region}, the device has {Device.RegionCount}", Errno.EINVAL);
        if (count > (uint)VfioUserServer.Capabilities.MaxDataXferSize)
            return Fail(out why, $"{op}.count: {count} is above max_data_xfer_size {VfioUserServer.Capabilities.MaxDataXferSize}", Errno.EINVAL);
        var info = Device.GetRegion((int)region);
        if (info.Size == 0)
            return Fail(out why, $"{op}.region: region {region} is not implemented", Errno.EINVAL);
        if (!(write ? info.Writable : info.Readable))
            return Fail(out why, $"{op}.region: region {region} is not {(write ? "writable" : "readable")}", Errno.EINVAL);
        if (offset > info.Size || count > info.Size - offset)
            return Fail(out why, $"{op}: 0x{offset:x}+{count} outside region {region}'s 0x{info.Size:x} bytes", Errno.EINVAL);
        return 0;
    }

    private int Reset(ReadOnlySpan<byte> p, int fds, out string? why)
    {
        why = null;
        if (!p.IsEmpty || fds != 0)
            return Fail(out why, "DEVICE_RESET: has no payload and no descriptors", Errno.EINVAL);
        Device.Reset();
        return 0;
    }

    private static int Fail(out string? why, string message, int errno)
    {
        why = message;
        return errno;
    }
}
