// SPDX-License-Identifier: MIT
// Managed side. Progress of a long run on stderr: a one-line bar on a terminal; when stderr is redirected
// (a batch job's log) and the caller asks for it (scan), one line every half minute with the rate and the
// time left, none for short runs.
namespace LinuxShim.Tools;

public sealed class Progress(TextWriter stderr, string label = "", TimeSpan? logInterval = null, bool logWhenRedirected = false, string unit = "sources")
{
    private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
    private readonly TimeSpan _logInterval = logInterval ?? TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private readonly DateTime _start = DateTime.UtcNow;
    private DateTime _lastLine = DateTime.UtcNow;
    private bool _drawn;

    public void Report(int done, int total, string file)
    {
        lock (_lock)
        {
            var now = DateTime.UtcNow;
            double seconds = (now - _start).TotalSeconds;
            if (!_terminal)
            {
                if (!logWhenRedirected || now - _lastLine < _logInterval && done < total || now - _start < _logInterval)
                    return;
                _lastLine = now;
                double left = done == 0 ? 0 : seconds / done * (total - done);
                stderr.WriteLine($"linuxshim: {label}{done}/{total} {unit} ({100.0 * done / Math.Max(total, 1):0}%), {seconds:0} s, "
                    + $"{seconds / Math.Max(done, 1):0.00} s each, about {left:0} s left");
                return;
            }
            const int width = 30;
            int filled = total == 0 ? width : done * width / total;
            string name = file.Length > 40 ? "…" + file[^39..] : file;
            stderr.Write($"\r{label}[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} {seconds,5:0.0}s {name,-40}");
            _drawn = true;
        }
    }

    public void Finish()
    {
        if (_drawn)
            stderr.Write("\r" + new string(' ', 100) + "\r");
    }
}
