// SPDX-License-Identifier: MIT
// Managed side. The bound on a driver host's way out: once a shutdown begins (a signal, or the exit
// path starting), the host has a fixed time to finish it in order (ndo_stop, module exit); after that
// it ends anyway with one line and status 73, whatever its threads are stuck on. The watching thread
// is started up front, so ending needs nothing the stuck process might not give (no new thread, no lock).
namespace LinuxShim.Shim.Host;

public sealed class ShutdownDeadline : IDisposable
{
    private readonly ManualResetEventSlim begun = new();
    private readonly ManualResetEventSlim finished = new();
    private readonly Action<string, int> end;
    private string reason = "";
    private int started;

    /// <param name="timeout">How long an orderly shutdown may take once it has begun.</param>
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

    /// <summary>True once a shutdown has begun.</summary>
    public bool HasBegun => begun.IsSet;

    /// <summary>Starts the clock (the first call counts); <paramref name="why"/> goes into the exit line.</summary>
    public void Begin(string why)
    {
        if (Interlocked.Exchange(ref started, 1) != 0)
            return;
        reason = why;
        begun.Set();
    }

    /// <summary>The orderly shutdown is done: the deadline no longer applies.</summary>
    public void Finished() => finished.Set();

    private void Watch()
    {
        WaitHandle.WaitAny([begun.WaitHandle, finished.WaitHandle]);
        if (finished.IsSet)
            return;
        if (!finished.Wait(Timeout))
            end($"{reason}: the orderly shutdown did not finish within {Timeout.TotalMilliseconds:F0} ms; exiting", HostExit.ShutdownTimedOut);
    }

    public void Dispose() => Finished();
}
