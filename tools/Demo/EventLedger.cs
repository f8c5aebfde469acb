// SPDX-License-Identifier: MIT
// Managed side. The bookkeeping of acknowledged events (DemoFrames' LSEV/LSAK), shared by the demo's
// monitor, the soak benchmark and the fault campaign's critical client: the sender keeps what is not
// acknowledged yet (to resend it, oldest first); the collector keeps what arrived, as a contiguous
// prefix plus the sequence numbers beyond it, and acknowledges the prefix cumulatively.
namespace LinuxShim.Tools.Demo;

/// <summary>The sender's side: events sent and not acknowledged yet, with when each was last sent. Thread-safe.</summary>
public sealed class OutstandingEvents
{
    private readonly object gate = new();
    private readonly SortedDictionary<int, (byte[] Frame, long SentAt)> unacked = [];
    private int acked;

    /// <summary>An event about to be sent (now, on the clock of <paramref name="nowMs"/>; default Environment.TickCount64).</summary>
    public void Add(int seq, byte[] frame, long? nowMs = null)
    {
        lock (gate)
            unacked[seq] = (frame, nowMs ?? Environment.TickCount64);
    }

    /// <summary>
    /// The <paramref name="max"/> oldest events not acknowledged and not sent in the last <paramref name="minAgeMs"/> ms,
    /// to send again (each stamped as sent now). A minimum age of about a round trip keeps a sender whose
    /// acknowledgements are slow from sending the same events again and again, crowding out the ones that help.
    /// </summary>
    public List<byte[]> Oldest(int max, int minAgeMs = 0, long? nowMs = null)
    {
        long now = nowMs ?? Environment.TickCount64;
        lock (gate)
        {
            var due = unacked.Where(e => now - e.Value.SentAt >= minAgeMs).Take(max).ToList();
            foreach (var (seq, (frame, _)) in due)
                unacked[seq] = (frame, now);
            return [.. due.Select(e => e.Value.Frame)];
        }
    }

    /// <summary>A cumulative acknowledgement: every event up to <paramref name="upTo"/> arrived. How many are still outstanding.</summary>
    public int Acknowledge(int upTo)
    {
        lock (gate)
        {
            foreach (int seq in unacked.Keys.TakeWhile(k => k <= upTo).ToList())
                unacked.Remove(seq);
            acked = Math.Max(acked, upTo + 1);
            return unacked.Count;
        }
    }

    public int Pending
    {
        get
        {
            lock (gate)
                return unacked.Count;
        }
    }

    /// <summary>Events acknowledged (the highest cumulative acknowledgement + 1).</summary>
    public int Acked
    {
        get
        {
            lock (gate)
                return acked;
        }
    }
}

/// <summary>The collector's side: events that arrived, each counted once. Thread-safe.</summary>
public sealed class DeliveredEvents
{
    private readonly HashSet<int> beyond = []; // arrived above the contiguous prefix
    private int contiguous = -1;

    /// <summary>Records an arrival; the cumulative acknowledgement to send (-1: none yet).</summary>
    public int Record(int seq)
    {
        lock (beyond)
        {
            if (seq > contiguous)
                beyond.Add(seq);
            while (beyond.Remove(contiguous + 1))
                contiguous++;
            return contiguous;
        }
    }

    /// <summary>Events that arrived with a sequence number below <paramref name="below"/>.</summary>
    public int Count(int below = int.MaxValue)
    {
        lock (beyond)
            return Math.Min(contiguous + 1, below) + beyond.Count(s => s < below);
    }
}
