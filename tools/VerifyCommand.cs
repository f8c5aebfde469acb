// SPDX-License-Identifier: MIT
// Managed side. "linuxshim verify DIR": builds DIR with Kbuild and compares each .ko's undefined
// symbols with scan's requires, printing recall and precision per module.
using LinuxShim.Import;
using LinuxShim.Import.Verify;

namespace LinuxShim.Tools;

public static class VerifyCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        string dir = cl.Single("a directory of the kernel tree");
        using var importer = KernelOptions.Open(cl, stderr);
        if (cl.Has("no-cache"))
            importer.Cache = null;
        string treeDir = ScanCommand.ToTreePath(dir, importer);
        var model = importer.Scan(treeDir, cl.GetInt("jobs", 0));
        string work = Path.Combine(Path.GetTempPath(), $"linuxshim-verify-{Environment.ProcessId}");
        try
        {
            if (!cl.Has("quiet"))
                stderr.WriteLine($"linuxshim: building {treeDir} with Kbuild in {importer.Build.Path} ...");
            var moduleDirectories = model.Modules.Select(m => m.Directory).Distinct().ToList();
            // --no-cache builds everything again; what succeeds replaces what was kept.
            string oracleCache = Path.Combine(importer.CacheRoot, "kbuild-oracle");
            var oracle = KbuildOracle.BuildEach(importer.Tree, importer.Build.Path, importer.Build.Config.Hash, moduleDirectories, work, oracleCache, out var failures,
                cl.Has("quiet") ? null : d => stderr.WriteLine($"linuxshim: kbuild {d}"), cl.GetInt("jobs", 0), readCache: !cl.Has("no-cache"));
            foreach (var failure in failures)
                stderr.WriteLine($"linuxshim: kbuild: {failure}");
            var rows = OracleComparison.Compare(model, oracle);
            var unbuilt = rows.Where(r => r.Truth == 0 && r.Extra.Count == 1 && r.Extra[0].StartsWith("(Kbuild built no", StringComparison.Ordinal)).ToList();
            foreach (var r in unbuilt)
                stdout.WriteLine($"{r.Module,-24} Kbuild could not build it as an external module: not compared");
            rows = rows.Except(unbuilt).ToList();
            int truth = 0, predicted = 0, correct = 0;
            foreach (var r in rows)
            {
                stdout.WriteLine($"{r.Module,-24} kbuild {r.Truth,4}  scan {r.Predicted,4}  recall {r.Recall,7:P1}  precision {r.Precision,7:P1}"
                    + (r.Missing.Count > 0 ? $"  missing: {string.Join(' ', r.Missing)}" : "")
                    + (r.Extra.Count > 0 ? $"  extra: {string.Join(' ', r.Extra)}" : ""));
                truth += r.Truth;
                predicted += r.Predicted;
                correct += r.Correct;
            }
            double recall = truth == 0 ? 1 : (double)correct / truth, precision = predicted == 0 ? 1 : (double)correct / predicted;
            stdout.WriteLine($"total: {rows.Count} modules compared ({unbuilt.Count} not built by Kbuild), kbuild {truth}, scan {predicted}, recall {recall:P2}, precision {precision:P2}");
            return recall >= 1.0 ? Cli.ExitOk : Cli.ExitFailure;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
