// SPDX-License-Identifier: MIT
// Managed side. The scan report for people, as Markdown: summary, coverage distribution, the
// most blocking missing kernel APIs, the plan, and one row per module.
using System.Text;
using LinuxShim.Import.Model;

namespace LinuxShim.Tools.Reports;

public static class MarkdownReport
{
    public const int TopMissing = 30;
    public const int PlanSteps = 20;

    public static string Write(ImportModel model)
    {
        var c = model.Coverage ?? throw new InvalidOperationException("coverage is computed before reports are written");
        var md = new StringBuilder();
        md.AppendLine($"# LinuxShim scan of `{model.Scope}`").AppendLine();
        md.AppendLine($"Kernel {model.Kernel.Release} ({model.Kernel.Source} `{model.Kernel.Location}`{(model.Kernel.Commit is { } commit ? $" at {commit}" : "")}), analyser {model.Kernel.Analyser}.").AppendLine();
        int failed = model.Modules.Count(m => m.Status != "ok");
        md.AppendLine($"- {model.Modules.Count} modules, {failed} with errors; {c.ModulesLinking} link against the shim today ({c.ShimSymbols} kernel symbols implemented).");
        md.AppendLine($"- {c.Missing.Count} distinct kernel symbols are missing.").AppendLine();
        if (c.Providers.Count > 0)
        {
            md.AppendLine("## Provider modules outside the scan").AppendLine();
            md.AppendLine("Upstream modules that modules of the scan take exports from, imported from the same tree; a driver host loads them beside their users.").AppendLine();
            md.AppendLine("| module | directory | links | missing | used by |").AppendLine("|---|---|---|---:|---|");
            foreach (var p in c.Providers)
                md.AppendLine($"| {p.Name} | {p.Directory} | {(p.Links ? "yes" : "no")} | {p.Missing.Count} | {string.Join(", ", p.UsedBy)} |");
            md.AppendLine();
        }

        md.AppendLine("## Coverage distribution").AppendLine();
        md.AppendLine("| required symbols the shim implements | modules |").AppendLine("|---|---:|");
        foreach (var (label, count) in Distribution(c))
            md.AppendLine($"| {label} | {count} |");
        md.AppendLine();

        md.AppendLine($"## Missing kernel APIs that block the most modules (top {TopMissing})").AppendLine();
        md.AppendLine("| symbol | export | modules blocked |").AppendLine("|---|---|---:|");
        foreach (var m in c.Missing.Take(TopMissing))
            md.AppendLine($"| `{m.Symbol}` | {m.Export} | {m.Blocks} |");
        md.AppendLine();

        md.AppendLine($"## Plan: implement these next (first {PlanSteps} steps)").AppendLine();
        md.AppendLine("| step | implement | then these link | symbols so far | modules so far |").AppendLine("|---:|---|---|---:|---:|");
        foreach (var s in c.Plan.Take(PlanSteps))
            md.AppendLine($"| {s.Step} | {Code(s.Implement)} | {string.Join(", ", s.Links)} | {s.TotalSymbols} | {s.TotalModules} |");
        md.AppendLine();

        md.AppendLine("## Modules").AppendLine();
        md.AppendLine("| module | directory | licence | requires | implemented | missing | links | status |").AppendLine("|---|---|---|---:|---:|---:|---|---|");
        foreach (var (m, cov) in model.Modules.Zip(c.Modules))
            md.AppendLine($"| {m.Name} | {m.Directory} | {m.License ?? "-"} | {cov.Required} | {cov.Implemented} | {cov.Missing.Count} | {(cov.Links ? "yes" : "no")} | {m.Status}{(m.Errors.Count > 0 ? ": " + Escape(m.Errors[0]) : "")} |");
        return md.ToString();
    }

    /// <summary>Modules by the share of their required symbols the shim implements, in tenths.</summary>
    public static List<(string Label, int Count)> Distribution(CoverageReport c)
    {
        var buckets = new int[11];
        foreach (var m in c.Modules)
            buckets[m.Required == 0 ? 10 : m.Implemented * 10 / m.Required]++;
        var list = new List<(string, int)>();
        for (int i = 0; i < 10; i++)
            list.Add(($"{i * 10}–{i * 10 + 9}%", buckets[i]));
        list.Add(("100%", buckets[10]));
        return list;
    }

    private static string Code(IEnumerable<string> symbols) => string.Join(", ", symbols.Select(s => $"`{s}`"));

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
