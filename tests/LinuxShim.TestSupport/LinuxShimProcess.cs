// SPDX-License-Identifier: MIT
// Test helper. The programs tests start and wait for: `linuxshim ARGS` (the CLI's dll beside the test's
// binaries, run by dotnet, as the driver hosts and supervisors of the tests are) or any other program,
// with their output collected whole and a bound on how long they may take.
using System.Diagnostics;

namespace LinuxShim.TestSupport;

/// <summary>How a finished program ended and what it wrote.</summary>
public sealed record ProcessResult(int Exit, string Stdout, string Stderr)
{
    /// <summary>Both streams, standard output first.</summary>
    public string Output => Stdout + Stderr;
}

public static class LinuxShimProcess
{
    /// <summary>The CLI's dll in the test's output folder (every test project references the CLI).</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "linuxshim.dll");

    /// <summary>How to start `linuxshim ARGS`: dotnet with the CLI's dll, both output streams redirected.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Dll);
        foreach (var a in args)
            start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>
    /// Runs `linuxshim ARGS` to its end. <paramref name="environment"/> sets variables (a null value removes
    /// one); past <paramref name="timeout"/> (default 120 s) the process tree is killed and the test fails.
    /// </summary>
    public static ProcessResult Run(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = StartInfo([.. args]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        return Wait(start, timeout ?? TimeSpan.FromSeconds(120));
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/> to its end, as <see cref="Run"/> does.</summary>
    public static ProcessResult Program(string file, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        return Wait(start, timeout ?? TimeSpan.FromSeconds(120));
    }

    private static ProcessResult Wait(ProcessStartInfo start, TimeSpan timeout)
    {
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"{Describe(start)}: no end after {timeout.TotalSeconds} s\n{stdout.Result}\n{stderr.Result}");
        }
        p.WaitForExit(); // the redirected streams are complete only after this
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string Describe(ProcessStartInfo start) =>
        start.FileName == "dotnet" && start.ArgumentList.Count > 0 && start.ArgumentList[0] == Dll
            ? "linuxshim " + string.Join(' ', start.ArgumentList.Skip(1))
            : start.FileName + " " + string.Join(' ', start.ArgumentList);
}
