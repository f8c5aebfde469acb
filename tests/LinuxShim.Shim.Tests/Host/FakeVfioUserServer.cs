// SPDX-License-Identifier: MIT
// Test side. A scripted vfio-user server on one end of a socketpair: by default an honest little PCI
// function (config space, an I/O BAR 0 and a memory BAR 1 of plain registers, INTx), and a test's
// Hostile hook sees every request first and may answer it any way it likes (garbage, silence, wrong
// ids, its own DMA commands...), for the client's hostile-device tests.
using System.Buffers.Binary;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Shim.Tests.Host;

/// <summary>One request as the fake server received it.</summary>
internal sealed record FakeRequest(VfioUserHeader Header, byte[] Payload, int Descriptors)
{
    public VfioUserCommand Command => (VfioUserCommand)Header.Command;

    /// <summary>Region index of a REGION_READ/WRITE.</summary>
    public int Region => BinaryPrimitives.ReadInt32LittleEndian(Payload.AsSpan(8));

    public ulong Offset => BinaryPrimitives.ReadUInt64LittleEndian(Payload);

    public int Count => BinaryPrimitives.ReadInt32LittleEndian(Payload.AsSpan(12));
}

internal sealed class FakeVfioUserServer : IDisposable
{
    public const string HonestCapabilities = """{"capabilities":{"max_msg_fds":8,"max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":16}}""";

    private readonly UnixSocket serverEnd;
    private readonly VfioUserConnection connection;
    private readonly Thread thread;
    private readonly List<FakeRequest> seen = [];
    private readonly byte[] config = new byte[256];
    private readonly byte[][] registers = [new byte[256], new byte[4096]];

    public FakeVfioUserServer(Func<FakeVfioUserServer, FakeRequest, bool>? hostile = null, string? capabilities = HonestCapabilities)
    {
        Hostile = hostile;
        Capabilities = capabilities;
        BinaryPrimitives.WriteUInt16LittleEndian(config, 0x10ec); // vendor
        BinaryPrimitives.WriteUInt16LittleEndian(config.AsSpan(2), 0x8139); // device
        config[0x10] = 0x01; // BAR 0: I/O
        config[0x14] = 0x00; // BAR 1: 32-bit memory
        (ClientEnd, serverEnd) = UnixSocket.CreatePair();
        connection = new VfioUserConnection(serverEnd, 1 << 22);
        thread = new Thread(Serve) { IsBackground = true, Name = "fake vfio-user server" };
        thread.Start();
    }

    /// <summary>The socket to give the client.</summary>
    public UnixSocket ClientEnd { get; }

    /// <summary>Sees each request first; true when it dealt with it (the honest answer is then not sent).</summary>
    public Func<FakeVfioUserServer, FakeRequest, bool>? Hostile { get; set; }

    /// <summary>The version data of the honest version reply (JSON, NUL added), or null for none.</summary>
    public string? Capabilities { get; set; }

    /// <summary>What went wrong on the server's thread, if anything (a test asserts it is null).</summary>
    public Exception? Error { get; private set; }

    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (seen)
                return [.. seen];
        }
    }

    /// <summary>The value of a BAR register as the client last wrote it.</summary>
    public uint Register(int bar, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(registers[bar].AsSpan(offset));

    private void Serve()
    {
        try
        {
            while (true)
            {
                var m = connection.Receive();
                if (m is null)
                    return;
                var r = new FakeRequest(m.Header, m.Payload.ToArray(), m.Fds.Count);
                foreach (int fd in m.Fds)
                    new EventFd(fd).Dispose(); // closes the descriptor, whatever it is
                lock (seen)
                    seen.Add(r);
                if (Hostile?.Invoke(this, r) == true || r.Header.WantsNoReply)
                {
                    if (r.Header.WantsNoReply && r.Command == VfioUserCommand.RegionWrite)
                        Write(r);
                    continue;
                }
                Answer(r);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // the client went away mid-message, or the test closed the connection
        }
        catch (Exception e)
        {
            Error = e;
        }
    }

    /// <summary>The honest answer to <paramref name="r"/>.</summary>
    public void Answer(FakeRequest r)
    {
        var p = r.Payload;
        switch (r.Command)
        {
            case VfioUserCommand.Version:
                var data = Capabilities is null ? [] : Encoding.UTF8.GetBytes(Capabilities + "\0");
                Reply(r, [0, 0, 1, 0, .. data]);
                break;
            case VfioUserCommand.DeviceGetInfo:
                Reply(r, Words(16, VfioAbi.DeviceFlagsPci | VfioAbi.DeviceFlagsReset, 9, 5));
                break;
            case VfioUserCommand.DeviceGetRegionInfo:
                uint index = BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(8));
                ulong size = index switch { 0 => 256, 1 => 4096, 7 => 256, _ => 0 };
                var info = new byte[32];
                Words(32, VfioAbi.RegionInfoFlagRead | VfioAbi.RegionInfoFlagWrite, index, 0).CopyTo(info, 0);
                BinaryPrimitives.WriteUInt64LittleEndian(info.AsSpan(16), size);
                Reply(r, info);
                break;
            case VfioUserCommand.DeviceGetIrqInfo:
                uint irq = BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(8));
                Reply(r, Words(16, VfioAbi.IrqInfoEventFd, irq, irq == 0 ? 1u : 0u));
                break;
            case VfioUserCommand.RegionRead:
                Reply(r, [.. p.AsSpan(0, 16), .. Space(r.Region).AsSpan((int)r.Offset, r.Count)]);
                break;
            case VfioUserCommand.RegionWrite:
                Write(r);
                Reply(r, p.AsSpan(0, 16));
                break;
            case VfioUserCommand.DmaUnmap:
                Reply(r, p);
                break;
            case VfioUserCommand.DmaMap or VfioUserCommand.DeviceSetIrqs or VfioUserCommand.DeviceReset:
                Reply(r, []);
                break;
            default:
                ReplyError(r, 38); // ENOSYS
                break;
        }
    }

    private void Write(FakeRequest r) => r.Payload.AsSpan(16, r.Count).CopyTo(Space(r.Region).AsSpan((int)r.Offset));

    private byte[] Space(int region) => region == VfioAbi.RegionConfig ? config : registers[region];

    public void Reply(FakeRequest r, ReadOnlySpan<byte> payload) =>
        connection.Send(new VfioUserHeader(r.Header.MessageId, r.Header.Command, 0, VfioUserHeader.TypeReply, 0), payload);

    /// <summary>An honest-looking reply that carries <paramref name="fds"/> (a hostile offer of memory or eventfds).</summary>
    public void ReplyWithFds(FakeRequest r, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds) =>
        connection.Send(new VfioUserHeader(r.Header.MessageId, r.Header.Command, 0, VfioUserHeader.TypeReply, 0), payload, fds);

    public void ReplyError(FakeRequest r, uint errno, ReadOnlySpan<byte> payload = default) =>
        connection.Send(new VfioUserHeader(r.Header.MessageId, r.Header.Command, 0, VfioUserHeader.TypeReply | VfioUserHeader.ErrorFlag, errno), payload);

    /// <summary>Any message at all, framed (size set from the payload).</summary>
    public void Send(VfioUserHeader header, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default) => connection.Send(header, payload, fds);

    /// <summary>Bytes as they are, no framing.</summary>
    public void SendRaw(ReadOnlySpan<byte> bytes) => serverEnd.Send(bytes);

    /// <summary>A server-to-client command.</summary>
    public void SendCommand(ushort id, ushort command, ReadOnlySpan<byte> payload, bool noReply = false) =>
        connection.Send(new VfioUserHeader(id, command, 0, VfioUserHeader.TypeCommand | (noReply ? VfioUserHeader.NoReply : 0), 0), payload);

    /// <summary>The client's next message (its reply to a server command), within 5 s.</summary>
    public (VfioUserHeader Header, byte[] Payload) ReceiveFromClient()
    {
        if (!serverEnd.WaitReadable(5000))
            throw new TimeoutException("the client sent nothing within 5 s");
        var m = connection.Receive() ?? throw new EndOfStreamException("the client closed the connection");
        return (m.Header, m.Payload.ToArray());
    }

    /// <summary>True when the client sends something (or closes) within <paramref name="milliseconds"/>.</summary>
    public bool ClientSends(int milliseconds) => serverEnd.WaitReadable(milliseconds);

    /// <summary>Closes the server's end: the client sees end of stream.</summary>
    public void Close() => serverEnd.Shutdown();

    private static byte[] Words(params uint[] words)
    {
        var b = new byte[words.Length * 4];
        for (int i = 0; i < words.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4 * i), words[i]);
        return b;
    }

    public void Dispose()
    {
        serverEnd.Shutdown();
        thread.Join(TimeSpan.FromSeconds(10));
        serverEnd.Dispose();
        ClientEnd.Dispose();
    }
}
