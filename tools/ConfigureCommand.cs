// SPDX-License-Identifier: MIT
// Managed side. "linuxshim configure FRAGMENT": a build directory configured as the chosen kernel's (its
// .config) with FRAGMENT over it, made with make olddefconfig modules_prepare (no vmlinux) and cached by its
// inputs. Its path goes to standard output, for --build DIR of scan, verify, licence and port build.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Tools;

public static class ConfigureCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        string fragment = cl.Single("a configuration fragment (CONFIG_NAME=value lines)");
        var parsed = ConfigFragment.Load(fragment);
        bool quiet = cl.Has("quiet");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var importer = KernelOptions.Open(cl, stderr);
        var made = ConfiguredBuild.Prepare(importer.Tree, importer.Build, parsed, importer.CacheRoot, KernelOptions.Jobs(cl),
            quiet ? null : line => stderr.WriteLine($"linuxshim: {line}"));
        if (!quiet)
        {
            stderr.WriteLine(made.Cached
                ? $"linuxshim: {made.Build.Path} was made before with these inputs (cached)"
                : $"linuxshim: made {made.Build.Path} in {started.Elapsed.TotalSeconds:F0} s");
            stderr.WriteLine($"linuxshim: {made.SymversNote}");
            if (made.NotFollowed.Count > 0)
                stderr.WriteLine($"linuxshim: {made.NotFollowed.Count} newly built objects have no source of their own name (composite objects), their exports are not in Module.symvers: "
                                 + string.Join(", ", made.NotFollowed.Take(8)) + (made.NotFollowed.Count > 8 ? ", ..." : ""));
        }
        stdout.WriteLine(made.Build.Path);
        return Cli.ExitOk;
    }
}
