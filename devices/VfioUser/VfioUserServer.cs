// SPDX-License-Identifier: MIT
// Managed side. A vfio-user server (QEMU docs/interop/vfio-user.rst) for one device: version
// negotiation, device/region/IRQ information, region access, DMA windows shared as file descriptors,
// interrupts through eventfds, reset. Every request is checked before the device sees it; a bad one
// gets an error reply and the connection keeps being served. One client at a time.
using System.Buffers.Binary;
using System.Text;
using LinuxShim.Shim.Vfio;
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Devices.VfioUser;

public sealed class VfioUserServer : IDisposable
{
    private const int MaxMessageSize = VfioUserHeader.Size + 16 + VfioUserConnection.DefaultMaxDataTransfer;

    private static readonly byte[] Capabilities = Encoding.UTF8.GetBytes(
        $"{{\"capabilities\":{{\"max_msg_fds\":{UnixSocket.MaxFdsPerMessage},\"max_data_xfer_size\":{VfioUserConnection.DefaultMaxDataTransfer}," +
        $"\"max_dma_maps\":{DmaMappings.MaxMappings},\"pgsizes\":{DmaMappings.PageSize}}}}}\0");

    private readonly SemaphoreSlim oneClient = new(1, 1);
    private readonly DmaMappings dma = new();
    private readonly InterruptRouting irqs;
    private readonly byte[] reply = new byte[MaxMessageSize];
    private long messages, errorReplies, internalErrors;

    public VfioUserServer(IVfioDevice device)
    {
        Device = device;
        irqs = new InterruptRouting(i => Math.Max(0, Math.Min(device.IrqCount(i), 2048)));
        device.Attach(new Bus(this));
    }

    public IVfioDevice Device { get; }

    /// <summary>Messages handled since the server was made.</summary>
    public long Messages => Interlocked.Read(ref messages);

    /// <summary>Requests answered with an error reply.</summary>
    public long ErrorReplies => Interlocked.Read(ref errorReplies);

    /// <summary>Requests during which the device model threw (answered EIO); should stay 0.</summary>
    public long InternalErrors => Interlocked.Read(ref internalErrors);

    /// <summary>The last exception a device model threw, for diagnosis.</summary>
    public Exception? LastInternalError { get; private set; }

    public int DmaWindowCount => dma.Count;

    /// <summary>Interrupts delivered to the client's eventfds so far.</summary>
    public long InterruptsDelivered => irqs.Delivered;

    /// <summary>
    /// Serves one connected client until it disconnects or <paramref name="cancellationToken"/> fires, on a
    /// thread of its own. When the client goes, its DMA windows and eventfds are dropped; device state stays.
    /// The server takes ownership of <paramref name="connection"/>.
    /// </summary>
    public Task ServeAsync(UnixSocket connection, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Serve(connection, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Listens at <paramref name="socketPath"/> and serves clients one after another until cancelled.</summary>
    public Task ListenAsync(string socketPath, CancellationToken cancellationToken)
    {
        var listener = UnixSocket.Listen(socketPath);
        return Task.Factory.StartNew(() =>
        {
            using (listener)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    var client = listener.Accept(100);
                    if (client is not null)
                        Serve(client, cancellationToken);
                }
            }
            File.Delete(socketPath);
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Serves one client on the calling thread (see <see cref="ServeAsync"/>).</summary>
    public void Serve(UnixSocket connection, CancellationToken cancellationToken = default)
    {
        oneClient.Wait(cancellationToken);
        var conn = new VfioUserConnection(connection, MaxMessageSize);
        using var wake = cancellationToken.Register(connection.Shutdown);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                VfioUserMessage? m;
                try
                {
                    m = conn.Receive();
                }
                catch (Exception e) when (e is EndOfStreamException or NativeCallException)
                {
                    break;
                }
                if (m is null)
                    break;
                Interlocked.Increment(ref messages);
                int length = 0;
                int errno = m.FramingError is not null ? Libc.EINVAL : Dispatch(m, out length);
                foreach (int fd in m.Fds)
                    Libc.Close(fd);
                if (m.Header.WantsNoReply && m.Header.IsCommand)
                    continue;
                if (errno != 0)
                    Interlocked.Increment(ref errorReplies);
                uint flags = VfioUserHeader.TypeReply | (errno != 0 ? VfioUserHeader.ErrorFlag : 0);
                try
                {
                    conn.Send(new VfioUserHeader(m.Header.MessageId, m.Header.Command, 0, flags, (uint)errno),
                        errno == 0 ? reply.AsSpan(0, length) : default);
                }
                catch (NativeCallException)
                {
                    break;
                }
            }
        }
        finally
        {
            dma.Clear();
            irqs.Clear();
            conn.Dispose();
            oneClient.Release();
        }
    }

    private int Dispatch(VfioUserMessage m, out int length)
    {
        length = 0;
        if (!m.Header.IsCommand)
            return Libc.EINVAL;
        var p = m.Payload.Span;
        try
        {
            return (VfioUserCommand)m.Header.Command switch
            {
                VfioUserCommand.Version => Version(p, out length),
                VfioUserCommand.DmaMap => DmaMap(p, m.Fds),
                VfioUserCommand.DmaUnmap => DmaUnmap(p, out length),
                VfioUserCommand.DeviceGetInfo => GetInfo(p, out length),
                VfioUserCommand.DeviceGetRegionInfo => GetRegionInfo(p, out length),
                VfioUserCommand.DeviceGetIrqInfo => GetIrqInfo(p, out length),
                VfioUserCommand.DeviceSetIrqs => SetIrqs(p, m.Fds),
                VfioUserCommand.RegionRead => RegionRead(p, out length),
                VfioUserCommand.RegionWrite => RegionWrite(p, out length),
                VfioUserCommand.DeviceReset => p.IsEmpty ? ResetDevice() : Libc.EINVAL,
                _ => Libc.ENOSYS,
            };
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref internalErrors);
            LastInternalError = e;
            length = 0;
            return Libc.EIO;
        }
    }

    private int Version(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length < 4)
            return Libc.EINVAL;
        if (BinaryPrimitives.ReadUInt16LittleEndian(p) != 0)
            return Libc.ENOTSUP;
        BinaryPrimitives.WriteUInt16LittleEndian(reply, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(reply.AsSpan(2), 1);
        Capabilities.CopyTo(reply, 4);
        length = 4 + Capabilities.Length;
        return 0;
    }

    private int DmaMap(ReadOnlySpan<byte> p, List<int> fds)
    {
        if (p.Length != 32 || BinaryPrimitives.ReadUInt32LittleEndian(p) < 32)
            return Libc.EINVAL;
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        if ((flags & ~(VfioAbi.DmaFlagRead | VfioAbi.DmaFlagWrite)) != 0 || fds.Count != 1)
            return Libc.EINVAL; // windows without a descriptor (DMA over messages) are not supported
        long offset = BinaryPrimitives.ReadInt64LittleEndian(p[8..]);
        ulong address = BinaryPrimitives.ReadUInt64LittleEndian(p[16..]);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(p[24..]);
        return dma.Map(address, size, fds[0], offset, (flags & VfioAbi.DmaFlagWrite) != 0);
    }

    private int DmaUnmap(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length != 24 || BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) != 0)
            return Libc.EINVAL;
        int errno = dma.Unmap(BinaryPrimitives.ReadUInt64LittleEndian(p[8..]), BinaryPrimitives.ReadUInt64LittleEndian(p[16..]));
        if (errno == 0)
        {
            p.CopyTo(reply);
            length = p.Length;
        }
        return errno;
    }

    private int GetInfo(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length != 16 || BinaryPrimitives.ReadUInt32LittleEndian(p) < 16)
            return Libc.EINVAL;
        var r = reply.AsSpan(0, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(r, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(r[4..], VfioAbi.DeviceFlagsReset | VfioAbi.DeviceFlagsPci);
        BinaryPrimitives.WriteInt32LittleEndian(r[8..], Device.RegionCount);
        BinaryPrimitives.WriteInt32LittleEndian(r[12..], VfioAbi.PciIrqCount);
        length = 16;
        return 0;
    }

    private int GetRegionInfo(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length != 32 || BinaryPrimitives.ReadUInt32LittleEndian(p) < 32)
            return Libc.EINVAL;
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        if (index >= (uint)Device.RegionCount)
            return Libc.EINVAL;
        var info = Device.GetRegion((int)index);
        var r = reply.AsSpan(0, 32);
        r.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(r, 32);
        BinaryPrimitives.WriteUInt32LittleEndian(r[4..],
            (info.Readable ? VfioAbi.RegionInfoFlagRead : 0) | (info.Writable ? VfioAbi.RegionInfoFlagWrite : 0));
        BinaryPrimitives.WriteUInt32LittleEndian(r[8..], index);
        BinaryPrimitives.WriteUInt64LittleEndian(r[16..], info.Size);
        length = 32;
        return 0;
    }

    private int GetIrqInfo(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length != 16 || BinaryPrimitives.ReadUInt32LittleEndian(p) < 16)
            return Libc.EINVAL;
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        if (index >= VfioAbi.PciIrqCount)
            return Libc.EINVAL;
        uint flags = VfioAbi.IrqInfoEventFd | (index == VfioAbi.IrqIntx
            ? VfioAbi.IrqInfoMaskable | VfioAbi.IrqInfoAutomasked
            : VfioAbi.IrqInfoNoResize);
        var r = reply.AsSpan(0, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(r, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(r[4..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(r[8..], index);
        BinaryPrimitives.WriteInt32LittleEndian(r[12..], irqs.Count((int)index));
        length = 16;
        return 0;
    }

    private int SetIrqs(ReadOnlySpan<byte> p, List<int> fds)
    {
        if (p.Length < 20 || BinaryPrimitives.ReadUInt32LittleEndian(p) != (uint)p.Length)
            return Libc.EINVAL;
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        uint start = BinaryPrimitives.ReadUInt32LittleEndian(p[12..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(p[16..]);
        uint dataType = flags & VfioAbi.IrqSetDataTypeMask;
        uint action = flags & VfioAbi.IrqSetActionTypeMask;
        if ((flags & ~(VfioAbi.IrqSetDataTypeMask | VfioAbi.IrqSetActionTypeMask)) != 0
            || !IsSingleBit(dataType) || !IsSingleBit(action) || index >= VfioAbi.PciIrqCount)
            return Libc.EINVAL;
        int vectors = irqs.Count((int)index);
        bool disableAll = count == 0 && start == 0 && dataType == VfioAbi.IrqSetDataNone && action == VfioAbi.IrqSetActionTrigger;
        if (!disableAll && (count == 0 || start >= (uint)vectors || count > (uint)vectors - start))
            return Libc.EINVAL;
        var data = p[20..];
        int expectedData = dataType == VfioAbi.IrqSetDataBool ? (int)count : 0;
        if (data.Length != expectedData)
            return Libc.EINVAL;
        if (dataType == VfioAbi.IrqSetDataEventFd ? fds.Count != 0 && fds.Count != count : fds.Count != 0)
            return Libc.EINVAL;
        return irqs.Apply((int)index, action, dataType, (int)start, (int)count, data, fds);
    }

    private static bool IsSingleBit(uint v) => v != 0 && (v & (v - 1)) == 0;

    private int RegionRead(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length != 16)
            return Libc.EINVAL;
        int errno = CheckAccess(p, out int region, out ulong offset, out int count, write: false);
        if (errno != 0)
            return errno;
        p.CopyTo(reply);
        Device.ReadRegion(region, offset, reply.AsSpan(16, count));
        length = 16 + count;
        return 0;
    }

    private int RegionWrite(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (p.Length < 16)
            return Libc.EINVAL;
        int errno = CheckAccess(p, out int region, out ulong offset, out int count, write: true);
        if (errno != 0)
            return errno;
        if (p.Length != 16 + count)
            return Libc.EINVAL;
        Device.WriteRegion(region, offset, p.Slice(16, count));
        p[..16].CopyTo(reply);
        length = 16;
        return 0;
    }

    private int CheckAccess(ReadOnlySpan<byte> p, out int region, out ulong offset, out int count, bool write)
    {
        offset = BinaryPrimitives.ReadUInt64LittleEndian(p);
        uint index = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(p[12..]);
        region = (int)Math.Min(index, int.MaxValue);
        count = (int)Math.Min(n, int.MaxValue);
        if (index >= (uint)Device.RegionCount || n == 0 || n > VfioUserConnection.DefaultMaxDataTransfer)
            return Libc.EINVAL;
        var info = Device.GetRegion(region);
        if (info.Size == 0 || !(write ? info.Writable : info.Readable))
            return Libc.EINVAL;
        if (offset > info.Size || n > info.Size - offset)
            return Libc.EINVAL;
        if (region != VfioAbi.RegionConfig && n is not (1 or 2 or 4 or 8))
            return Libc.EINVAL;
        return 0;
    }

    private int ResetDevice()
    {
        Device.Reset();
        return 0;
    }

    public void Dispose()
    {
        dma.Dispose();
        irqs.Dispose();
        oneClient.Dispose();
    }

    /// <summary>The device's side of the server: DMA through the mapped windows, interrupts to eventfds.</summary>
    private sealed class Bus(VfioUserServer server) : IDeviceBus
    {
        public bool DmaRead(ulong address, Span<byte> data) => server.dma.Read(address, data);

        public bool DmaWrite(ulong address, ReadOnlySpan<byte> data) => server.dma.Write(address, data);

        public void SetIntx(bool asserted) => server.irqs.SetIntx(asserted);

        public void SignalMsi(int vector) => server.irqs.SignalMsi(vector);
    }
}
