// SPDX-License-Identifier: MIT
// Managed side. Runs a system program (tar, make, nm) to completion and returns its exit code and
// output; a program that cannot be started becomes an ImportException worded by the caller.
using System.ComponentModel;
using System.Diagnostics;

namespace LinuxShim.Import;

internal static class ExternalProgram
{
    /// <param name="cannotStart">The one-line error for a program that could not be run, given the reason.</param>
    public static (int ExitCode, string Output, string Errors) Run(string program, IEnumerable<string> arguments,
        string? workDir, Func<string, string> cannotStart)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workDir is not null)
            start.WorkingDirectory = workDir;
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            // Not installed: name the Debian package that provides it, so it can be installed.
            throw Install.DebianPackages.ForProgram(program) is { } package
                ? new ImportException(cannotStart(e.Message), [package])
                : new ImportException(cannotStart(e.Message), e);
        }
        using (process)
        {
            // Both pipes are drained at once, so neither can fill and stall the program.
            var errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, errors.Result);
        }
    }
}
