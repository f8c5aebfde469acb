// SPDX-License-Identifier: MIT
// Managed side. Raises a wire's Received event from its receive loop with every handler's exceptions
// contained and counted, so one failing subscriber neither ends the loop (and the process with its
// thread) nor keeps the frame from the other subscribers.
namespace LinuxShim.Devices.Wire;

internal sealed class FrameDispatch
{
    private long faults;
    private Exception? first;

    /// <summary>Exceptions handlers have thrown so far.</summary>
    public long Faults => Interlocked.Read(ref faults);

    /// <summary>The first of them, for diagnosis.</summary>
    public Exception? FirstFault => Volatile.Read(ref first);

    /// <summary>Calls each handler in <paramref name="handlers"/> with <paramref name="frame"/>; never throws.</summary>
    public void Raise(FrameHandler? handlers, ReadOnlySpan<byte> frame)
    {
        if (handlers is null)
            return;
        if (handlers.HasSingleTarget)
        {
            Invoke(handlers, frame);
            return;
        }
        foreach (var handler in Delegate.EnumerateInvocationList(handlers))
            Invoke(handler, frame);
    }

    private void Invoke(FrameHandler handler, ReadOnlySpan<byte> frame)
    {
        try
        {
            handler(frame);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref first, e, null);
            Interlocked.Increment(ref faults);
        }
    }
}
