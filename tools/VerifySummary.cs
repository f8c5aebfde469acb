// SPDX-License-Identifier: MIT
// Managed side. The summary at the end of "linuxshim verify": totals over every module compared, the
// symbols most often missed or extra, and why the other modules could not be compared, grouped by cause.
using System.Text.RegularExpressions;
using LinuxShim.Import.Verify;

namespace LinuxShim.Tools;

public sealed partial record VerifySummary(int Compared, int Exact, int Truth, int Predicted, int Correct,
    IReadOnlyList<(string Symbol, int Modules)> Missing, IReadOnlyList<(string Symbol, int Modules)> Extra,
    IReadOnlyList<(string Cause, int Modules, int Directories)> NotCompared)
{
    public double Recall => Truth == 0 ? 1 : (double)Correct / Truth;
    public double Precision => Predicted == 0 ? 1 : (double)Correct / Predicted;

    public static VerifySummary Of(IReadOnlyList<ModuleComparison> compared, IReadOnlyList<(string Module, string Directory, string Reason)> notCompared)
    {
        static List<(string, int)> Rank(IEnumerable<string> symbols) =>
            symbols.GroupBy(s => s).Select(g => (g.Key, g.Count())).OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        var causes = notCompared.GroupBy(n => Cause(n.Reason))
            .Select(g => (g.Key, g.Count(), g.Select(n => n.Directory).Distinct().Count()))
            .OrderByDescending(c => c.Item2).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
        return new VerifySummary(compared.Count, compared.Count(r => r.Missing.Count == 0 && r.Extra.Count == 0),
            compared.Sum(r => r.Truth), compared.Sum(r => r.Predicted), compared.Sum(r => r.Correct),
            Rank(compared.SelectMany(r => r.Missing)), Rank(compared.SelectMany(r => r.Extra)), causes);
    }

    /// <summary>What a Kbuild failure comes down to, with the file names that differ between directories left out.</summary>
    public static string Cause(string reason)
    {
        if (MissingHeader().Match(reason) is { Success: true } m)
            return $"a header Kbuild cannot find outside the directory ({m.Groups[1].Value})";
        // make's own line for a target of the directory's Makefile that failed: a generated header, its generator.
        if (GeneratedTarget().Match(reason) is { Success: true } g)
            return $"a file its Makefile generates could not be made ({g.Groups[1].Value})";
        if (reason.Contains("but no ", StringComparison.Ordinal))
            return "Kbuild builds the directory but not this module's .ko (built from objects elsewhere)";
        if (reason.Contains("No rule to make target", StringComparison.Ordinal))
            return "a Makefile names a file outside the directory";
        string text = CompilerLocation().Replace(reason, "");
        text = text.StartsWith("Kbuild failed in ", StringComparison.Ordinal) ? text[(text.IndexOf(": ", StringComparison.Ordinal) + 2)..] : text;
        return text.Length > 100 ? text[..100] + "…" : text;
    }

    [GeneratedRegex(@"fatal error: ([^:]+): No such file or directory")]
    private static partial Regex MissingHeader();

    [GeneratedRegex(@"make\[\d+\]: \*\*\* \[\S*/Makefile:\d+: \S*/([^/\s]+)\] Error \d+")]
    private static partial Regex GeneratedTarget();

    [GeneratedRegex(@"/tmp/\S+?:\d+(:\d+)?:\s*")]
    private static partial Regex CompilerLocation();

    public void Write(TextWriter output)
    {
        int notCompared = NotCompared.Sum(c => c.Modules);
        output.WriteLine($"total: {Compared} modules compared ({notCompared} not built by Kbuild), {Exact} exactly, kbuild {Truth}, scan {Predicted}, "
            + $"recall {Recall:P2}, precision {Precision:P2}");
        if (Missing.Count > 0)
            output.WriteLine("missed, by modules: " + string.Join(' ', Missing.Take(15).Select(p => $"{p.Symbol} {p.Modules}")));
        if (Extra.Count > 0)
            output.WriteLine("extra, by modules: " + string.Join(' ', Extra.Take(15).Select(p => $"{p.Symbol} {p.Modules}")));
        foreach (var (cause, modules, directories) in NotCompared)
            output.WriteLine($"not compared: {modules} modules in {directories} directories: {cause}");
    }
}
