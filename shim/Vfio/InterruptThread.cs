// SPDX-License-Identifier: MIT
// Managed side. One thread per routed interrupt vector: it waits on the vector's eventfd (signalled
// by the device server or the kernel) and calls the handler once per wake-up.
using LinuxShim.Posix;

namespace LinuxShim.Shim.Vfio;

internal sealed class InterruptThread : IDisposable
{
    private readonly EventFd stop = new();
    private readonly Action handler;
    private readonly Thread thread;
    private volatile bool stopped;
    private int disposed;

    public InterruptThread(string name, Action handler)
    {
        this.handler = handler;
        thread = new Thread(Loop) { IsBackground = true, Name = name };
        thread.Start();
    }

    /// <summary>The eventfd to hand to whoever raises the interrupt.</summary>
    public EventFd Trigger { get; } = new();

    private void Loop()
    {
        try
        {
            while (EventFd.WaitEither(Trigger, stop) && !stopped)
            {
                if (Trigger.Consume() != 0 && !stopped)
                    handler();
            }
        }
        finally
        {
            // The thread closes its descriptors itself: nobody waits for it (see Dispose), and a
            // descriptor closed under its poll could be reused by another file meanwhile.
            Trigger.Dispose();
            stop.Dispose();
        }
    }

    /// <summary>
    /// Stops the thread without waiting for it. A handler call already under way may still finish (or,
    /// blocked on a lock the caller holds, even start its work) after this returns: waiting here
    /// deadlocked free_irq, which runs on the shim's CPU while the handler waits for that CPU. A
    /// handler that must not run late checks its own state under its own lock (Irq does, on the CPU).
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        // Signal first: the thread cannot leave (and close the descriptor) before the write is done.
        stop.Signal();
        stopped = true;
    }
}
