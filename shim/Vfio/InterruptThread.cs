// SPDX-License-Identifier: MIT
// Managed side. One thread per routed interrupt vector: it waits on the vector's eventfd (signalled
// by the device server or the kernel) and calls the handler once per wake-up.
namespace LinuxShim.Shim.Vfio;

internal sealed class InterruptThread : IDisposable
{
    private readonly EventFd stop = new();
    private readonly Action handler;
    private readonly Thread thread;

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
        while (EventFd.WaitEither(Trigger, stop))
        {
            if (Trigger.Consume() != 0)
                handler();
        }
    }

    public void Dispose()
    {
        stop.Signal();
        if (Thread.CurrentThread != thread)
            thread.Join();
        Trigger.Dispose();
        stop.Dispose();
    }
}
