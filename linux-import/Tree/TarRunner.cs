// SPDX-License-Identifier: MIT
// Managed side. Runs the system `tar` to unpack a tarball, dropping its single top-level folder.
using System.ComponentModel;
using System.Diagnostics;

namespace LinuxShim.Import.Tree;

internal static class TarRunner
{
    public static void Extract(string tarball, string destination)
    {
        var start = new ProcessStartInfo("tar")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-xf", tarball, "-C", destination, "--strip-components=1", "--no-same-owner" })
            start.ArgumentList.Add(arg);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            throw new ImportException($"cannot extract tarball {TreeErrors.Show(tarball)}: the tar program could not be run ({TreeErrors.Reason(e.Message)})", e);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            stdout.Wait();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string firstLine = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .FirstOrDefault() ?? $"tar exited with status {process.ExitCode}";
                throw new ImportException($"cannot extract tarball {TreeErrors.Show(tarball)}: {TreeErrors.Reason(firstLine)}");
            }
        }
    }
}
