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
        using var importer = Importer.Open(cl.Get("linux"), cl.Get("build"), cl.Get("cache"));
        string treeDir = ScanCommand.ToTreePath(dir, importer);
        var model = importer.Scan(treeDir, cl.GetInt("jobs", 0));
        string work = Path.Combine(Path.GetTempPath(), $"linuxshim-verify-{Environment.ProcessId}");
        try
        {
            if (!cl.Has("quiet"))
                stderr.WriteLine($"linuxshim: building {treeDir} with Kbuild in {importer.Build.Path} ...");
            var oracle = KbuildOracle.Build(importer.Tree, importer.Build.Path, treeDir, work, cl.GetInt("jobs", 0));
            var rows = OracleComparison.Compare(model, oracle);
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
            stdout.WriteLine($"total: {rows.Count} modules, kbuild {truth}, scan {predicted}, recall {recall:P2}, precision {precision:P2}");
            return recall >= 1.0 ? Cli.ExitOk : Cli.ExitFailure;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
