// SPDX-License-Identifier: MIT
// Test side. A vfio-user peer that sends whatever bytes it is given to a real server (RTL8139
// model) and reads the replies, for malformed-message and fuzz tests.
using System.Buffers.Binary;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

internal sealed class RawVfioUser : IDisposable
{
    private readonly CancellationTokenSource stop = new();
    private UnixSocket socket;
    private VfioUserConnection connection;
    private Task serving;

    /// <summary>A connected peer; with <paramref name="handshake"/>, VERSION is already negotiated (servers need it first).</summary>
    public RawVfioUser(bool handshake = true, VfioUserServerOptions? options = null, NetworkDevice? device = null)
    {
        Device = device ?? new Rtl8139Nic(MacAddress.Default);
        Server = new VfioUserServer(Device, options);
        (socket, connection, serving) = Connect();
        if (handshake)
            Handshake();
    }

    /// <summary>Proposes version 0.1 with the given capabilities JSON; returns the reply.</summary>
    public (VfioUserHeader Header, byte[] Payload) Handshake(string json = "{\"capabilities\":{\"max_msg_fds\":16,\"linuxshim_repeated_access\":true}}")
    {
        byte[] caps = System.Text.Encoding.UTF8.GetBytes(json + "\0");
        byte[] p = new byte[VfioUserVersion.FixedSize + caps.Length];
        new VfioUserVersion(0, 1).Encode(p, caps);
        Send(0, (ushort)VfioUserCommand.Version, p);
        var r = Reply();
        Assert.False(r.Header.IsError, $"VERSION refused: errno {r.Header.Error}");
        return r;
    }

    /// <summary>The device served (an RTL8139 unless the test chose another).</summary>
    public NetworkDevice Device { get; }

    public VfioUserServer Server { get; }

    public Task Serving => serving;

    /// <summary>Whether the server ended this connection within <paramref name="timeoutMs"/>.</summary>
    public bool ServerEnded(int timeoutMs) => serving.Wait(timeoutMs);

    private (UnixSocket, VfioUserConnection, Task) Connect()
    {
        var (client, server) = UnixSocket.CreatePair();
        return (client, new VfioUserConnection(client, 1 << 22), Server.ServeAsync(server, stop.Token));
    }

    /// <summary>Drops the connection and opens a new one (the server cleans up the old client).</summary>
    public void Reconnect(bool handshake = true)
    {
        connection.Dispose();
        Assert.True(serving.Wait(5000), "server did not notice the client leaving");
        (socket, connection, serving) = Connect();
        if (handshake)
            Handshake();
    }

    public void SendRaw(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> fds = default) => socket.Send(bytes, fds);

    /// <summary>A well-framed command with any payload.</summary>
    public void Send(ushort id, ushort command, ReadOnlySpan<byte> payload, uint flags = 0, ReadOnlySpan<int> fds = default) =>
        connection.Send(new VfioUserHeader(id, command, 0, flags, 0), payload, fds);

    /// <summary>
    /// The next reply (fails the test after 5 s). Commands the server sends meanwhile (DMA_READ/DMA_WRITE to
    /// windows mapped without a descriptor) are answered as a client without such memory would: EFAULT.
    /// </summary>
    public (VfioUserHeader Header, byte[] Payload) Reply()
    {
        while (true)
        {
            Assert.True(socket.WaitReadable(5000), "no reply from the server within 5 s");
            var m = connection.Receive();
            Assert.NotNull(m);
            ReplyFds.ForEach(fd => LinuxShim.Posix.Libc.Close(fd));
            ReplyFds.Clear();
            if (KeepFds && !m.Header.IsCommand)
                ReplyFds.AddRange(m.Fds);
            else
                foreach (int fd in m.Fds)
                    LinuxShim.Posix.Libc.Close(fd);
            if (m.Header.IsCommand)
            {
                ServerCommands++;
                var answer = AnswerServer?.Invoke(m.Header, m.Payload.ToArray());
                if (answer is null)
                    connection.Send(VfioUserHeader.ReplyTo(m.Header, 14), default);
                else
                    connection.Send(VfioUserHeader.ReplyTo(m.Header) with { MessageId = answer.Value.Id ?? m.Header.MessageId }, answer.Value.Payload);
                continue;
            }
            return (m.Header, m.Payload.ToArray());
        }
    }

    /// <summary>
    /// How this peer answers the server's commands (header, payload) → (reply id or null for the
    /// command's own, reply payload); null: EFAULT.
    /// </summary>
    public Func<VfioUserHeader, byte[], (ushort? Id, byte[] Payload)?>? AnswerServer { get; set; }

    /// <summary>Keep the descriptors of the next replies in <see cref="ReplyFds"/> instead of closing them.</summary>
    public bool KeepFds { get; set; }

    /// <summary>The descriptors of the last reply (with <see cref="KeepFds"/>; closed at the next reply or at the end).</summary>
    public List<int> ReplyFds { get; } = [];

    /// <summary>The client's socket, for tests that misbehave on it.</summary>
    public UnixSocket Socket => socket;

    /// <summary>
    /// Reads and answers whatever the server sends until it closes the connection; false when it is
    /// still open after <paramref name="timeoutMs"/>.
    /// </summary>
    public bool PumpUntilClosed(int timeoutMs)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (!socket.WaitReadable((int)Math.Max(1, deadline - Environment.TickCount64)))
                return false;
            VfioUserMessage? m;
            try
            {
                m = connection.Receive();
            }
            catch (Exception e) when (e is EndOfStreamException or PosixException)
            {
                return true;
            }
            if (m is null)
                return true;
            VfioUserConnection.CloseFds(m.Fds);
            if (m.Header.IsCommand && AnswerServer?.Invoke(m.Header, m.Payload.ToArray()) is { } answer)
            {
                ServerCommands++;
                try
                {
                    connection.Send(VfioUserHeader.ReplyTo(m.Header) with { MessageId = answer.Id ?? m.Header.MessageId }, answer.Payload);
                }
                catch (PosixException)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Commands the server sent this peer (answered EFAULT).</summary>
    public int ServerCommands { get; private set; }

    public (VfioUserHeader Header, byte[] Payload) Call(ushort id, VfioUserCommand command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        Send(id, (ushort)command, payload, 0, fds);
        var r = Reply();
        Assert.Equal(id, r.Header.MessageId);
        Assert.Equal((ushort)command, r.Header.Command);
        Assert.True(r.Header.IsReply);
        return r;
    }

    /// <summary>Asserts the server still answers: reads the vendor id through REGION_READ.</summary>
    public void AssertAlive(ushort id = 0xBEEF)
    {
        var r = Call(id, VfioUserCommand.RegionRead, RegionAccess(7, 0, 2));
        Assert.False(r.Header.IsError);
        Span<byte> vendor = stackalloc byte[2];
        Device.ReadRegion(7, 0, vendor); // the device's own, read without the server
        Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(vendor), BinaryPrimitives.ReadUInt16LittleEndian(r.Payload.AsSpan(16)));
        Assert.NotEqual(0xFFFF, BinaryPrimitives.ReadUInt16LittleEndian(vendor));
    }

    public static byte[] RegionAccess(int region, ulong offset, int count, ReadOnlySpan<byte> data = default)
    {
        var p = new byte[16 + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(p, offset);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(8), region);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(12), count);
        data.CopyTo(p.AsSpan(16));
        return p;
    }

    public void Dispose()
    {
        ReplyFds.ForEach(fd => LinuxShim.Posix.Libc.Close(fd));
        connection.Dispose();
        stop.Cancel();
        serving.Wait(5000);
        Server.Dispose();
        Device.Dispose();
    }
}
