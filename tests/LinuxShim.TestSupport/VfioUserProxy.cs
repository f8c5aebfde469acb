// SPDX-License-Identifier: MIT
// Test side. A vfio-user proxy between a driver host process and a real device server in this
// process: it forwards every message unchanged until told to turn hostile (garbage, silence or a
// closed socket instead of the next reply), and keeps a copy of the INTx eventfd the host registers,
// so a test can raise the host's interrupt whenever it likes (while the host shuts down, say).
using System.Buffers.Binary;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.TestSupport;

public sealed class VfioUserProxy : IDisposable
{
    public enum Sabotage { None, Garbage, Silence, Close }

    private const int MaxMessage = (1 << 20) + 64;
    private readonly VfioUserServer server;
    private readonly UnixSocket listener;
    private readonly Thread acceptor;
    private readonly CancellationTokenSource stop = new();
    private readonly object gate = new();
    private UnixSocket? current;
    private EventFd? intx;
    private int mode;
    private long replies;

    public VfioUserProxy(VfioUserServer server, string socketPath)
    {
        this.server = server;
        SocketPath = socketPath;
        listener = UnixSocket.Listen(socketPath);
        acceptor = new Thread(Accept) { IsBackground = true, Name = "vfio-user proxy" };
        acceptor.Start();
    }

    public string SocketPath { get; }

    /// <summary>Clients accepted so far.</summary>
    public int Connections { get; private set; }

    /// <summary>Replies forwarded to clients so far.</summary>
    public long Replies => Interlocked.Read(ref replies);

    /// <summary>Set once a sabotage was carried out.</summary>
    public ManualResetEventSlim Sabotaged { get; } = new();

    /// <summary>What happens to the next reply (then the proxy is honest again for later clients).</summary>
    public Sabotage Next
    {
        get => (Sabotage)Volatile.Read(ref mode);
        set => Volatile.Write(ref mode, (int)value);
    }

    /// <summary>Signals the INTx eventfd the current client registered; false when it has none.</summary>
    public bool RaiseIntx()
    {
        lock (gate)
        {
            if (intx is null)
                return false;
            intx.Signal();
            return true;
        }
    }

    /// <summary>True once a client has registered an INTx eventfd.</summary>
    public bool HasIntx
    {
        get
        {
            lock (gate)
                return intx is not null;
        }
    }

    private void Accept()
    {
        while (!stop.IsCancellationRequested)
        {
            UnixSocket? client;
            try
            {
                client = listener.Accept(100);
            }
            catch (PosixException)
            {
                return;
            }
            if (client is null)
                continue;
            Connections++;
            var (near, far) = UnixSocket.CreatePair();
            var serving = server.ServeAsync(far, stop.Token);
            lock (gate)
                current = client;
            try
            {
                Forward(new VfioUserConnection(client, MaxMessage), new VfioUserConnection(near, MaxMessage));
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
            }
            finally
            {
                lock (gate)
                {
                    current = null;
                    intx?.Dispose();
                    intx = null;
                }
                client.Dispose();
                near.Dispose();
                try { serving.Wait(5000); } catch (AggregateException) { }
            }
        }
    }

    private void Forward(VfioUserConnection client, VfioUserConnection device)
    {
        bool silent = false;
        while (true)
        {
            var m = client.Receive();
            if (m is null)
                return;
            if (silent)
            {
                Close(m.Fds);
                continue;
            }
            var h = m.Header;
            device.Send(h, m.Payload.Span, m.Fds.ToArray());
            KeepIntx(h, m.Payload.Span, m.Fds);
            if (h.WantsNoReply)
                continue;
            var r = device.Receive() ?? throw new EndOfStreamException("the device server went away");
            Close(r.Fds);
            switch ((Sabotage)Interlocked.Exchange(ref mode, (int)Sabotage.None))
            {
                case Sabotage.Garbage:
                    Sabotaged.Set();
                    var junk = new byte[48];
                    Random.Shared.NextBytes(junk);
                    BinaryPrimitives.WriteUInt32LittleEndian(junk.AsSpan(8), 0x7); // type 7: neither command nor reply
                    BinaryPrimitives.WriteUInt32LittleEndian(junk.AsSpan(4), 48);
                    client.Socket.Send(junk);
                    continue;
                case Sabotage.Silence:
                    Sabotaged.Set();
                    silent = true;
                    continue;
                case Sabotage.Close:
                    Sabotaged.Set();
                    return;
            }
            client.Send(r.Header, r.Payload.Span);
            Interlocked.Increment(ref replies);
        }
    }

    // The INTx eventfd of a SET_IRQS trigger request stays open here too (the server got its own copy).
    private void KeepIntx(VfioUserHeader h, ReadOnlySpan<byte> p, List<int> fds)
    {
        if (h.Command == (ushort)VfioUserCommand.DeviceSetIrqs && p.Length >= 20 && fds.Count == 1
            && BinaryPrimitives.ReadUInt32LittleEndian(p[8..]) == VfioAbi.IrqIntx)
        {
            lock (gate)
            {
                intx?.Dispose();
                intx = new EventFd(fds[0]);
            }
            fds.Clear();
        }
        Close(fds);
    }

    private static void Close(List<int> fds)
    {
        foreach (int fd in fds)
            new EventFd(fd).Dispose(); // closes the descriptor, whatever it is
        fds.Clear();
    }

    public void Dispose()
    {
        stop.Cancel();
        lock (gate)
            current?.Shutdown();
        acceptor.Join(TimeSpan.FromSeconds(10));
        listener.Dispose();
    }
}
