// SPDX-License-Identifier: MIT
// Managed side. "linuxshim verify DIR...": builds each DIR with Kbuild and compares each .ko's undefined
// symbols with scan's requires, printing recall and precision per module, why a module could not be
// compared, and a summary over the whole run; --shard I/N does part I of the directories, --json keeps
// what was compared, "verify merge" joins the parts (VerifyParts).
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
        if (cl.Positionals[0] == "merge")
            return Merge(cl, stdout);
        Shard? shard = ScanCommand.ShardOption(cl);
        string? json = cl.Get("json");
        if (json is not null)
            ScanCommand.CheckWritable(json);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var importer = KernelOptions.Open(cl, stderr);
        if (cl.Has("no-cache"))
            importer.Cache = null;
        bool quiet = cl.Has("quiet");
        string work = Path.Combine(Path.GetTempPath(), $"linuxshim-verify-{Environment.ProcessId}");
        // What --json keeps is also what the summary is taken from (as verify merge takes it from the parts).
        var compared = new List<VerifyResult.Module>();
        var notCompared = new List<VerifyResult.NotBuilt>();
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
                // A part: its directories' modules only. A module another part's directory holds is left to that
                // part, also when Kbuild builds it here too (a directory that descends into a subdirectory).
                var elsewhere = new HashSet<string>(StringComparer.Ordinal);
                if (shard is not null)
                {
                    var mine = VerifyParts.Directories(model, shard);
                    elsewhere.UnionWith(model.Modules.Where(m => !mine.Contains(m.Directory)).Select(m => m.Name));
                    elsewhere.ExceptWith(model.Modules.Where(m => mine.Contains(m.Directory)).Select(m => m.Name));
                    model = model with { Modules = model.Modules.Where(m => mine.Contains(m.Directory)).ToList() };
                    if (!quiet)
                        stderr.WriteLine($"linuxshim: part {shard} of {treeDir}: {mine.Count} directories, {model.Modules.Count} modules");
                }
                var moduleDirectories = model.Modules.Select(m => m.Directory).Distinct().ToList();
                int built = 0;
                // --no-cache builds everything again; what succeeds replaces what was kept.
                string oracleCache = Path.Combine(importer.CacheRoot, "kbuild-oracle");
                var oracle = KbuildOracle.BuildEach(importer.Tree, importer.Build.Path, importer.Build.Config.Hash, moduleDirectories, work, oracleCache, out var failures,
                    quiet ? null : d => stderr.WriteLine($"linuxshim: kbuild {d} ({++built} built of {moduleDirectories.Count} directories at most, {clock.Elapsed.TotalMinutes:F1} min)"),
                    cl.GetInt("jobs", 0), readCache: !cl.Has("no-cache"));
                var reasons = failures.Select(f => f.Split(": ", 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
                foreach (var failure in failures)
                    stderr.WriteLine($"linuxshim: kbuild: {failure}");
                var directoryOf = model.Modules.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First().Directory, StringComparer.Ordinal);
                foreach (var r in OracleComparison.Compare(model, oracle))
                {
                    if (elsewhere.Contains(r.Module))
                        continue;
                    if (r.Truth == 0 && r.Extra.Count == 1 && r.Extra[0].StartsWith("(Kbuild built no", StringComparison.Ordinal))
                    {
                        string d = directoryOf[r.Module];
                        string reason = reasons.TryGetValue(d, out var why) ? $"Kbuild failed in {d}: {why}" : $"Kbuild built {d} but no {r.Module}.ko";
                        notCompared.Add(new VerifyResult.NotBuilt(r.Module, d, reason));
                        stdout.WriteLine($"{r.Module,-24} not compared: {reason}");
                        continue;
                    }
                    compared.Add(new VerifyResult.Module(r.Module, directoryOf.GetValueOrDefault(r.Module, "(not scanned)"), r.Truth, r.Predicted, r.Missing, r.Extra));
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
        var k = importer.Kernel;
        var result = new VerifyResult($"{k.Release} ({k.Location})", k.Analyser, k.Config, cl.Positionals, shard?.ToString(),
            Math.Round(clock.Elapsed.TotalSeconds, 1), compared, notCompared);
        var summary = result.Summary();
        summary.Write(stdout);
        if (json is not null)
            result.Write(json);
        return summary.Recall >= 1.0 ? Cli.ExitOk : Cli.ExitFailure;
    }

    /// <summary>"verify merge PART.json... [--json FILE]": the summary of every part together, as one run would print it.</summary>
    private static int Merge(CommandLine cl, TextWriter stdout)
    {
        var files = cl.Positionals.Skip(1).ToList();
        if (files.Count == 0)
            throw new UsageException("verify merge needs the JSON files the parts wrote (verify DIR... --shard I/N --json FILE)");
        if (cl.Get("json") is { } json)
            ScanCommand.CheckWritable(json);
        var merged = VerifyParts.Merge(files.Select(f => (f, VerifyResult.Read(f))).ToList());
        foreach (var m in merged.Compared.Where(m => m.Missing.Count > 0 || m.Extra.Count > 0))
            stdout.WriteLine($"{m.Name,-24} kbuild {m.Truth,4}  scan {m.Predicted,4}"
                + (m.Missing.Count > 0 ? $"  missing: {string.Join(' ', m.Missing)}" : "") + (m.Extra.Count > 0 ? $"  extra: {string.Join(' ', m.Extra)}" : ""));
        var summary = merged.Summary();
        summary.Write(stdout);
        stdout.WriteLine($"{files.Count} parts, {merged.Seconds / 60:F1} min of verify in all");
        if (cl.Get("json") is { } output)
            merged.Write(output);
        return summary.Recall >= 1.0 ? Cli.ExitOk : Cli.ExitFailure;
    }
}
