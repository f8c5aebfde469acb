// SPDX-License-Identifier: MIT
// Managed side. Installs the Debian packages a command found missing (a kernel's source and headers, make,
// gcc-12…) when this process may: as root, or through sudo without a password. Otherwise it prints the one
// apt-get line to run. Only when installed kernels are looked for under "/": packages never land under
// $LINUXSHIM_SYSROOT. $LINUXSHIM_INSTALL=never only prints the line; $LINUXSHIM_APT_GET names the apt-get
// to run (tests give a stand-in, which is then trusted to install into the sysroot).
using System.Diagnostics;
using LinuxShim.Import.Install;

namespace LinuxShim.Tools;

public static class PackageInstaller
{
    public const string InstallVariable = "LINUXSHIM_INSTALL";
    public const string AptGetVariable = "LINUXSHIM_APT_GET";

    /// <summary>How packages get installed here: as root (no prefix), through "sudo -n", or not at all (null).</summary>
    public static string[]? Prefix(bool root, Func<bool> sudoWithoutPassword) =>
        root ? [] : sudoWithoutPassword() ? ["sudo", "-n"] : null;

    /// <summary>The apt-get line a person would run to install <paramref name="packages"/>.</summary>
    public static string CommandLine(IEnumerable<string> packages, bool root) =>
        $"{(root ? "" : "sudo ")}apt-get install -y {string.Join(' ', packages)}";

    /// <summary>
    /// After a command stopped for want of <paramref name="packages"/>: installs them (with the programs LinuxShim
    /// runs that are missing too) and returns true, so the command can run again; or says what to run and returns false.
    /// </summary>
    public static bool Provide(IReadOnlyList<string> packages, TextWriter stderr)
    {
        var all = packages.Concat(DebianPackages.MissingPrograms()).Distinct().ToList();
        string? aptGet = Environment.GetEnvironmentVariable(AptGetVariable) is { Length: > 0 } a ? a : null;
        if (InstalledKernels.DefaultRoot() != "/" && aptGet is null)
            return false; // kernels are looked for elsewhere: installing into / would not help, and the message says what is missing
        bool root = Environment.IsPrivilegedProcess;
        var prefix = Environment.GetEnvironmentVariable(InstallVariable) == "never" ? null : Prefix(root, SudoWithoutPassword);
        if (prefix is null)
        {
            stderr.WriteLine($"linuxshim: to install what is missing, run: {CommandLine(all, root)}");
            return false;
        }
        string how = prefix.Length == 0 ? "as root" : "with sudo";
        stderr.WriteLine($"linuxshim: installing the Debian packages this needs ({how}): {string.Join(' ', all)}");
        aptGet ??= "apt-get";
        if (Apt(prefix, aptGet, ["update", "-q"], stderr) != 0
            || Apt(prefix, aptGet, ["install", "-y", "-q", "--no-install-recommends", .. all], stderr) is var code && code != 0)
        {
            stderr.WriteLine($"linuxshim: apt-get could not install them; run it yourself: {CommandLine(all, root)}");
            return false;
        }
        stderr.WriteLine("linuxshim: installed; running the command again");
        return true;
    }

    /// <summary>Runs apt-get (non-interactively), its output going to <paramref name="stderr"/>; its exit code, or -1 when it cannot start.</summary>
    private static int Apt(string[] prefix, string aptGet, IEnumerable<string> arguments, TextWriter stderr)
    {
        var start = new ProcessStartInfo(prefix.Length > 0 ? prefix[0] : aptGet) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var p in prefix.Skip(1))
            start.ArgumentList.Add(p);
        if (prefix.Length > 0)
            start.ArgumentList.Add(aptGet);
        foreach (var arg in arguments)
            start.ArgumentList.Add(arg);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        try
        {
            using var process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            stderr.WriteLine($"linuxshim: cannot run {aptGet}: {e.Message}");
            return -1;
        }
    }

    private static bool SudoWithoutPassword()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("sudo", ["-n", "true"]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no sudo
        }
    }
}
