// SPDX-License-Identifier: MIT
// Managed side. The driver host's end of vfio-user: a PCI function whose registers, DMA windows and
// interrupts live in a device server process. One request/reply message per register access; DMA
// memory is shared by passing the host's memfd (SCM_RIGHTS), interrupts arrive on eventfds.
using System.Buffers.Binary;
using System.Text;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Vfio;

public sealed class VfioUserClient : IPciFunction
{
    private const int RegionAccessHeader = 16;

    private readonly object sync = new();
    private readonly VfioUserConnection connection;
    private readonly ulong[] regionSizes = new ulong[VfioAbi.PciRegionCount];
    private readonly uint[] regionFlags = new uint[VfioAbi.PciRegionCount];
    private readonly int[] irqCounts = new int[VfioAbi.PciIrqCount];
    private readonly InterruptHandlers interrupts;
    private readonly PciBarInfo[] bars;
    private ushort nextId;
    private bool disposed;

    /// <summary>Negotiates the protocol version on a connected socket and reads the device's description.</summary>
    public VfioUserClient(UnixSocket socket)
    {
        connection = new VfioUserConnection(socket);
        try
        {
            ServerVersion = NegotiateVersion();
            ReadDeviceInfo();
            interrupts = new InterruptHandlers(irqCounts, "vfio-user");
            bars = PciBarLayout.Read(i => regionSizes[i], off => ReadConfig(off, 4));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Connects to a device server listening at <paramref name="socketPath"/>.</summary>
    public static VfioUserClient Connect(string socketPath) => new(UnixSocket.Connect(socketPath));

    /// <summary>The server's version reply: "major.minor" and its capabilities JSON.</summary>
    public string ServerVersion { get; }

    /// <summary>Device flags from VFIO_USER_DEVICE_GET_INFO (VfioAbi.DeviceFlags*).</summary>
    public uint DeviceFlags { get; private set; }

    public IReadOnlyList<PciBarInfo> Bars => bars;

    public uint ReadConfig(int offset, int size) => (uint)ReadRegion(VfioAbi.RegionConfig, (ulong)offset, size);

    public void WriteConfig(int offset, int size, uint value) => WriteRegion(VfioAbi.RegionConfig, (ulong)offset, size, value);

    public ulong ReadBar(int bar, ulong offset, int size) => ReadRegion(CheckBar(bar), offset, size);

    /// <summary>
    /// A register write. To a memory BAR it is posted, as PCI memory writes are: sent without waiting
    /// for the device (the stream keeps it ordered before any later access, whose reply then also
    /// means the write is done). Port I/O writes wait, as PCI I/O writes are not posted.
    /// </summary>
    public void WriteBar(int bar, ulong offset, int size, ulong value)
    {
        CheckBar(bar);
        if (bars[bar].IsIo)
        {
            WriteRegion(bar, offset, size, value);
            return;
        }
        CheckSize(size);
        Span<byte> p = stackalloc byte[RegionAccessHeader + 8];
        WriteAccess(p, bar, offset, size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[RegionAccessHeader..], value);
        Post(VfioUserCommand.RegionWrite, p[..(RegionAccessHeader + size)]);
    }

    // Sends a command that asks for no reply (No_reply flag).
    private void Post(VfioUserCommand command, ReadOnlySpan<byte> payload)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            connection.Send(new VfioUserHeader(nextId++, (ushort)command, 0, VfioUserHeader.TypeCommand | VfioUserHeader.NoReply, 0), payload, default);
        }
    }

    public void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable)
    {
        Span<byte> p = stackalloc byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(p, 32);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], VfioAbi.DmaFlagRead | (writable ? VfioAbi.DmaFlagWrite : 0));
        BinaryPrimitives.WriteInt64LittleEndian(p[8..], fileOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], iova);
        BinaryPrimitives.WriteUInt64LittleEndian(p[24..], size);
        Transact(VfioUserCommand.DmaMap, p, [fd], default);
    }

    public void UnmapDma(ulong iova, ulong size)
    {
        Span<byte> p = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(p, 24);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], iova);
        BinaryPrimitives.WriteUInt64LittleEndian(p[16..], size);
        Transact(VfioUserCommand.DmaUnmap, p, default, stackalloc byte[24]);
    }

    public int IrqCount(PciIrqKind kind) => interrupts.Count(kind);

    public void SetIrqHandler(PciIrqKind kind, int vector, Action? handler) =>
        interrupts.Set(kind, vector, handler, (index, v, trigger) =>
            SetIrqs(VfioAbi.IrqSetDataEventFd | VfioAbi.IrqSetActionTrigger, index, v, 1,
                trigger is null ? default : [trigger.Handle]));

    /// <summary>Unmasks INTx after its handler ran; posted (nothing the host does next depends on its completion).</summary>
    public void UnmaskIntx()
    {
        Span<byte> p = stackalloc byte[20];
        IrqSetPayload(p, VfioAbi.IrqSetDataNone | VfioAbi.IrqSetActionUnmask, VfioAbi.IrqIntx, 0, 1);
        Post(VfioUserCommand.DeviceSetIrqs, p);
    }

    public void Reset() => Transact(VfioUserCommand.DeviceReset, default, default, default);

    /// <summary>Reads <paramref name="size"/> (1–8) bytes of any region, little-endian.</summary>
    public ulong ReadRegion(int region, ulong offset, int size)
    {
        CheckSize(size);
        Span<byte> p = stackalloc byte[RegionAccessHeader];
        WriteAccess(p, region, offset, size);
        Span<byte> reply = stackalloc byte[RegionAccessHeader + 8];
        int n = Transact(VfioUserCommand.RegionRead, p, default, reply);
        if (n < RegionAccessHeader + size)
            throw new InvalidDataException($"vfio-user region read reply of {n} bytes for {size}");
        Span<byte> value = stackalloc byte[8];
        value.Clear();
        reply.Slice(RegionAccessHeader, size).CopyTo(value);
        return BinaryPrimitives.ReadUInt64LittleEndian(value);
    }

    /// <summary>Writes <paramref name="size"/> (1–8) bytes of any region, little-endian.</summary>
    public void WriteRegion(int region, ulong offset, int size, ulong value)
    {
        CheckSize(size);
        Span<byte> p = stackalloc byte[RegionAccessHeader + 8];
        WriteAccess(p, region, offset, size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[RegionAccessHeader..], value);
        Transact(VfioUserCommand.RegionWrite, p[..(RegionAccessHeader + size)], default, stackalloc byte[RegionAccessHeader]);
    }

    /// <summary>
    /// Sends one command and waits for its reply; copies the reply payload into <paramref name="reply"/>
    /// (as much as fits) and returns the payload's length. An error reply throws <see cref="VfioUserException"/>.
    /// </summary>
    public int Transact(VfioUserCommand command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, Span<byte> reply)
    {
        lock (sync)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            ushort id = nextId++;
            connection.Send(new VfioUserHeader(id, (ushort)command, 0, VfioUserHeader.TypeCommand, 0), payload, fds);
            while (true)
            {
                var m = connection.Receive() ?? throw new EndOfStreamException("vfio-user server closed the connection");
                foreach (int fd in m.Fds)
                    Interop.Libc.Close(fd);
                var h = m.Header;
                if (!h.IsReply || h.MessageId != id || h.Command != (ushort)command)
                {
                    if (h.IsCommand)
                        continue; // server-to-client commands (DMA_READ/WRITE) are not negotiated; ignore
                    throw new InvalidDataException($"vfio-user reply {h.MessageId}/{h.Command} does not answer {id}/{command}");
                }
                if (h.IsError)
                    throw new VfioUserException(command, h.Error == 0 ? Interop.Libc.EIO : (int)h.Error);
                int n = Math.Min(m.Payload.Length, reply.Length);
                m.Payload.Span[..n].CopyTo(reply);
                return m.Payload.Length;
            }
        }
    }

    private void SetIrqs(uint flags, int index, int start, int count, ReadOnlySpan<int> fds)
    {
        Span<byte> p = stackalloc byte[20];
        IrqSetPayload(p, flags, index, start, count);
        Transact(VfioUserCommand.DeviceSetIrqs, p, fds, default);
    }

    private static void IrqSetPayload(Span<byte> p, uint flags, int index, int start, int count)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p, 20);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], flags);
        BinaryPrimitives.WriteInt32LittleEndian(p[8..], index);
        BinaryPrimitives.WriteInt32LittleEndian(p[12..], start);
        BinaryPrimitives.WriteInt32LittleEndian(p[16..], count);
    }

    private string NegotiateVersion()
    {
        byte[] caps = Encoding.UTF8.GetBytes(
            $"{{\"capabilities\":{{\"max_msg_fds\":{UnixSocket.MaxFdsPerMessage},\"max_data_xfer_size\":{VfioUserConnection.DefaultMaxDataTransfer}}}}}\0");
        var p = new byte[4 + caps.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(p, VfioUserCapabilities.Major);
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(2), VfioUserCapabilities.Minor);
        caps.CopyTo(p, 4);
        var reply = new byte[4096];
        int n = Transact(VfioUserCommand.Version, p, default, reply);
        if (n < 4)
            throw new InvalidDataException("vfio-user version reply too short");
        ushort major = BinaryPrimitives.ReadUInt16LittleEndian(reply);
        ushort minor = BinaryPrimitives.ReadUInt16LittleEndian(reply.AsSpan(2));
        if (major != VfioUserCapabilities.Major || minor > VfioUserCapabilities.Minor)
            throw new InvalidDataException($"vfio-user server replied version {major}.{minor} to {VfioUserCapabilities.Major}.{VfioUserCapabilities.Minor}");
        return $"{major}.{minor} {Encoding.UTF8.GetString(reply, 4, Math.Min(n, reply.Length) - 4).TrimEnd('\0')}";
    }

    private void ReadDeviceInfo()
    {
        Span<byte> p = stackalloc byte[16];
        p.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(p, 16);
        Span<byte> r = stackalloc byte[16];
        if (Transact(VfioUserCommand.DeviceGetInfo, p, default, r) < 16)
            throw new InvalidDataException("vfio-user device info reply too short");
        DeviceFlags = BinaryPrimitives.ReadUInt32LittleEndian(r[4..]);
        if ((DeviceFlags & VfioAbi.DeviceFlagsPci) == 0)
            throw new InvalidDataException("vfio-user device is not a PCI device");
        int regions = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(r[8..]), VfioAbi.PciRegionCount);
        int irqs = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(r[12..]), VfioAbi.PciIrqCount);

        Span<byte> q = stackalloc byte[32];
        Span<byte> qr = stackalloc byte[32];
        for (int i = 0; i < regions; i++)
        {
            q.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(q, 32);
            BinaryPrimitives.WriteInt32LittleEndian(q[8..], i);
            if (Transact(VfioUserCommand.DeviceGetRegionInfo, q, default, qr) < 32)
                throw new InvalidDataException("vfio-user region info reply too short");
            regionFlags[i] = BinaryPrimitives.ReadUInt32LittleEndian(qr[4..]);
            regionSizes[i] = BinaryPrimitives.ReadUInt64LittleEndian(qr[16..]);
        }
        for (int i = 0; i < irqs; i++)
        {
            q.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(q, 16);
            BinaryPrimitives.WriteInt32LittleEndian(q[8..], i);
            if (Transact(VfioUserCommand.DeviceGetIrqInfo, q[..16], default, qr) < 16)
                throw new InvalidDataException("vfio-user irq info reply too short");
            irqCounts[i] = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(qr[12..]), 2048);
        }
    }

    private int CheckBar(int bar)
    {
        if (bar is < 0 or > 5 || bars[bar].Size == 0)
            throw new ArgumentOutOfRangeException(nameof(bar), $"BAR {bar} is not implemented");
        return bar;
    }

    private static void CheckSize(int size)
    {
        if (size is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(size), "access size must be 1, 2, 4 or 8");
    }

    private static void WriteAccess(Span<byte> p, int region, ulong offset, int size)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(p, offset);
        BinaryPrimitives.WriteInt32LittleEndian(p[8..], region);
        BinaryPrimitives.WriteInt32LittleEndian(p[12..], size);
    }

    public void Dispose()
    {
        interrupts.Dispose();
        lock (sync)
        {
            disposed = true;
            connection.Dispose();
        }
    }
}
