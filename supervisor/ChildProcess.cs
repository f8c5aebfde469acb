// SPDX-License-Identifier: MIT
// Managed side. A linuxshim subcommand run as a child process (the device server, the driver host):
// its output lines are forwarded with a prefix and can be waited for; it is stopped with SIGTERM
// (and SIGKILL when it does not go), and its exit is noticed.
using System.Diagnostics;
using System.Runtime.InteropServices;
using LinuxShim.Posix;

namespace LinuxShim.Supervisor;

public sealed partial class ChildProcess : IDisposable
{
    private readonly Process process;
    private readonly string label;
    private readonly List<string> lines = [];
    private readonly object gate = new();
    private readonly TextWriter log;

    private ChildProcess(Process process, string label, TextWriter log)
    {
        this.process = process;
        this.label = label;
        this.log = log;
    }

    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    /// <summary>Raised (on a pool thread) when the child exits.</summary>
    public event Action<ChildProcess>? Exited;

    /// <summary>
    /// How to run the linuxshim command line (the device server is `linuxshim device`): (file, leading arguments).
    /// Its linuxshim.dll sits beside this library.
    /// </summary>
    public static (string File, string[] Prefix) Self() => Program(Path.Combine(AppContext.BaseDirectory, "linuxshim.dll"));

    /// <summary>The driver host's executable (linuxshim-host, which references the shim only).</summary>
    public static (string File, string[] Prefix) DriverHost() => Program(typeof(Host.HostCommand).Assembly.Location);

    // One of our programs by its dll: run by the same dotnet as this process when that is dotnet (as under the
    // launcher and in tests), else as its app host, which the SDK puts beside the dll.
    private static (string File, string[] Prefix) Program(string dll)
    {
        string path = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell this program's path");
        return Path.GetFileNameWithoutExtension(path) == "dotnet" ? (path, [dll]) : (Path.ChangeExtension(dll, null), []);
    }

    /// <summary>Starts `linuxshim ARGS` with its standard output and error forwarded to <paramref name="log"/> as "[label] line".</summary>
    public static ChildProcess Start(string label, IEnumerable<string> args, TextWriter log, IReadOnlyDictionary<string, string>? environment = null,
        IReadOnlyList<string>? wrapper = null, bool input = false) =>
        Start(Self(), label, args, log, environment, wrapper, input);

    /// <summary>Starts <paramref name="program"/> (its file and the arguments before <paramref name="args"/>).</summary>
    public static ChildProcess Start((string File, string[] Prefix) program, string label, IEnumerable<string> args, TextWriter log,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? wrapper = null, bool input = false)
    {
        var (file, prefix) = program;
        if (wrapper is { Count: > 0 })
        {
            // e.g. unshare --user ...: the wrapper execs this program, keeping the process id.
            prefix = [.. wrapper.Skip(1), file, .. prefix];
            file = wrapper[0];
        }
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input, UseShellExecute = false };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            info.Environment[k] = v;
        foreach (var a in prefix.Concat(args))
            info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, label, log);
        process.OutputDataReceived += (_, e) => child.Line(e.Data);
        process.ErrorDataReceived += (_, e) => child.Line(e.Data);
        process.Exited += (_, _) => child.Exited?.Invoke(child);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Line(string? line)
    {
        if (line is null)
            return;
        lock (gate)
        {
            lines.Add(line);
            Monitor.PulseAll(gate);
        }
        lock (log)
            log.WriteLine($"[{label}] {line}");
    }

    /// <summary>
    /// Waits for an output line starting with <paramref name="prefix"/> and returns it; throws when the
    /// child exits first or the timeout passes.
    /// </summary>
    public string WaitForLine(string prefix, TimeSpan timeout) => WaitForLine(l => l.StartsWith(prefix, StringComparison.Ordinal), prefix, timeout);

    /// <summary>
    /// Waits until a `linuxshim device` child serves at <paramref name="socket"/>: its "linuxshim device: MODEL MAC on
    /// SOCKET, wire …" line, not the lines it forwards from QEMU, which start the same way and come before it.
    /// </summary>
    public string WaitForDevice(string socket, TimeSpan timeout) =>
        WaitForLine(l => l.StartsWith("linuxshim device: ", StringComparison.Ordinal) && l.Contains($" on {socket}, wire ", StringComparison.Ordinal),
            $"linuxshim device: … on {socket}", timeout);

    private string WaitForLine(Func<string, bool> match, string what, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        lock (gate)
        {
            int seen = 0;
            while (true)
            {
                for (; seen < lines.Count; seen++)
                    if (match(lines[seen]))
                        return lines[seen];
                if (process.HasExited)
                {
                    // Output may still be arriving: give the readers a moment before giving up.
                    process.WaitForExit();
                    for (; seen < lines.Count; seen++)
                        if (match(lines[seen]))
                            return lines[seen];
                    throw new IOException($"{label} exited with status {process.ExitCode} before it was ready");
                }
                var left = timeout - deadline.Elapsed;
                if (left <= TimeSpan.Zero)
                    throw new TimeoutException($"{label} was not ready after {timeout.TotalSeconds:F0} s (no line {what})");
                Monitor.Wait(gate, TimeSpan.FromMilliseconds(Math.Min(200, left.TotalMilliseconds)));
            }
        }
    }

    /// <summary>Writes a line to the child's standard input (started with input: true); false when it is gone.</summary>
    public bool WriteLine(string line)
    {
        try
        {
            process.StandardInput.WriteLine(line);
            process.StandardInput.Flush();
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Every line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (gate)
                return [.. lines];
        }
    }

    /// <summary>Asks the child to stop (SIGTERM) and waits; kills it after <paramref name="grace"/>. Its exit status.</summary>
    public int Stop(TimeSpan grace)
    {
        if (!process.HasExited)
        {
            Libc.Kill(process.Id, Libc.SIGTERM);
            if (!process.WaitForExit(grace))
            {
                lock (log)
                    log.WriteLine($"[{label}] did not stop within {grace.TotalSeconds:F0} s: killed");
                process.Kill();
            }
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Waits up to <paramref name="milliseconds"/> for the child to exit; true when it has.</summary>
    public bool WaitForExit(int milliseconds)
    {
        if (!process.WaitForExit(milliseconds))
            return false;
        process.WaitForExit(); // its last output lines are read too
        return true;
    }

    /// <summary>Kills the child at once (SIGKILL).</summary>
    public void Kill()
    {
        if (!process.HasExited)
            process.Kill();
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited)
            Stop(TimeSpan.FromSeconds(5));
        else
            process.WaitForExit(); // exited by itself: its last output lines are read before the readers go
        process.Dispose();
    }
}
