// SPDX-License-Identifier: MIT
// Managed side. "linuxshim verify DIR...": builds each DIR with Kbuild and compares each .ko's undefined
// symbols with scan's requires, printing recall and precision per module, why a module could not be
// compared, and a summary over the whole run.
using LinuxShim.Import;
using LinuxShim.Import.Model;
using LinuxShim.Import.Verify;

namespace LinuxShim.Tools;

public static class VerifyCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count == 0)
            throw new UsageException("verify needs a directory of the kernel tree (or several)");
        using var importer = KernelOptions.Open(cl, stderr);
        if (cl.Has("no-cache"))
            importer.Cache = null;
        bool quiet = cl.Has("quiet");
        string work = Path.Combine(Path.GetTempPath(), $"linuxshim-verify-{Environment.ProcessId}");
        var compared = new List<ModuleComparison>();
        var notCompared = new List<(string Module, string Directory, string Reason)>();
        try
        {
            foreach (var dir in cl.Positionals)
            {
                string treeDir = ScanCommand.ToTreePath(dir, importer);
                // A whole root (sound, net) is thousands of sources: say how far the scan is, as scan does.
                var progress = quiet ? null : new Progress(stderr, logWhenRedirected: true);
                var started = System.Diagnostics.Stopwatch.StartNew();
                var model = importer.Scan(treeDir, cl.GetInt("jobs", 0), progress is null ? null : progress.Report);
                progress?.Finish();
                if (!quiet)
                {
                    var (parsed, cached) = importer.LastScan;
                    stderr.WriteLine($"linuxshim: scanned {treeDir} in {started.Elapsed.TotalSeconds:F1} s: {model.Modules.Count} modules, {parsed} sources parsed, {cached} taken from the cache");
                }
                if (!quiet)
                    stderr.WriteLine($"linuxshim: building {treeDir} with Kbuild in {importer.Build.Path} ...");
                var moduleDirectories = model.Modules.Select(m => m.Directory).Distinct().ToList();
                // --no-cache builds everything again; what succeeds replaces what was kept.
                string oracleCache = Path.Combine(importer.CacheRoot, "kbuild-oracle");
                var oracle = KbuildOracle.BuildEach(importer.Tree, importer.Build.Path, importer.Build.Config.Hash, moduleDirectories, work, oracleCache, out var failures,
                    quiet ? null : d => stderr.WriteLine($"linuxshim: kbuild {d}"), cl.GetInt("jobs", 0), readCache: !cl.Has("no-cache"));
                var reasons = failures.Select(f => f.Split(": ", 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
                foreach (var failure in failures)
                    stderr.WriteLine($"linuxshim: kbuild: {failure}");
                var directoryOf = model.Modules.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First().Directory, StringComparer.Ordinal);
                foreach (var r in OracleComparison.Compare(model, oracle))
                {
                    if (r.Truth == 0 && r.Extra.Count == 1 && r.Extra[0].StartsWith("(Kbuild built no", StringComparison.Ordinal))
                    {
                        string d = directoryOf[r.Module];
                        string reason = reasons.TryGetValue(d, out var why) ? $"Kbuild failed in {d}: {why}" : $"Kbuild built {d} but no {r.Module}.ko";
                        notCompared.Add((r.Module, d, reason));
                        stdout.WriteLine($"{r.Module,-24} not compared: {reason}");
                        continue;
                    }
                    compared.Add(r);
                    stdout.WriteLine($"{r.Module,-24} kbuild {r.Truth,4}  scan {r.Predicted,4}  recall {r.Recall,7:P1}  precision {r.Precision,7:P1}"
                        + (r.Missing.Count > 0 ? $"  missing: {string.Join(' ', r.Missing)}" : "")
                        + (r.Extra.Count > 0 ? $"  extra: {string.Join(' ', r.Extra)}" : ""));
                }
            }
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        var summary = VerifySummary.Of(compared, notCompared);
        summary.Write(stdout);
        return summary.Recall >= 1.0 ? Cli.ExitOk : Cli.ExitFailure;
    }
}
