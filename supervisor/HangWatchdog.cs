// SPDX-License-Identifier: MIT
// Managed side. The supervisor's hang decision for one driver host, apart from any socket or clock so
// it can be tested on its own. The host answers each heartbeat without the shim's CPU, with the CPU's
// progress counters, how long the CPU has been held and the processor time of its holder. A busy
// driver keeps the CPU held but the counters moving; an idle one leaves the CPU free; a stuck one
// holds the CPU with nothing moving. Hung: the CPU held with no counter moving for the watchdog time
// while its holder kept running (a spin in a handler or a poll loop: it burned at least a quarter of
// that time), or for four watchdog times whatever the holder did (blocked for ever, or so starved by
// a loaded machine that it made no progress either); or no answer at all for the no-answer time,
// unless the host's threads spent at least half of the silence's second half waiting on a run queue
// (runnable, the machine giving them no CPU: /proc/PID/task/*/schedstat), which is starvation, not a
// hang: then it is judged again every half no-answer time, up to four no-answer times in all. A held
// CPU's stall is likewise excused for the time its holder waited for the device to answer (a device
// server the machine starves; the device's own reply timeout judges a device that never answers) or
// for a processor (its run-queue wait): blocked for four watchdog times besides those waits, or held
// without progress for four times that whatever the reason, is a hang.
namespace LinuxShim.Supervisor;

public sealed class HangWatchdog(int watchdogMs, int noAnswerMs)
{
    /// <summary>A hang: how long the CPU had made no progress, the processor time its holder used meanwhile (-1: unknown), and whether it spun.</summary>
    public sealed record Hang(long StalledMs, long HolderCpuMs, bool Spinning);

    private long answeredAt, progressAt, stallCpuFrom = -1, stallExcusedFrom = -1;
    private long markAt = -1, markWaitMs = -1, extendedTo = -1; // during a silence: the run-queue mark, the later deadline
    private long[]? progress;

    public int WatchdogMs => watchdogMs;
    public int NoAnswerMs => noAnswerMs;

    /// <summary>A held CPU that does not spin is hung after this long without progress (besides excused waits).</summary>
    public long StuckMs => 4L * watchdogMs;

    /// <summary>A held CPU without progress is hung after this long, however much of it its holder's waits excuse.</summary>
    public long ExcusedLimitMs => 4L * StuckMs;

    private bool excusedThisStall;

    /// <summary>Stalls that would have been hangs but for the holder's waits on the device or for a processor.</summary>
    public long ExcusedStalls { get; private set; }

    /// <summary>Answers received.</summary>
    public long Answers { get; private set; }

    /// <summary>Answers that found the CPU held (a heartbeat that needed the CPU would have waited).</summary>
    public long BusyAnswers { get; private set; }

    /// <summary>The longest time the CPU was seen held with no counter moving, short of a hang (ms).</summary>
    public long LongestStallMs { get; private set; }

    /// <summary>The processor time the holder used during that longest stall (ms, -1: unknown).</summary>
    public long LongestStallCpuMs { get; private set; } = -1;

    /// <summary>The stall the last answer showed (ms without progress, the holder's processor time meanwhile; 0 and -1 when none).</summary>
    public (long Ms, long HolderCpuMs) CurrentStall { get; private set; } = (0, -1);

    /// <summary>The longest time between two answers (ms).</summary>
    public long LongestSilenceMs { get; private set; }

    /// <summary>A silence longer than this is a hang however starved the host was.</summary>
    public long StarvedLimitMs => 4L * noAnswerMs;

    /// <summary>Times a silence was let run on because the host's threads were waiting for a CPU.</summary>
    public long StarvedSilences { get; private set; }

    /// <summary>Starts watching at <paramref name="now"/> (ms), when the host is up.</summary>
    public void Start(long now)
    {
        answeredAt = progressAt = now;
        progress = null;
        stallCpuFrom = stallExcusedFrom = -1;
        markAt = markWaitMs = extendedTo = -1;
    }

    /// <summary>How long to wait for the next answer before the host counts as silent (ms, ≤ 0: already).</summary>
    public long AnswerDue(long now) => (extendedTo >= 0 ? extendedTo : answeredAt + noAnswerMs) - now;

    /// <summary>How long since the last answer (ms).</summary>
    public long SilenceMs(long now) => now - answeredAt;

    /// <summary>When a silence's run-queue mark is due (ms from <paramref name="now"/>; half the no-answer time in; long.MaxValue once taken).</summary>
    public long MarkDue(long now) => markAt >= 0 ? long.MaxValue : answeredAt + noAnswerMs / 2 - now;

    /// <summary>The mark: the host's threads' run-queue wait so far (ms; null: not known, and the silence is judged without it).</summary>
    public void Mark(long now, long? runQueueWaitMs)
    {
        markAt = now;
        markWaitMs = runQueueWaitMs ?? -1;
    }

    /// <summary>
    /// Silent past the deadline: the ms since the last answer, else null. With the run-queue wait now and a mark
    /// taken, a host whose threads waited for a CPU at least half the time since the mark is starved, not hung:
    /// null, and the deadline moves half a no-answer time on (up to <see cref="StarvedLimitMs"/>).
    /// </summary>
    public long? Silent(long now, long? runQueueWaitMs = null)
    {
        long silent = now - answeredAt;
        if (AnswerDue(now) > 0)
            return null;
        if (runQueueWaitMs is { } wait && markAt >= 0 && markWaitMs >= 0 && silent < StarvedLimitMs
            && now > markAt && (wait - markWaitMs) * 2 >= now - markAt)
        {
            StarvedSilences++;
            markAt = now;
            markWaitMs = wait;
            extendedTo = now + noAnswerMs / 2;
            return null;
        }
        return silent;
    }

    /// <summary>
    /// An answer at <paramref name="now"/> (ms): the host's counters, how long its CPU had been held (0:
    /// free), the processor time of the holding thread (ms, -1: unknown) and the time holders have waited, in
    /// all, for what is not the driver's doing: the device's replies and a processor (ms, -1: unknown). Null
    /// while healthy, else the hang.
    /// </summary>
    public Hang? Answer(long now, long[] counters, long cpuHeldMs, long holderCpuMs, long holderExcusedMs = -1)
    {
        Answers++;
        LongestSilenceMs = Math.Max(LongestSilenceMs, now - answeredAt);
        answeredAt = now;
        markAt = markWaitMs = extendedTo = -1;
        if (cpuHeldMs > 0)
            BusyAnswers++;
        if (cpuHeldMs == 0 || progress is null || !counters.AsSpan().SequenceEqual(progress))
        {
            // Something got done since the last answer that showed progress, or the CPU is free: not
            // stuck. The counters changed at the latest now, so a stall is measured from here, never
            // from earlier: a hang needs a full watchdog time without progress.
            progress = (long[])counters.Clone();
            progressAt = now;
            stallCpuFrom = cpuHeldMs > 0 ? holderCpuMs : -1;
            stallExcusedFrom = cpuHeldMs > 0 ? holderExcusedMs : -1;
            excusedThisStall = false;
            CurrentStall = (0, -1);
            return null;
        }
        // The same counters with the CPU held: one holder all along since progressAt (a release would
        // have moved cpu_handoffs), but no longer than the host says it has held the CPU.
        if (stallCpuFrom < 0)
            stallCpuFrom = holderCpuMs;
        if (stallExcusedFrom < 0)
            stallExcusedFrom = holderExcusedMs;
        long stalled = Math.Min(now - progressAt, cpuHeldMs);
        long spent = stallCpuFrom >= 0 && holderCpuMs >= stallCpuFrom ? holderCpuMs - stallCpuFrom : -1;
        long excused = stallExcusedFrom >= 0 && holderExcusedMs >= stallExcusedFrom ? Math.Min(stalled, holderExcusedMs - stallExcusedFrom) : 0;
        // Spinning: the holder burned a quarter of the stall (of the watchdog time, at least) — a rate, so that a
        // holder that mostly waits is not called a spinner by the crumbs of processor time a long wait adds up to.
        bool spinning = spent * 4 >= Math.Max(watchdogMs, stalled);
        CurrentStall = (stalled, spent);
        if ((stalled >= watchdogMs && spinning) || stalled - excused >= StuckMs || stalled >= ExcusedLimitMs)
            return new Hang(stalled, spent, spinning);
        if (stalled >= StuckMs && !excusedThisStall)
        {
            excusedThisStall = true;
            ExcusedStalls++;
        }
        if (stalled > LongestStallMs)
            (LongestStallMs, LongestStallCpuMs) = (stalled, spent);
        return null;
    }
}
