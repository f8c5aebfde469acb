// SPDX-License-Identifier: MIT
// Managed side. The bound on a driver host's way out: once a shutdown begins (a signal, or the exit
// path starting), the host has a fixed time to finish it in order (ndo_stop, module exit); after that
// it ends anyway with one line and status 73, whatever its threads are stuck on. The watching thread
// is started up front, so ending needs nothing the stuck process might not give (no new thread, and
// no lock but this object's own, held only for a moment).
namespace LinuxShim.Shim.Host;

public sealed class ShutdownDeadline : IDisposable
{
    private readonly object gate = new();
    private readonly Action<string, int> end;
    private long due = long.MaxValue;
    private long granted;
    private string reason = "";
    private bool finished;

    /// <param name="timeout">How long an orderly shutdown may take once a signal asked for it.</param>
    /// <param name="end">How the process ends when it takes longer (default <see cref="HostExit.Now"/>).</param>
    public ShutdownDeadline(TimeSpan timeout, Action<string, int>? end = null)
    {
        if (timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), "the shutdown timeout must be positive");
        Timeout = timeout;
        this.end = end ?? HostExit.Now;
        new Thread(Watch) { IsBackground = true, Name = "host-shutdown-deadline" }.Start();
    }

    public TimeSpan Timeout { get; }

    /// <summary>
    /// Starts the clock: the process ends <paramref name="within"/> (default <see cref="Timeout"/>) from
    /// now unless <see cref="Finished"/> comes first. A later call can bring the end closer, never push
    /// it back; <paramref name="why"/> of the call that set it goes into the exit line.
    /// </summary>
    public void Begin(string why, TimeSpan? within = null)
    {
        long span = (long)Math.Ceiling((within ?? Timeout).TotalMilliseconds);
        lock (gate)
        {
            long at = Environment.TickCount64 + span;
            if (at >= due)
                return;
            due = at;
            granted = span;
            reason = why;
            Monitor.PulseAll(gate);
        }
    }

    /// <summary>The orderly shutdown is done: the deadline no longer applies.</summary>
    public void Finished()
    {
        lock (gate)
        {
            finished = true;
            Monitor.PulseAll(gate);
        }
    }

    private void Watch()
    {
        string message;
        lock (gate)
        {
            while (true)
            {
                if (finished)
                    return;
                long left = due - Environment.TickCount64;
                if (left <= 0)
                    break;
                Monitor.Wait(gate, due == long.MaxValue ? System.Threading.Timeout.Infinite : (int)Math.Min(left, int.MaxValue));
            }
            message = $"{reason}: the orderly shutdown did not finish within {granted} ms; exiting";
        }
        end(message, HostExit.ShutdownTimedOut);
    }

    public void Dispose() => Finished();
}
