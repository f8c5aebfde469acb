// SPDX-License-Identifier: MIT
// Managed side, the supervisor. How long a host's threads have waited for a CPU: the sum over its
// threads of the scheduler's run-queue wait (the second field of /proc/PID/task/TID/schedstat, in ns,
// kept by Linux's sched_info accounting: runnable but not running). A host that stops answering while
// this grows is starved by a loaded machine, not hung. Threads that ended take their wait with them, so
// the sum can go down; comparing two sums then shows less waiting than there was (a silence is judged as
// it would be without it).
using System.Globalization;

namespace LinuxShim.Supervisor;

public static class HostSchedStat
{
    /// <summary>The run-queue wait of all <paramref name="pid"/>'s threads so far (ms), or null when it cannot be read.</summary>
    public static long? RunQueueWaitMs(int pid)
    {
        try
        {
            long total = 0;
            bool any = false;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                string text;
                try
                {
                    text = File.ReadAllText(Path.Combine(task, "schedstat"));
                }
                catch (IOException)
                {
                    continue; // the thread ended meanwhile
                }
                if (WaitNs(text) is long waitNs)
                {
                    total += waitNs;
                    any = true;
                }
            }
            return any ? total / 1_000_000 : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the host is gone, or its /proc is not ours to read
        }
    }

    /// <summary>The run-queue wait of one thread, <paramref name="tid"/> of <paramref name="pid"/>, so far (ms), or null when it cannot be read.</summary>
    public static long? ThreadRunQueueWaitMs(int pid, int tid)
    {
        try
        {
            return WaitNs(File.ReadAllText($"/proc/{pid}/task/{tid}/schedstat")) / 1_000_000;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the thread or the host is gone, or its /proc is not ours to read
        }
    }

    // The run-queue wait in a schedstat line (its second field, ns), or null when the line has none.
    private static long? WaitNs(string schedstat)
    {
        var fields = schedstat.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long waitNs) ? waitNs : null;
    }
}
