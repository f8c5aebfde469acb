// SPDX-License-Identifier: MIT
// Managed side. One vfio-user client of a VfioUserServer. Its thread reads: VERSION first and once
// (within the handshake time), then, once the session owns the device, every message in full (within
// the message time), replies to the server's own DMA_READ/DMA_WRITE handed to their waiters. While every
// DMA window has a descriptor, the reading thread runs each command itself and replies (no hand-off, no
// second wake-up per message). Once a window without a descriptor is mapped, DMA there waits for the
// client's reply, which this thread must read: from then on commands are queued (bounded) to a second
// thread that dispatches them and replies, so a device model that waits for a DMA reply never waits on
// the thread that must read it. Every descriptor that arrives is adopted or closed on every path.
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.VfioUser;

internal sealed class VfioUserSession : IDisposable
{
    private readonly VfioUserServer server;
    private readonly VfioUserServerOptions options;
    private readonly VfioUserConnection connection;
    private readonly CancellationToken cancellation;
    private readonly object sendLock = new();
    private readonly BlockingCollection<Command> queue;
    private readonly ConcurrentDictionary<ushort, DmaWaiter> dmaWaiters = new();
    private readonly byte[] reply = new byte[VfioUserServer.MaxMessageSize];
    private readonly CommandHandler handler;
    private VfioUserCapabilities client = new();
    private string? dropReason;
    private Libc.PollFd[] pendingBells = []; // the doorbells' part of the poll that found the socket readable
    private bool bellsPending;
    private int nextDmaId;

    private sealed record Command(VfioUserHeader Header, byte[] Payload, List<int> Fds, string? FramingError);

    // Queued in the dispatcher's order: ring the doorbells rung by then.
    private static readonly Command RingCommand = new(default, [], [], null);

    private sealed class DmaWaiter
    {
        public readonly ManualResetEventSlim Done = new();
        public byte[]? Payload;
        public int Errno;
    }

    public VfioUserSession(VfioUserServer server, UnixSocket socket, CancellationToken cancellation)
    {
        this.server = server;
        options = server.Options;
        this.cancellation = cancellation;
        connection = new VfioUserConnection(socket, VfioUserServer.MaxMessageSize);
        queue = new BlockingCollection<Command>(new ConcurrentQueue<Command>());
        handler = new CommandHandler(server);
        try
        {
            socket.SetSendTimeout(options.SendTimeoutMs);
        }
        catch (PosixException)
        {
            // a socket that takes no options is already gone; the first receive says so
        }
    }

    /// <summary>The client's capabilities (limits on what the server may send it).</summary>
    public VfioUserCapabilities Client => client;

    public void Run()
    {
        using var wake = cancellation.Register(connection.Socket.Shutdown);
        if (!Handshake())
            return;
        if (!server.AcquireDevice(() => !cancellation.IsCancellationRequested && !PeerGone()))
            return;
        server.Dma.RemoteRead = RemoteRead;
        server.Dma.RemoteWrite = RemoteWrite;
        var dispatcher = new Thread(Dispatch) { IsBackground = true, Name = "vfio-user dispatch" };
        dispatcher.Start();
        try
        {
            ReadLoop();
        }
        finally
        {
            queue.CompleteAdding();
            connection.Socket.Shutdown();
            foreach (var w in dmaWaiters.Values)
            {
                w.Errno = Errno.ECONNRESET;
                try
                {
                    w.Done.Set();
                }
                catch (ObjectDisposedException)
                {
                    // that DMA already gave up waiting
                }
            }
            dispatcher.Join();
            server.ReleaseDevice();
        }
    }

    // VERSION, first and within the handshake time; anything else ends the connection.
    private bool Handshake()
    {
        VfioUserMessage? m;
        try
        {
            long deadline = Environment.TickCount64 + options.HandshakeTimeoutMs;
            if (!connection.Socket.WaitReadable(options.HandshakeTimeoutMs))
            {
                Drop($"no VERSION within {options.HandshakeTimeoutMs} ms");
                return false;
            }
            m = connection.Receive(deadline);
        }
        catch (Exception e) when (e is EndOfStreamException or PosixException or TimeoutException)
        {
            Drop($"handshake: {e.Message}");
            return false;
        }
        if (m is null)
            return false;
        server.CountMessage();
        try
        {
            int errno;
            int length = 0;
            string? why;
            if (m.FramingError is not null)
            {
                errno = Errno.EINVAL;
                why = m.FramingError;
            }
            else if (!m.Header.IsCommand || m.Header.Command != (ushort)VfioUserCommand.Version)
            {
                errno = Errno.EINVAL;
                why = $"command {m.Header.Command} before VERSION";
            }
            else
            {
                errno = Version(m.Payload.Span, m.Fds.Count, out length, out why);
            }
            if (errno != 0)
            {
                server.Report($"vfio-user: {why}; connection closed");
                if (!m.Header.WantsNoReply)
                    SendReply(m.Header, errno, default);
                Drop(why ?? "handshake refused");
                return false;
            }
            SendReply(m.Header, 0, reply.AsSpan(0, length));
            return true;
        }
        catch (Exception e) when (e is PosixException or IOException)
        {
            Drop($"handshake reply: {e.Message}");
            return false;
        }
        finally
        {
            VfioUserConnection.CloseFds(m.Fds);
        }
    }

    private int Version(ReadOnlySpan<byte> payload, int fds, out int length, out string? why)
    {
        length = 0;
        if (!VfioUserVersion.TryDecode(payload, fds, out var v, out var json, out why))
            return Errno.EINVAL;
        if (v.Major != VfioUserCapabilities.Major)
        {
            why = $"VERSION.major: {v.Major}, this server speaks {VfioUserCapabilities.Major}.x";
            return Errno.ENOTSUP;
        }
        var caps = VfioUserCapabilities.Parse(json, out why);
        if (caps is null)
            return Errno.EINVAL;
        if ((caps.PgSizes & DmaMappings.PageSize) == 0)
        {
            why = $"VERSION.json.capabilities.pgsizes: 0x{caps.PgSizes:x} lacks the 4 KiB pages this server maps";
            return Errno.ENOTSUP;
        }
        client = caps;
        handler.RepeatedAccess = caps.RepeatedAccess;
        var offered = server.Device.SynchronousModel ? VfioUserServer.Capabilities with { SynchronousModel = true } : VfioUserServer.Capabilities;
        byte[] data = offered.ToJson(caps);
        ushort minor = Math.Min(v.Minor, VfioUserCapabilities.Minor);
        length = new VfioUserVersion(VfioUserCapabilities.Major, minor).Encode(reply, data);
        return 0;
    }

    private void ReadLoop()
    {
        long lastMessage = Environment.TickCount64;
        bool inline = true;
        while (!cancellation.IsCancellationRequested && Volatile.Read(ref dropReason) is null)
        {
            VfioUserMessage? m;
            try
            {
                if (!WaitReadable(100, inline))
                {
                    if (server.Waiting > 0 && Environment.TickCount64 - lastMessage > options.IdleTimeoutMs)
                        Drop($"idle for {options.IdleTimeoutMs} ms while another client waits");
                    continue;
                }
                m = connection.Receive(Environment.TickCount64 + options.MessageTimeoutMs);
            }
            catch (Exception e) when (e is EndOfStreamException or PosixException or TimeoutException)
            {
                if (e is TimeoutException)
                    Drop($"a message not complete within {options.MessageTimeoutMs} ms");
                return;
            }
            if (m is null)
                return;
            lastMessage = Environment.TickCount64;
            server.CountMessage();
            if (m.FramingError is null && m.Header.IsReply)
            {
                CompleteDma(m);
                VfioUserConnection.CloseFds(m.Fds);
                continue;
            }
            // A read comes after every doorbell rung before it (as a read pushes a CPU's posted writes ahead of it).
            bool read = m.FramingError is null && m.Header.Command is (ushort)VfioUserCommand.RegionRead or (ushort)VfioUserCommand.RegionReadRepeat;
            // The poll that found this message also found every doorbell rung before it was sent (the client rings,
            // then sends): those are rung before a read, without a second poll.
            if (inline && !server.Dma.HasMessageWindows)
            {
                if (read && bellsPending)
                {
                    bellsPending = false;
                    handler.RingDoorbells(pendingBells);
                }
                Execute(m.Header, m.Payload.Span, m.Fds, m.FramingError);
                continue;
            }
            if (inline)
                inline = false; // for good: commands already queued must run before any later one
            if (read && bellsPending)
            {
                bellsPending = false;
                if (!TryQueue(RingCommand))
                    return;
            }
            if (queue.Count >= options.MaxQueuedCommands)
            {
                VfioUserConnection.CloseFds(m.Fds);
                Drop($"more than {options.MaxQueuedCommands} commands waiting");
                return;
            }
            var fds = new List<int>(m.Fds);
            m.Fds.Clear();
            var command = new Command(m.Header, m.Payload.ToArray(), fds, m.FramingError);
            if (!TryQueue(command))
            {
                VfioUserConnection.CloseFds(fds);
                return;
            }
        }
    }

    private bool TryQueue(Command command)
    {
        try
        {
            queue.Add(command);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false; // the dispatcher stopped
        }
    }

    private void Dispatch()
    {
        foreach (var c in queue.GetConsumingEnumerable())
        {
            if (ReferenceEquals(c, RingCommand))
                handler.RingDoorbells();
            else
                Execute(c.Header, c.Payload, c.Fds, c.FramingError);
        }
    }

    // Waits for the next message; doorbells rung meanwhile (whose eventfds are waited on beside the socket) go
    // to the device once every message that came before them has run: when the socket has nothing more.
    private unsafe bool WaitReadable(int timeoutMs, bool inline)
    {
        var bells = server.Doorbells.Current;
        if (bells.Length == 0)
            return connection.Socket.WaitReadable(timeoutMs);
        long deadline = Environment.TickCount64 + timeoutMs;
        var p = stackalloc Libc.PollFd[1 + bells.Length];
        while (true)
        {
            p[0] = new Libc.PollFd { Fd = connection.Socket.Handle, Events = Libc.POLLIN };
            for (int i = 0; i < bells.Length; i++)
                p[1 + i] = new Libc.PollFd { Fd = bells[i].Event.Handle, Events = Libc.POLLIN };
            int n = Libc.Poll(p, (nuint)(1 + bells.Length), (int)Math.Max(0, deadline - Environment.TickCount64));
            if (n < 0)
            {
                if (Errno.Last == Errno.EINTR)
                    continue;
                throw Errno.Last.ToException("poll");
            }
            if (p[0].Revents != 0)
            {
                if (n > 1)
                {
                    if (pendingBells.Length != bells.Length)
                        pendingBells = new Libc.PollFd[bells.Length];
                    new ReadOnlySpan<Libc.PollFd>(p + 1, bells.Length).CopyTo(pendingBells);
                    bellsPending = true;
                }
                return true;
            }
            if (n == 0)
                return false;
            bellsPending = false; // this poll saw them all: rung now
            if (inline && !server.Dma.HasMessageWindows)
                handler.RingDoorbells(new ReadOnlySpan<Libc.PollFd>(p + 1, bells.Length));
            else if (!TryQueue(RingCommand))
                return false;
            if (Environment.TickCount64 >= deadline)
                return false;
        }
    }

    // Runs one command and replies; closes its descriptors unless the command adopted them.
    private void Execute(VfioUserHeader header, ReadOnlySpan<byte> payload, List<int> fds, string? framingError)
    {
        try
        {
            if (Volatile.Read(ref dropReason) is not null)
                return;
            int errno;
            int length = 0;
            string? why;
            if (framingError is not null)
                (errno, why) = (Errno.EINVAL, framingError);
            else
                errno = handler.Handle(header, payload, fds, reply, out length, out why);
            if (errno != 0)
            {
                server.CountErrorReply();
                server.Report($"vfio-user: {(VfioUserCommand)header.Command} refused ({((Errno)errno).Describe()}): {why}");
            }
            if (header.WantsNoReply && header.IsCommand)
                return;
            SendReply(header, errno, errno == 0 ? reply.AsSpan(0, length) : default, errno == 0 ? CollectionsMarshal.AsSpan(handler.ReplyFds) : default);
        }
        catch (Exception e) when (e is PosixException or IOException)
        {
            Drop($"reply not taken: {e.Message}");
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            Drop($"internal: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            handler.ReplyFds.Clear();
            VfioUserConnection.CloseFds(fds);
        }
    }

    private void SendReply(VfioUserHeader request, int errno, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        lock (sendLock)
            connection.Send(VfioUserHeader.ReplyTo(request, errno), payload, fds);
    }

    // ---- DMA through messages (windows mapped without a descriptor) ----

    private bool RemoteRead(ulong address, Memory<byte> buffer)
    {
        int chunk = Math.Max(1, client.MaxDataXferSize);
        Span<byte> p = stackalloc byte[VfioUserDmaAccess.FixedSize];
        for (int done = 0; done < buffer.Length; done += chunk)
        {
            int n = Math.Min(chunk, buffer.Length - done);
            new VfioUserDmaAccess(address + (ulong)done, (ulong)n).Encode(p);
            var answer = RemoteCall(VfioUserCommand.DmaRead, p);
            if (answer is null)
                return false;
            if (!VfioUserDmaData.TryDecode(answer, 0, out var data, out var bytes, out string? why)
                || data.Address != address + (ulong)done || data.Count != (ulong)n)
            {
                Drop($"DMA_READ reply does not answer the request: {why ?? "address or count differs"}");
                return false;
            }
            bytes.CopyTo(buffer.Span[done..]);
        }
        return true;
    }

    private bool RemoteWrite(ulong address, ReadOnlyMemory<byte> buffer)
    {
        int chunk = Math.Max(1, client.MaxDataXferSize);
        for (int done = 0; done < buffer.Length; done += chunk)
        {
            int n = Math.Min(chunk, buffer.Length - done);
            byte[] p = new byte[VfioUserDmaData.FixedSize + n];
            new VfioUserDmaData(address + (ulong)done, (ulong)n).Encode(p, buffer.Span.Slice(done, n));
            var answer = RemoteCall(VfioUserCommand.DmaWrite, p);
            if (answer is null)
                return false;
            if (!VfioUserDmaAccess.TryDecode(answer, 0, out var ack, out string? why)
                || ack.Address != address + (ulong)done || ack.Count != (ulong)n)
            {
                Drop($"DMA_WRITE reply does not answer the request: {why ?? "address or count differs"}");
                return false;
            }
        }
        return true;
    }

    // Sends a server-to-client command and waits for its reply's payload; null on error or timeout.
    private byte[]? RemoteCall(VfioUserCommand command, ReadOnlySpan<byte> payload)
    {
        if (Volatile.Read(ref dropReason) is not null)
            return null;
        ushort id = (ushort)Interlocked.Increment(ref nextDmaId);
        var waiter = new DmaWaiter();
        dmaWaiters[id] = waiter;
        try
        {
            lock (sendLock)
                connection.Send(VfioUserHeader.NewCommand(id, command), payload);
            if (!waiter.Done.Wait(options.DmaReplyTimeoutMs))
            {
                Drop($"{command} not answered within {options.DmaReplyTimeoutMs} ms");
                return null;
            }
            return waiter.Errno == 0 ? waiter.Payload : null;
        }
        catch (Exception e) when (e is PosixException or IOException)
        {
            Drop($"{command}: {e.Message}");
            return null;
        }
        finally
        {
            dmaWaiters.TryRemove(id, out _);
            waiter.Done.Dispose();
        }
    }

    private void CompleteDma(VfioUserMessage m)
    {
        var h = m.Header;
        if (!dmaWaiters.TryGetValue(h.MessageId, out var w)
            || h.Command is not ((ushort)VfioUserCommand.DmaRead or (ushort)VfioUserCommand.DmaWrite))
        {
            server.Report($"vfio-user: a reply ({h.MessageId}/{h.Command}) to nothing this server asked; ignored");
            return;
        }
        w.Payload = m.Payload.ToArray();
        w.Errno = h.IsError ? (h.Error == 0 ? Errno.EIO : (int)Math.Min(h.Error, 4095)) : 0;
        try
        {
            w.Done.Set();
        }
        catch (ObjectDisposedException)
        {
            // the waiter timed out and went
        }
    }

    // ---- ending ----

    private bool PeerGone()
    {
        var p = new Libc.PollFd { Fd = connection.Socket.Handle, Events = 0 };
        unsafe
        {
            return Libc.Poll(&p, 1, 0) > 0 && (p.Revents & (Libc.POLLHUP | Libc.POLLERR)) != 0;
        }
    }

    /// <summary>Ends the session because the server stops (not counted as a dropped client).</summary>
    public void Stop()
    {
        Interlocked.CompareExchange(ref dropReason, "the server stops", null);
        connection.Socket.Shutdown();
    }

    /// <summary>Ends the session for breaking a bound; the reader and dispatcher see it and stop.</summary>
    public void Drop(string why)
    {
        if (Interlocked.CompareExchange(ref dropReason, why, null) is not null)
            return;
        server.CountDropped();
        server.Report($"vfio-user client dropped: {why}");
        connection.Socket.Shutdown();
    }

    public void Dispose()
    {
        foreach (var c in queue)
            VfioUserConnection.CloseFds(c.Fds);
        queue.Dispose();
        connection.Dispose();
    }
}
