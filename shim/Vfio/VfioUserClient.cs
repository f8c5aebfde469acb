// SPDX-License-Identifier: MIT
// Managed side. The driver host's end of vfio-user (libvfio-user docs/vfio-user.rst 0.9.x, protocol
// 0.1): a PCI function whose registers, DMA windows and interrupts live in a device server process.
// One request/reply message per register access; DMA memory is shared by passing the host's memfd
// (SCM_RIGHTS), interrupts arrive on eventfds. The server is not trusted to behave: every reply is
// checked against its request, every request has a deadline, and a server that breaks the protocol
// or does not answer in time leaves the function dead (every later call throws at once). The server's
// own commands (DMA_READ, DMA_WRITE) are answered while a request waits for its reply; one sent
// while the client is idle waits for the client's next request (this client has no reader thread).
using System.Buffers.Binary;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Pci;
using LinuxShim.VfioUser;

namespace LinuxShim.Shim.Vfio;

public sealed unsafe class VfioUserClient : IPciFunction
{
    /// <summary>The protocol version this client proposes: major 0, minor 1.</summary>
    public const ushort Major = VfioUserCapabilities.Major, Minor = VfioUserCapabilities.Minor;

    /// <summary>How long a request waits for its reply unless told otherwise.</summary>
    public static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(5);

    private const int RegionAccessHeader = 16, DmaAccessHeader = 16, ETIMEDOUT = 110;

    // What this client takes from the server in one message: a DMA_WRITE of the specification's
    // default max_data_xfer_size (which this client announces), or a version reply of that size.
    private const int MaxDataTransfer = VfioUserConnection.DefaultMaxDataTransfer;
    private const int MaxIncoming = VfioUserHeader.Size + DmaAccessHeader + MaxDataTransfer;

    private readonly object sync = new();
    private readonly UnixSocket socket;
    private readonly VfioUserClientChannel channel;
    private readonly int timeoutMs;
    private readonly ulong[] regionSizes = new ulong[VfioAbi.PciRegionCount];
    private readonly uint[] regionFlags = new uint[VfioAbi.PciRegionCount];
    private readonly int[] irqCounts = new int[VfioAbi.PciIrqCount];
    private readonly List<DmaWindow> windows = [];
    private readonly InterruptHandlers interrupts;
    private readonly PciBarInfo[] bars;
    private readonly MappedAccess mapped = new();
    private readonly uint[] regionInfoSizes = new uint[VfioAbi.PciRegionCount];
    private byte[] dmaReply = [];
    private ushort nextId;
    private long serverCommands;
    private string? failure;
    private volatile bool disposed;

    private readonly record struct DmaWindow(ulong Iova, ulong Size, nint Host, bool Writable);

    /// <summary>Negotiates the protocol version on a connected socket and reads the device's description.</summary>
    /// <param name="socket">The connection; the client owns it from now on.</param>
    /// <param name="replyTimeout">How long each request may wait for its reply (default 5 s).</param>
    public VfioUserClient(UnixSocket socket, TimeSpan? replyTimeout = null)
    {
        this.socket = socket;
        ReplyTimeout = replyTimeout ?? DefaultReplyTimeout;
        if (ReplyTimeout <= TimeSpan.Zero || ReplyTimeout.TotalMilliseconds > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(replyTimeout), "the reply timeout must be positive");
        timeoutMs = (int)Math.Ceiling(ReplyTimeout.TotalMilliseconds);
        channel = new VfioUserClientChannel(socket, MaxIncoming);
        try
        {
            ServerVersion = NegotiateVersion();
            ReadDeviceInfo();
            interrupts = new InterruptHandlers(irqCounts, "vfio-user");
            // A platform device (vfio-platform's model) has no configuration space: its regions are its MMIO
            // ranges by index, taken as BARs of that number, and its IRQ index 0 is its first line (level, masked
            // when it fires until unmasked, as INTx).
            bars = IsPlatformDevice
                ? [.. Enumerable.Range(0, 6).Select(i => new PciBarInfo(i, regionSizes[i], false, false))]
                : PciBarLayout.Read(i => regionSizes[i], off => ReadConfig(off, 4));
            SetUpMappedAccess();
        }
        catch
        {
            mapped.Dispose();
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Registers reached without a message: mapped pages and doorbells the server offered (and what was not taken).</summary>
    public (int Areas, int Doorbells, IReadOnlyList<string> Notes) Mapped => (mapped.AreaCount, mapped.DoorbellCount, mapped.Notes);

    /// <summary>One line on <see cref="Mapped"/> for the host's log, or null when the server offered nothing.</summary>
    public string? MappedSummary => mapped.AreaCount + mapped.DoorbellCount + mapped.Notes.Count == 0
        ? null
        : $"vfio-user: {mapped.DoorbellCount} doorbells, {mapped.AreaCount} mapped areas{string.Concat(mapped.Notes.Select(n => $"; not used: {n}"))}";

    // For each BAR: the pages the server lets this client map (sparse mmap capability) and its doorbells
    // (DEVICE_GET_REGION_IO_FDS). A server that knows neither (an error reply) leaves every register to messages.
    private void SetUpMappedAccess()
    {
        for (int bar = 0; bar < VfioAbi.RegionRom; bar++)
        {
            if (bars[bar].Size == 0)
                continue;
            // Mappable: asked again with the size the whole description needs, which brings the descriptor (and the
            // sparse mmap capability; libvfio-user sets the CAPS flag only in the reply that carries it).
            if ((regionFlags[bar] & VfioAbi.RegionInfoFlagMmap) != 0 && regionInfoSizes[bar] <= VfioUserRegionInfo.FixedSize + VfioUserRegionInfo.MaxTail)
            {
                var q = new byte[VfioUserRegionInfo.FixedSize];
                new VfioUserRegionInfo(Math.Max(regionInfoSizes[bar], VfioUserRegionInfo.FixedSize), 0, (uint)bar, 0, 0, 0).Encode(q);
                var fds = new List<int>();
                lock (sync)
                {
                    try
                    {
                        var info = Exchange(VfioUserCommand.DeviceGetRegionInfo, q, default, -1, 0, fds).Span;
                        mapped.AddAreas(bar, bars[bar].Size, info, fds);
                    }
                    catch (VfioUserException)
                    {
                        // the region stays reachable by messages
                    }
                    finally
                    {
                        VfioUserConnection.CloseFds(fds);
                    }
                }
            }
            QueryDoorbells(bar);
        }
    }

    private void QueryDoorbells(int bar)
    {
        Span<byte> q = stackalloc byte[VfioUserRegionIoFds.FixedSize];
        var fds = new List<int>();
        lock (sync)
        {
            try
            {
                new VfioUserRegionIoFds(VfioUserRegionIoFds.FixedSize, 0, (uint)bar, 0).Encode(q);
                var first = Exchange(VfioUserCommand.DeviceGetRegionIoFds, q, default, -1, 0, fds).Span;
                if (!VfioUserRegionIoFds.TryDecode(first, fds.Count, out var r, out _, out _) || r.Count == 0
                    || r.Argsz > VfioUserRegionIoFds.FixedSize + VfioUserRegionIoFds.MaxTail)
                    return;
                VfioUserConnection.CloseFds(fds);
                new VfioUserRegionIoFds(r.Argsz, 0, (uint)bar, 0).Encode(q);
                var reply = Exchange(VfioUserCommand.DeviceGetRegionIoFds, q, default, -1, 0, fds).Span;
                mapped.AddDoorbells(bar, bars[bar].Size, reply, fds);
            }
            catch (VfioUserException)
            {
                // no doorbells: every write is a message
            }
            finally
            {
                VfioUserConnection.CloseFds(fds);
            }
        }
    }

    /// <summary>Connects to a device server listening at <paramref name="socketPath"/>.</summary>
    public static VfioUserClient Connect(string socketPath, TimeSpan? replyTimeout = null) =>
        new(UnixSocket.Connect(socketPath), replyTimeout);

    /// <summary>The server's version reply: "major.minor" and its capabilities JSON.</summary>
    public string ServerVersion { get; }

    /// <summary>What the server said it takes (or the specification's defaults).</summary>
    public VfioUserCapabilities ServerCapabilities { get; private set; } = VfioUserCapabilities.Defaults;

    /// <summary>How long each request waits for its reply.</summary>
    public TimeSpan ReplyTimeout { get; }

    /// <summary>
    /// Told when a request starts waiting for the server (true: sent, its reply awaited) and when the wait ends
    /// (false), on the requesting thread: the driver host's hang accounting, which does not blame a driver for
    /// the time its device took to answer.
    /// </summary>
    public Action<bool>? Waiting { get; set; }

    /// <summary>Why the function is dead (the server broke the protocol, closed or did not answer), or null.</summary>
    public string? Failure => Volatile.Read(ref failure);

    /// <summary>Commands the server sent this client (DMA_READ, DMA_WRITE and any it does not know).</summary>
    public long ServerCommands => Interlocked.Read(ref serverCommands);

    /// <summary>Device flags from VFIO_USER_DEVICE_GET_INFO (VfioAbi.DeviceFlags*).</summary>
    public uint DeviceFlags { get; private set; }

    public IReadOnlyList<PciBarInfo> Bars => bars;

    /// <summary>The server serves a platform device (VFIO_DEVICE_FLAGS_PLATFORM), not a PCI function.</summary>
    public bool IsPlatformDevice => (DeviceFlags & VfioAbi.DeviceFlagsPlatform) != 0;

    public uint ReadConfig(int offset, int size) => IsPlatformDevice
        ? throw new NotSupportedException("a platform device has no PCI configuration space")
        : (uint)ReadRegion(VfioAbi.RegionConfig, (ulong)offset, size);

    public void WriteConfig(int offset, int size, uint value) => WriteRegion(VfioAbi.RegionConfig, (ulong)offset, size, value);

    public ulong ReadBar(int bar, ulong offset, int size)
    {
        CheckBar(bar);
        if (mapped.Any && mapped.TryRead(bar, offset, size, out ulong value))
            return value;
        return ReadRegion(bar, offset, size);
    }

    /// <summary>
    /// A register write. To a memory BAR it is posted, as PCI memory writes are: sent without waiting
    /// for the device (the stream keeps it ordered before any later access, whose reply then also
    /// means the write is done). Port I/O writes wait, as PCI I/O writes are not posted, and so does
    /// every write to a synchronous model (VfioUserCapabilities.SynchronousModel).
    /// </summary>
    public void WriteBar(int bar, ulong offset, int size, ulong value)
    {
        CheckBar(bar);
        if (mapped.Any)
        {
            // A doorbell or a mapped register: no message. Under the lock, so that it follows every message sent before it.
            lock (sync)
            {
                ThrowIfUnusable(VfioUserCommand.RegionWrite);
                if (mapped.TryWrite(bar, offset, size, value))
                    return;
            }
        }
        if (bars[bar].IsIo || ServerCapabilities.SynchronousModel)
        {
            WriteRegion(bar, offset, size, value);
            return;
        }
        CheckAccess(VfioUserCommand.RegionWrite, size);
        Span<byte> p = stackalloc byte[RegionAccessHeader + 8];
        EncodeRegionAccess(p, bar, offset, size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[RegionAccessHeader..], value);
        Post(VfioUserCommand.RegionWrite, p[..(RegionAccessHeader + size)]);
    }

    /// <summary>
    /// <c>rep ins</c> on a register: with a server that has linuxshim_repeated_access, one REGION_READ_REPEAT per
    /// max_data_xfer_size bytes (the server makes the reads in order); else one REGION_READ per access.
    /// </summary>
    public void ReadBarRepeated(int bar, ulong offset, int width, Span<byte> data)
    {
        CheckBar(bar);
        int chunk = RepeatChunk(VfioUserCommand.RegionReadRepeat, width, data.Length);
        if (chunk == 0)
        {
            PciStringAccess.ReadEach(this, bar, offset, width, data);
            return;
        }
        Span<byte> p = stackalloc byte[VfioUserRegionRepeat.FixedSize];
        for (int done = 0; done < data.Length; done += chunk)
        {
            int n = Math.Min(chunk, data.Length - done);
            new VfioUserRegionRepeat(offset, (ushort)bar, (ushort)width, (uint)n).Encode(p);
            lock (sync)
            {
                var r = Exchange(VfioUserCommand.RegionReadRepeat, p, default, VfioUserRegionRepeatData.FixedSize + n, VfioUserRegionRepeat.FixedSize).Span;
                r[VfioUserRegionRepeatData.FixedSize..].CopyTo(data[done..]);
            }
        }
    }

    /// <summary><c>rep outs</c> on a register: REGION_WRITE_REPEAT, each awaited as a port write is; else one REGION_WRITE per access.</summary>
    public void WriteBarRepeated(int bar, ulong offset, int width, ReadOnlySpan<byte> data)
    {
        CheckBar(bar);
        int chunk = RepeatChunk(VfioUserCommand.RegionWriteRepeat, width, data.Length);
        if (chunk == 0)
        {
            PciStringAccess.WriteEach(this, bar, offset, width, data);
            return;
        }
        var p = new byte[VfioUserRegionRepeatData.FixedSize + Math.Min(chunk, data.Length)];
        for (int done = 0; done < data.Length; done += chunk)
        {
            int n = Math.Min(chunk, data.Length - done);
            int length = new VfioUserRegionRepeatData(offset, (ushort)bar, (ushort)width, (uint)n).Encode(p, data.Slice(done, n));
            lock (sync)
                Exchange(VfioUserCommand.RegionWriteRepeat, p.AsSpan(0, length), default, VfioUserRegionRepeat.FixedSize, VfioUserRegionRepeat.FixedSize);
        }
    }

    // Bytes per repeated-access message (a whole number of accesses, within both sides' max_data_xfer_size),
    // or 0 when the server lacks the extension or there is no more than one access to make.
    private int RepeatChunk(VfioUserCommand command, int width, int length)
    {
        CheckAccess(command, width);
        if (length % width != 0)
            throw new ArgumentException($"{length} bytes are not a whole number of {width}-byte accesses", nameof(length));
        if (!ServerCapabilities.RepeatedAccess || length <= width)
            return 0;
        int most = Math.Min(ServerCapabilities.MaxDataXferSize, MaxDataTransfer);
        return Math.Max(width, most / width * width);
    }

    /// <summary>Reads <paramref name="size"/> (1–8) bytes of any region, little-endian.</summary>
    public ulong ReadRegion(int region, ulong offset, int size)
    {
        CheckAccess(VfioUserCommand.RegionRead, size);
        Span<byte> p = stackalloc byte[RegionAccessHeader];
        EncodeRegionAccess(p, region, offset, size);
        lock (sync)
            return DecodeRegionRead(Exchange(VfioUserCommand.RegionRead, p, default, RegionAccessHeader + size, RegionAccessHeader).Span);
    }

    /// <summary>Writes <paramref name="size"/> (1–8) bytes of any region, little-endian.</summary>
    public void WriteRegion(int region, ulong offset, int size, ulong value)
    {
        CheckAccess(VfioUserCommand.RegionWrite, size);
        Span<byte> p = stackalloc byte[RegionAccessHeader + 8];
        EncodeRegionAccess(p, region, offset, size);
        BinaryPrimitives.WriteUInt64LittleEndian(p[RegionAccessHeader..], value);
        lock (sync)
            Exchange(VfioUserCommand.RegionWrite, p[..(RegionAccessHeader + size)], default, RegionAccessHeader, RegionAccessHeader);
    }

    public void MapDma(ulong iova, ulong size, int fd, long fileOffset, nint hostAddress, bool writable)
    {
        Span<byte> p = stackalloc byte[32];
        EncodeDmaMap(p, iova, size, fileOffset, writable);
        lock (sync)
        {
            var caps = ServerCapabilities;
            ulong page = caps.SmallestPage;
            if (iova % page != 0 || size % page != 0 || (ulong)fileOffset % page != 0 || size == 0)
                throw new IOException($"vfio-user DmaMap: window 0x{iova:x}+0x{size:x} (file offset 0x{fileOffset:x}) is not aligned to the server's smallest page size, {page} bytes");
            if (windows.Count >= caps.MaxDmaMaps)
                throw new IOException($"vfio-user DmaMap: the server takes at most {caps.MaxDmaMaps} DMA windows");
            Exchange(VfioUserCommand.DmaMap, p, [fd], 0, 0);
            windows.Add(new DmaWindow(iova, size, hostAddress, writable));
        }
    }

    public void UnmapDma(ulong iova, ulong size)
    {
        Span<byte> p = stackalloc byte[24];
        EncodeDmaUnmap(p, iova, size);
        lock (sync)
        {
            // The server answers with the request's own entry (specification, VFIO_USER_DMA_UNMAP).
            Exchange(VfioUserCommand.DmaUnmap, p, default, 24, 24);
            windows.RemoveAll(w => w.Iova == iova && w.Size == size);
        }
    }

    /// <summary>
    /// Returns once the device has finished the DMA it started before the call: for a synchronous model, a
    /// configuration read, which the model's server answers only between two of its own actions; for any
    /// other device nothing, as PCI orders a device's writes to memory (its status words land last).
    /// </summary>
    public void CompleteDma()
    {
        if (ServerCapabilities.SynchronousModel)
            ReadConfig(0, 2);
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
        EncodeIrqSet(p, VfioAbi.IrqSetDataNone | VfioAbi.IrqSetActionUnmask, VfioAbi.IrqIntx, 0, 1);
        Post(VfioUserCommand.DeviceSetIrqs, p);
    }

    public void Reset()
    {
        lock (sync)
            Exchange(VfioUserCommand.DeviceReset, default, default, 0, 0);
    }

    /// <summary>
    /// Sends one command and waits for its reply; copies the reply payload into <paramref name="reply"/>
    /// (as much as fits) and returns the payload's length, which the caller checks. An error reply
    /// throws <see cref="VfioUserException"/>.
    /// </summary>
    public int Transact(VfioUserCommand command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, Span<byte> reply)
    {
        lock (sync)
        {
            var r = Exchange(command, payload, fds, -1, 0).Span;
            r[..Math.Min(r.Length, reply.Length)].CopyTo(reply);
            return r.Length;
        }
    }

    // ---- the exchange: send, wait, check; serve the server's own commands meanwhile ----

    // Sends a command that asks for no reply (No_reply flag).
    private void Post(VfioUserCommand command, ReadOnlySpan<byte> payload)
    {
        lock (sync)
        {
            ThrowIfUnusable(command);
            try
            {
                channel.Send(Header(nextId++, command, noReply: true), payload, default, Deadline());
            }
            catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
            {
                throw Die(command, e);
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="command"/> and returns its reply's payload (valid until the next exchange;
    /// the caller holds <see cref="sync"/>). The reply must be exactly <paramref name="replyLength"/>
    /// bytes (-1: any) and start with the request's first <paramref name="echo"/> bytes. A well-formed
    /// error reply throws <see cref="VfioUserException"/> and leaves the function alive; anything else
    /// wrong kills it.
    /// </summary>
    private ReadOnlyMemory<byte> Exchange(VfioUserCommand command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, int replyLength, int echo,
        List<int>? replyFds = null)
    {
        ThrowIfUnusable(command);
        if (fds.Length > ServerCapabilities.MaxMsgFds || fds.Length > UnixSocket.MaxFdsPerMessage)
            throw new IOException($"vfio-user {command}: needs {fds.Length} descriptors in one message; the server takes at most {ServerCapabilities.MaxMsgFds}");
        uint errno;
        ReadOnlyMemory<byte> reply;
        var waiting = Waiting;
        waiting?.Invoke(true);
        try
        {
            long deadline = Deadline();
            ushort id = nextId++;
            long served = 0;
            channel.Send(Header(id, command), payload, fds, deadline);
            while (true)
            {
                VfioUserFrame m;
                try
                {
                    m = channel.Receive(deadline, replyFds);
                }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"no reply within {timeoutMs} ms ({e.Message}{(served > 0 ? $"; {served} server commands answered meanwhile" : "")})");
                }
                var h = m.Header;
                if (m.Descriptors > 0 && (replyFds is null || !h.IsReply || h.IsError))
                    throw new InvalidDataException($"message {h.MessageId}/{h.Command} from the server carries {m.Descriptors} descriptors; none was asked for");
                if (h.IsCommand)
                {
                    // Server-to-client commands may come between a request and its reply (specification, "Command Concurrency").
                    Serve(h, m.Payload.Span, deadline);
                    served++;
                    continue;
                }
                if (!h.IsReply)
                    throw new InvalidDataException($"message {h.MessageId}/{h.Command} from the server has type {h.Flags & VfioUserHeader.TypeMask}, neither command nor reply");
                if (h.MessageId != id || h.Command != (ushort)command)
                    throw new InvalidDataException($"reply {h.MessageId}/{Name(h.Command)} does not answer request {id}/{command}");
                if (h.IsError)
                {
                    if (m.Payload.Length != 0)
                        throw new InvalidDataException($"error reply carries {m.Payload.Length} bytes; an error reply is the header alone");
                    errno = h.Error == 0 ? (uint)Errno.EIO.Value : h.Error;
                    reply = default;
                    break;
                }
                CheckReply(m.Payload.Span, payload, replyLength, echo);
                errno = 0;
                reply = m.Payload;
                break;
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
        {
            throw Die(command, e);
        }
        finally
        {
            waiting?.Invoke(false);
        }
        if (errno != 0)
            throw new VfioUserException(command, (int)Math.Min(errno, int.MaxValue));
        return reply;
    }

    private static void CheckReply(ReadOnlySpan<byte> reply, ReadOnlySpan<byte> request, int replyLength, int echo)
    {
        if (replyLength >= 0 && reply.Length != replyLength)
            throw new InvalidDataException($"reply carries {reply.Length} bytes, not {replyLength}");
        if (echo > 0 && !reply[..echo].SequenceEqual(request[..echo]))
            throw new InvalidDataException($"reply does not repeat the request's first {echo} bytes: {Convert.ToHexString(reply[..echo])} for {Convert.ToHexString(request[..echo])}");
    }

    // Answers one server-to-client command: DMA_READ and DMA_WRITE on the windows this client mapped;
    // ENOSYS for anything else. A command marked No_reply is executed and not answered.
    private void Serve(VfioUserHeader h, ReadOnlySpan<byte> p, long deadline)
    {
        Interlocked.Increment(ref serverCommands);
        int length = 0;
        int errno = (VfioUserCommand)h.Command switch
        {
            VfioUserCommand.DmaRead => ServeDmaRead(p, out length),
            VfioUserCommand.DmaWrite => ServeDmaWrite(p, out length),
            _ => Errno.ENOSYS,
        };
        if (h.WantsNoReply)
            return;
        uint flags = VfioUserHeader.TypeReply | (errno != 0 ? VfioUserHeader.ErrorFlag : 0);
        channel.Send(new VfioUserHeader(h.MessageId, h.Command, 0, flags, (uint)errno),
            errno == 0 ? dmaReply.AsSpan(0, length) : default, default, deadline);
    }

    private int ServeDmaRead(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (!DecodeDmaAccess(p, exactly: true, out ulong address, out ulong count))
            return Errno.EINVAL;
        int errno = FindWindow(address, count, write: false, out var data);
        if (errno != 0)
            return errno;
        length = DmaAccessHeader + (int)count;
        if (dmaReply.Length < length)
            dmaReply = new byte[Math.Max(length, 4096)];
        EncodeDmaAccess(dmaReply, address, count);
        data.CopyTo(dmaReply.AsSpan(DmaAccessHeader));
        return 0;
    }

    private int ServeDmaWrite(ReadOnlySpan<byte> p, out int length)
    {
        length = 0;
        if (!DecodeDmaAccess(p, exactly: false, out ulong address, out ulong count))
            return Errno.EINVAL;
        int errno = FindWindow(address, count, write: true, out var data);
        if (errno != 0)
            return errno;
        p[DmaAccessHeader..].CopyTo(data);
        if (dmaReply.Length < DmaAccessHeader)
            dmaReply = new byte[4096];
        EncodeDmaAccess(dmaReply, address, count);
        length = DmaAccessHeader;
        return 0;
    }

    // The host memory behind [address, address + count) when it lies in one mapped window.
    private int FindWindow(ulong address, ulong count, bool write, out Span<byte> data)
    {
        data = default;
        if (count == 0 || count > MaxDataTransfer)
            return Errno.EINVAL;
        foreach (var w in windows)
        {
            if (address < w.Iova || address - w.Iova >= w.Size || count > w.Size - (address - w.Iova))
                continue;
            if (write && !w.Writable)
                return Errno.EPERM;
            data = new Span<byte>((byte*)w.Host + (long)(address - w.Iova), (int)count);
            return 0;
        }
        return Errno.EFAULT;
    }

    private long Deadline() => Environment.TickCount64 + timeoutMs;

    private static VfioUserHeader Header(ushort id, VfioUserCommand command, bool noReply = false) =>
        VfioUserHeader.NewCommand(id, command, noReply);

    private void ThrowIfUnusable(VfioUserCommand command)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (Failure is { } why)
            throw new IOException($"vfio-user {command}: the device failed earlier ({why}); nothing more is sent to it");
    }

    // Declares the function dead and returns the exception to throw, naming the command.
    private Exception Die(VfioUserCommand command, Exception e)
    {
        string what = disposed ? "the client was closed" : e.Message;
        Interlocked.CompareExchange(ref failure, $"{command}: {what}", null);
        socket.Shutdown(); // the server learns it lost this client; nothing more goes out
        return e switch
        {
            TimeoutException => new VfioUserException(command, ETIMEDOUT),
            InvalidDataException => new InvalidDataException($"vfio-user {command}: {what}", e),
            EndOfStreamException => new EndOfStreamException($"vfio-user {command}: {what}", e),
            _ => new IOException($"vfio-user {command}: {what}", e),
        };
    }

    private static string Name(ushort command) =>
        Enum.IsDefined((VfioUserCommand)command) ? ((VfioUserCommand)command).ToString() : command.ToString();

    // ---- setup ----

    private void SetIrqs(uint flags, int index, int start, int count, ReadOnlySpan<int> fds)
    {
        Span<byte> p = stackalloc byte[20];
        EncodeIrqSet(p, flags, index, start, count);
        lock (sync)
            Exchange(VfioUserCommand.DeviceSetIrqs, p, fds, 0, 0);
    }

    private string NegotiateVersion()
    {
        byte[] caps = VfioUserCapabilities.ClientProposal(UnixSocket.MaxFdsPerMessage, MaxDataTransfer);
        var p = new byte[VfioUserVersion.FixedSize + caps.Length];
        new VfioUserVersion(Major, Minor).Encode(p, caps);
        lock (sync)
        {
            var reply = Exchange(VfioUserCommand.Version, p, default, -1, 0).Span;
            try
            {
                var (major, minor) = DecodeVersion(reply);
                var json = reply[4..];
                ServerCapabilities = VfioUserCapabilities.Parse(json);
                return $"{major}.{minor} {Encoding.UTF8.GetString(json.IsEmpty ? json : json[..^1])}";
            }
            catch (InvalidDataException e)
            {
                throw Die(VfioUserCommand.Version, e);
            }
        }
    }

    private void ReadDeviceInfo()
    {
        Span<byte> q = stackalloc byte[32];
        lock (sync)
        {
            try
            {
                new VfioUserDeviceInfo(VfioUserDeviceInfo.FixedSize, 0, 0, 0).Encode(q);
                (DeviceFlags, int regions, int irqs) = DecodeDeviceInfo(Exchange(VfioUserCommand.DeviceGetInfo, q[..16], default, 16, 0).Span);
                var fds = new List<int>();
                for (int i = 0; i < regions; i++)
                {
                    // A mappable region's descriptor may come with this first reply already (the specification sends
                    // one whenever the MMAP flag is set); it is taken with the second, full one (SetUpMappedAccess).
                    new VfioUserRegionInfo(VfioUserRegionInfo.FixedSize, 0, (uint)i, 0, 0, 0).Encode(q);
                    try
                    {
                        (regionFlags[i], regionSizes[i], regionInfoSizes[i]) = DecodeRegionInfo(Exchange(VfioUserCommand.DeviceGetRegionInfo, q, default, 32, 0, fds).Span, i);
                    }
                    finally
                    {
                        VfioUserConnection.CloseFds(fds);
                    }
                }
                for (int i = 0; i < irqs; i++)
                {
                    new VfioUserIrqInfo(VfioUserIrqInfo.FixedSize, 0, (uint)i, 0).Encode(q);
                    irqCounts[i] = DecodeIrqInfo(Exchange(VfioUserCommand.DeviceGetIrqInfo, q[..16], default, 16, 0).Span, i);
                }
            }
            catch (InvalidDataException e) when (Failure is null)
            {
                throw Die(VfioUserCommand.DeviceGetInfo, e);
            }
        }
    }

    private int CheckBar(int bar)
    {
        if (bar is < 0 or > 5 || bars[bar].Size == 0)
            throw new ArgumentOutOfRangeException(nameof(bar), $"BAR {bar} is not implemented");
        return bar;
    }

    // Accesses are 1, 2, 4 or 8 bytes, and never more than the server takes in one message.
    private void CheckAccess(VfioUserCommand command, int size)
    {
        if (size is not (1 or 2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(size), "access size must be 1, 2, 4 or 8");
        if (size > ServerCapabilities.MaxDataXferSize)
            throw new IOException($"vfio-user {command}: a {size}-byte access exceeds the server's max_data_xfer_size of {ServerCapabilities.MaxDataXferSize}");
    }

    // ---- payload encoding and decoding: the structs generated from vfio-user.wire.json ----

    private static void EncodeRegionAccess(Span<byte> p, int region, ulong offset, int count) =>
        new VfioUserRegionAccess(offset, (uint)region, (uint)count).Encode(p);

    // {offset, region, count} (already checked to repeat the request's), then count bytes of data.
    private static ulong DecodeRegionRead(ReadOnlySpan<byte> reply)
    {
        if (!VfioUserRegionData.TryDecode(reply, 0, out _, out var data, out string? error))
            throw new InvalidDataException(error);
        Span<byte> value = stackalloc byte[8];
        value.Clear();
        data[..Math.Min(8, data.Length)].CopyTo(value);
        return BinaryPrimitives.ReadUInt64LittleEndian(value);
    }

    private static void EncodeDmaMap(Span<byte> p, ulong iova, ulong size, long fileOffset, bool writable) =>
        new VfioUserDmaMap(VfioUserDmaMap.FixedSize, VfioAbi.DmaFlagRead | (writable ? VfioAbi.DmaFlagWrite : 0), (ulong)fileOffset, iova, size).Encode(p);

    private static void EncodeDmaUnmap(Span<byte> p, ulong iova, ulong size) =>
        new VfioUserDmaUnmap(VfioUserDmaUnmap.FixedSize, 0, iova, size).Encode(p);

    // DMA_READ ({u64 address, u64 count}, exactly) and DMA_WRITE (the same, then count bytes).
    private static bool DecodeDmaAccess(ReadOnlySpan<byte> p, bool exactly, out ulong address, out ulong count)
    {
        address = count = 0;
        if (exactly)
        {
            if (!VfioUserDmaAccess.TryDecode(p, 0, out var a, out _))
                return false;
            (address, count) = (a.Address, a.Count);
            return true;
        }
        if (!VfioUserDmaData.TryDecode(p, 0, out var d, out _, out _))
            return false;
        (address, count) = (d.Address, d.Count);
        return true;
    }

    private static void EncodeDmaAccess(Span<byte> p, ulong address, ulong count) =>
        new VfioUserDmaAccess(address, count).Encode(p);

    private static void EncodeIrqSet(Span<byte> p, uint flags, int index, int start, int count) =>
        new VfioUserSetIrqs(VfioUserSetIrqs.FixedSize, flags, (uint)index, (uint)start, (uint)count).Encode(p);

    // {u16 major, u16 minor, version data}: the server must answer our major with a minor no higher than ours.
    private static (ushort Major, ushort Minor) DecodeVersion(ReadOnlySpan<byte> reply)
    {
        if (!VfioUserVersion.TryDecode(reply, 0, out var v, out _, out string? error))
            throw new InvalidDataException(error);
        if (v.Major != Major || v.Minor > Minor)
            throw new InvalidDataException($"the server answered protocol version {v.Major}.{v.Minor} to {Major}.{Minor}; this client speaks {Major}.0 to {Major}.{Minor}");
        return (v.Major, v.Minor);
    }

    // A PCI device (VFIO_DEVICE_FLAGS_PCI) or a platform device (VFIO_DEVICE_FLAGS_PLATFORM, never both), at most
    // the regions and IRQ indexes of a PCI one (a platform device's first six regions and five lines are taken).
    private static (uint Flags, int Regions, int Irqs) DecodeDeviceInfo(ReadOnlySpan<byte> r)
    {
        if (!VfioUserDeviceInfo.TryDecode(r, 0, out var d, out string? error))
            throw new InvalidDataException(error);
        bool pci = (d.Flags & VfioAbi.DeviceFlagsPci) != 0, platform = (d.Flags & VfioAbi.DeviceFlagsPlatform) != 0;
        if (pci == platform)
            throw new InvalidDataException($"device flags 0x{d.Flags:x}: {(pci ? "both" : "neither")} a PCI and {(pci ? "" : "nor ")}a platform device");
        return (d.Flags, (int)Math.Min(d.NumRegions, VfioAbi.PciRegionCount), (int)Math.Min(d.NumIrqs, VfioAbi.PciIrqCount));
    }

    // For the index asked.
    // The flags, the size and the argsz the whole description needs (more than 32 when capabilities follow).
    private static (uint Flags, ulong Size, uint Argsz) DecodeRegionInfo(ReadOnlySpan<byte> r, int index)
    {
        if (!VfioUserRegionInfo.TryDecode(r, 0, out var info, out _, out string? error))
            throw new InvalidDataException(error);
        if (info.Index != (uint)index)
            throw new InvalidDataException($"region info for index {info.Index} answers a request for {index}");
        return (info.Flags, info.Size, info.Argsz);
    }

    // For the index asked; at most 2048 vectors (MSI-X's limit).
    private static int DecodeIrqInfo(ReadOnlySpan<byte> r, int index)
    {
        if (!VfioUserIrqInfo.TryDecode(r, 0, out var info, out string? error))
            throw new InvalidDataException(error);
        if (info.Index != (uint)index)
            throw new InvalidDataException($"irq info for index {info.Index} answers a request for {index}");
        return (int)Math.Min(info.Count, 2048);
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        socket.Shutdown(); // a request waiting for its reply ends now
        interrupts?.Dispose();
        lock (sync)
        {
            mapped.Dispose();
            socket.Dispose();
        }
    }
}
