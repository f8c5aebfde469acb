// SPDX-License-Identifier: MIT
// Managed side. A one-line progress bar on a terminal (stderr); silent when stderr is redirected.
namespace LinuxShim.Tools;

public sealed class Progress(TextWriter stderr, string label = "")
{
    private readonly bool _terminal = !Console.IsErrorRedirected && ReferenceEquals(stderr, Console.Error);
    private readonly Lock _lock = new();
    private readonly DateTime _start = DateTime.UtcNow;
    private bool _drawn;

    public void Report(int done, int total, string file)
    {
        if (!_terminal)
            return;
        lock (_lock)
        {
            const int width = 30;
            int filled = total == 0 ? width : done * width / total;
            double seconds = (DateTime.UtcNow - _start).TotalSeconds;
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
