// SPDX-License-Identifier: MIT
// Managed side. Two wire ends joined in memory (a crossover cable): what one sends, the other
// receives, delivered on the receiver's own thread so two devices never hold each other's locks.
using System.Collections.Concurrent;

namespace LinuxShim.Devices.Wire;

public sealed class InProcessWire : IWire
{
    private const int MaxQueued = 1024;

    private readonly FrameDispatch dispatch = new();
    private readonly BlockingCollection<byte[]> inbox = new(MaxQueued);
    private readonly Thread delivery;
    private InProcessWire? peer;

    private InProcessWire(string name)
    {
        Description = name;
        delivery = new Thread(Deliver) { IsBackground = true, Name = name };
        delivery.Start();
    }

    public event FrameHandler? Received;

    public long HandlerFaults => dispatch.Faults;

    public Exception? FirstHandlerFault => dispatch.FirstFault;

    public string Description { get; }

    /// <summary>Two connected ends.</summary>
    public static (InProcessWire, InProcessWire) CreatePair()
    {
        var a = new InProcessWire("inproc:a");
        var b = new InProcessWire("inproc:b");
        a.peer = b;
        b.peer = a;
        return (a, b);
    }

    public void Send(ReadOnlySpan<byte> frame)
    {
        var p = peer;
        if (p is not null && !p.inbox.IsAddingCompleted)
        {
            try
            {
                p.inbox.TryAdd(frame.ToArray());
            }
            catch (InvalidOperationException)
            {
                // the other end was closed meanwhile: the frame is lost, as on a cut cable
            }
        }
    }

    private void Deliver()
    {
        foreach (var frame in inbox.GetConsumingEnumerable())
            dispatch.Raise(Received, frame);
    }

    public void Dispose()
    {
        inbox.CompleteAdding();
        if (Thread.CurrentThread != delivery)
            delivery.Join();
    }
}
