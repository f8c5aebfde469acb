// SPDX-License-Identifier: MIT
// Managed side. A vfio-user server (protocol 0.x, docs/vfio-user.rst in libvfio-user's history) for
// one device. The device side stands where hardware and the IOMMU stand, so everything from a client is
// hostile input: each client is a session of its own (VfioUserSession) whose every message is decoded
// by the generated decoders before the device sees it. Several clients may connect; one at a time owns
// the device (its DMA windows and interrupt eventfds), the others wait, and an owner that stays idle
// while another waits, stops reading its replies, or never finishes a message is dropped.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.VfioUser;

/// <summary>The bounds a server puts on each client.</summary>
public sealed record VfioUserServerOptions
{
    /// <summary>A new connection must complete VERSION within this.</summary>
    public int HandshakeTimeoutMs { get; init; } = 5000;

    /// <summary>A message whose first byte arrived must be complete within this.</summary>
    public int MessageTimeoutMs { get; init; } = 5000;

    /// <summary>An owner that sends nothing for this long while another client waits loses the device.</summary>
    public int IdleTimeoutMs { get; init; } = 3000;

    /// <summary>A reply the client does not take within this (it stopped reading) drops the client.</summary>
    public int SendTimeoutMs { get; init; } = 2000;

    /// <summary>A DMA_READ/DMA_WRITE the client does not answer within this fails and drops the client.</summary>
    public int DmaReplyTimeoutMs { get; init; } = 2000;

    /// <summary>Connections served at once; more are closed at once.</summary>
    public int MaxClients { get; init; } = 8;

    /// <summary>Commands read but not yet handled; a client that floods past this is dropped.</summary>
    public int MaxQueuedCommands { get; init; } = 4096;
}

public sealed class VfioUserServer : IDisposable
{
    /// <summary>What this server can receive: the "capabilities" of its VERSION reply.</summary>
    public static readonly VfioUserCapabilities Capabilities = new()
    {
        MaxMsgFds = UnixSocket.MaxFdsPerMessage,
        MaxDataXferSize = VfioUserConnection.DefaultMaxDataTransfer,
        MaxDmaMaps = DmaMappings.MaxMappings,
        PgSizes = DmaMappings.PageSize,
        RepeatedAccess = true,
    };

    internal const int MaxMessageSize = VfioUserHeader.Size + 16 + VfioUserConnection.DefaultMaxDataTransfer;

    private readonly SemaphoreSlim owner = new(1, 1);
    private readonly object sessionsLock = new();
    private readonly HashSet<VfioUserSession> sessions = [];
    private int waiting;
    private bool disposing;
    private long messages, errorReplies, internalErrors, dropped, refused;
    private int diagnostics;
    private long diagnosticsWindow = Environment.TickCount64, diagnosticsSuppressed;

    public VfioUserServer(IVfioDevice device, VfioUserServerOptions? options = null)
    {
        Device = device;
        Options = options ?? new VfioUserServerOptions();
        Dma = new DmaMappings();
        Irqs = new InterruptRouting(i => Math.Max(0, Math.Min(device.IrqCount(i), 2048)));
        Dma.Observer = device.DmaWindowObserver;
        Irqs.Resampler = device.IntxResampler;
        device.Attach(new Bus(this));
    }

    public IVfioDevice Device { get; }

    public VfioUserServerOptions Options { get; }

    internal DmaMappings Dma { get; }

    internal InterruptRouting Irqs { get; }

    /// <summary>The doorbells the owner was handed (DEVICE_GET_REGION_IO_FDS).</summary>
    internal Doorbells Doorbells { get; } = new();

    /// <summary>Messages received since the server was made.</summary>
    public long Messages => Interlocked.Read(ref messages);

    /// <summary>Requests answered with an error reply.</summary>
    public long ErrorReplies => Interlocked.Read(ref errorReplies);

    /// <summary>Requests during which the device model threw (answered EIO); should stay 0.</summary>
    public long InternalErrors => Interlocked.Read(ref internalErrors);

    /// <summary>Clients dropped for breaking a bound (idle owner, flood, slow message, unread replies, DMA not answered).</summary>
    public long DroppedClients => Interlocked.Read(ref dropped);

    /// <summary>Connections closed at once because <see cref="VfioUserServerOptions.MaxClients"/> were being served.</summary>
    public long RefusedClients => Interlocked.Read(ref refused);

    /// <summary>The last exception a device model threw, for diagnosis.</summary>
    public Exception? LastInternalError { get; private set; }

    public int DmaWindowCount => Dma.Count;

    /// <summary>Interrupts delivered to the client's eventfds so far.</summary>
    public long InterruptsDelivered => Irqs.Delivered;

    /// <summary>Connections being served now (owner and waiting).</summary>
    public int ClientCount
    {
        get { lock (sessionsLock) return sessions.Count; }
    }

    /// <summary>
    /// Why a request was refused or a client dropped, one line each (at most 100 in 10 s; the rest
    /// counted and said so), for the operator: an errno alone does not say which field was wrong.
    /// </summary>
    public event Action<string>? Diagnostic;

    /// <summary>
    /// Serves one connected client until it disconnects or <paramref name="cancellationToken"/> fires, on a
    /// thread of its own. When the client goes, its DMA windows and eventfds are dropped; device state stays.
    /// The server takes ownership of <paramref name="connection"/>.
    /// </summary>
    public Task ServeAsync(UnixSocket connection, CancellationToken cancellationToken = default) =>
        Task.Factory.StartNew(() => Serve(connection, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Listens at <paramref name="socketPath"/> and serves clients, each on a thread of its own, until cancelled.</summary>
    public Task ListenAsync(string socketPath, CancellationToken cancellationToken)
    {
        var listener = UnixSocket.Listen(socketPath, 16);
        return Task.Factory.StartNew(() =>
        {
            using (listener)
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    UnixSocket? client;
                    try
                    {
                        client = listener.Accept(100);
                    }
                    catch (PosixException e) when (e.Errno == Errno.EMFILE || e.Errno == Errno.ENFILE)
                    {
                        Report($"accept: out of descriptors ({e.Message}); waiting");
                        Thread.Sleep(50);
                        continue;
                    }
                    if (client is null)
                        continue;
                    if (ClientCount >= Options.MaxClients)
                    {
                        Interlocked.Increment(ref refused);
                        Report($"connection refused: {Options.MaxClients} clients already served");
                        client.Dispose();
                        continue;
                    }
                    var thread = new Thread(() => ServeContained(client, cancellationToken)) { IsBackground = true, Name = "vfio-user client" };
                    thread.Start();
                }
            }
            File.Delete(socketPath);
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Serves one client on the calling thread (see <see cref="ServeAsync"/>).</summary>
    public void Serve(UnixSocket connection, CancellationToken cancellationToken = default)
    {
        using var session = new VfioUserSession(this, connection, cancellationToken);
        lock (sessionsLock)
        {
            if (disposing)
                return;
            sessions.Add(session);
        }
        try
        {
            session.Run();
        }
        finally
        {
            lock (sessionsLock)
                sessions.Remove(session);
        }
    }

    // A session that fails in a way nobody foresaw ends that client, never the server.
    private void ServeContained(UnixSocket client, CancellationToken cancellationToken)
    {
        try
        {
            Serve(client, cancellationToken);
        }
        catch (Exception e)
        {
            CountInternalError(e);
            Report($"vfio-user session ended by an internal error: {e.GetType().Name}: {e.Message}");
        }
    }

    // ---- what sessions share ----

    internal int Waiting => Volatile.Read(ref waiting);

    /// <summary>Waits until the caller owns the device; false when <paramref name="stillWanted"/> says give up.</summary>
    internal bool AcquireDevice(Func<bool> stillWanted)
    {
        Interlocked.Increment(ref waiting);
        try
        {
            while (!owner.Wait(100))
            {
                if (!stillWanted())
                    return false;
            }
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }
    }

    /// <summary>The owner left: its windows and eventfds go, the device stays as it is.</summary>
    internal void ReleaseDevice()
    {
        Dma.RemoteRead = null;
        Dma.RemoteWrite = null;
        Dma.Clear();
        Irqs.Clear();
        Doorbells.Clear();
        owner.Release();
    }

    internal void CountMessage() => Interlocked.Increment(ref messages);

    internal void CountErrorReply() => Interlocked.Increment(ref errorReplies);

    internal void CountDropped() => Interlocked.Increment(ref dropped);

    internal void CountInternalError(Exception e)
    {
        Interlocked.Increment(ref internalErrors);
        LastInternalError = e;
    }

    // At most 100 lines in any 10 s, so a client cannot flood the operator's log; the rest are counted.
    internal void Report(string line)
    {
        long now = Environment.TickCount64;
        lock (sessionsLock)
        {
            if (now - diagnosticsWindow > 10_000)
            {
                if (diagnosticsSuppressed > 0)
                    Diagnostic?.Invoke($"({diagnosticsSuppressed} more diagnostics in the last 10 s not shown)");
                diagnosticsWindow = now;
                diagnostics = 0;
                diagnosticsSuppressed = 0;
            }
            if (++diagnostics <= 100)
                Diagnostic?.Invoke(line);
            else
                diagnosticsSuppressed++;
        }
    }

    /// <summary>Ends every session (their sockets shut down) and waits up to 2 s for them to leave; then frees what they used.</summary>
    public void Dispose()
    {
        VfioUserSession[] open;
        lock (sessionsLock)
        {
            disposing = true;
            open = [.. sessions];
        }
        foreach (var session in open)
            session.Stop();
        long deadline = Environment.TickCount64 + 2000;
        while (ClientCount > 0 && Environment.TickCount64 < deadline)
            Thread.Sleep(10);
        if (ClientCount > 0)
            return; // a session still runs (a device model that never returns): leave it its objects
        Dma.Dispose();
        Irqs.Dispose();
        Doorbells.Dispose();
        owner.Dispose();
    }

    /// <summary>The device's side of the server: DMA through the owner's windows, interrupts to its eventfds.</summary>
    private sealed class Bus(VfioUserServer server) : IDeviceBus
    {
        public bool DmaRead(ulong address, Span<byte> data) => server.Dma.Read(address, data);

        public bool DmaWrite(ulong address, ReadOnlySpan<byte> data) => server.Dma.Write(address, data);

        public void SetIntx(bool asserted) => server.Irqs.SetIntx(asserted);

        public void SignalMsi(int vector) => server.Irqs.SignalMsi(vector);
    }
}
