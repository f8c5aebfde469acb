// SPDX-License-Identifier: MIT
// Managed side. The scan diff report for people, as Markdown: totals, the changes that concern the most
// modules, each port on the new kernel, and one section per changed module.
using System.Text;
using LinuxShim.Import.Diff;

namespace LinuxShim.Tools.Reports;

public static class DiffMarkdownReport
{
    public const int TopChanges = 40;

    public static string Write(KernelDiff d)
    {
        var md = new StringBuilder();
        md.AppendLine($"# LinuxShim scan diff of `{d.Scope}`: Linux {Version(d.Old)} → {Version(d.New)}").AppendLine();
        md.AppendLine($"Old: {d.Old.Release} (`{d.Old.Location}`{At(d.Old)}); new: {d.New.Release} (`{d.New.Location}`{At(d.New)}); analyser {d.New.Analyser}.").AppendLine();
        md.AppendLine("| | count |").AppendLine("|---|---:|");
        foreach (var (label, value) in TotalRows(d.Totals))
            md.AppendLine($"| {label} | {value} |");
        md.AppendLine();

        md.AppendLine("## Ports").AppendLine();
        md.AppendLine($"| port | module | recipe names {Series(d.Old)} / {Series(d.New)} | shim lacks on {Version(d.New)} | renamed |").AppendLine("|---|---|---|---|---|");
        foreach (var p in d.Ports)
            md.AppendLine($"| {p.Port} | {p.Module} | {YesNo(p.SupportsOld)} / {YesNo(p.SupportsNew)} | {Lacks(p.LacksNew)} | {string.Join(", ", p.Renamed.Select(r => $"`{r}`"))} |");
        md.AppendLine();

        md.AppendLine($"## Changes across the tree (the {TopChanges} that concern the most modules)").AppendLine();
        md.AppendLine("| change | symbol | detail | modules |").AppendLine("|---|---|---|---:|");
        foreach (var c in d.Changes.Take(TopChanges))
            md.AppendLine($"| {c.Kind} | `{c.Symbol}` | {Escape(c.Detail ?? "")} | {c.Modules.Count} |");
        md.AppendLine();

        if (d.ModulesAdded.Count + d.ModulesRemoved.Count > 0)
        {
            md.AppendLine("## Modules built on one kernel only").AppendLine();
            foreach (var m in d.ModulesAdded)
                md.AppendLine($"- new only: {m}");
            foreach (var m in d.ModulesRemoved)
                md.AppendLine($"- old only: {m}");
            md.AppendLine();
        }

        md.AppendLine("## Modules").AppendLine();
        md.AppendLine("| module | directory | requires | added | removed | renamed | prototype | export | status |").AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var m in d.Modules)
            md.AppendLine($"| {m.Name} | {m.Directory} | {m.RequiresOld} → {m.RequiresNew} | {m.Added.Count} | {m.Removed.Count} | {m.Renamed.Count} | {m.Prototypes.Count} | {m.Exports.Count} | {m.Status} |");
        md.AppendLine();
        foreach (var m in d.Modules)
        {
            md.AppendLine($"### {m.Name} (`{m.Directory}`)").AppendLine();
            foreach (var line in ModuleLines(m))
                md.AppendLine("- " + line);
            md.AppendLine();
        }
        return md.ToString();
    }

    /// <summary>The totals as labelled rows, in the order every report shows them.</summary>
    public static List<(string Label, string Value)> TotalRows(DiffTotals t) =>
    [
        ("modules (old / new)", $"{t.ModulesOld} / {t.ModulesNew}"),
        ("compared (built on both)", t.ModulesCompared.ToString()),
        ("changed", t.ModulesChanged.ToString()),
        ("built on the new kernel only / the old only", $"{t.ModulesAdded} / {t.ModulesRemoved}"),
        ("compared with parse errors on either kernel", t.ModulesWithErrors.ToString()),
        ("required symbols added (module-symbols / distinct)", $"{t.PerModule.Added} / {t.Distinct.Added}"),
        ("required symbols removed", $"{t.PerModule.Removed} / {t.Distinct.Removed}"),
        ("likely renamed", $"{t.PerModule.Renamed} / {t.Distinct.Renamed}"),
        ("prototype changed", $"{t.PerModule.PrototypeChanged} / {t.Distinct.PrototypeChanged}"),
        ("export type or provider changed", $"{t.PerModule.ExportChanged} / {t.Distinct.ExportChanged}"),
    ];

    /// <summary>One line per change of a module: renames with their evidence, prototypes and exports old → new.</summary>
    public static IEnumerable<string> ModuleLines(ModuleDiff m)
    {
        if (m.Added.Count > 0)
            yield return "added: " + Code(m.Added);
        if (m.Removed.Count > 0)
            yield return "removed: " + Code(m.Removed);
        foreach (var r in m.Renamed)
            yield return $"renamed: `{r.Old}` → `{r.New}` ({r.Evidence}; called from {string.Join(", ", r.Callers)})";
        foreach (var p in m.Prototypes)
            yield return $"prototype of `{p.Symbol}`: `{p.Old}` → `{p.New}`";
        foreach (var e in m.Exports)
            yield return $"export of `{e.Symbol}`: {e.OldExport} from {e.OldProvider ?? "-"} → {e.NewExport} from {e.NewProvider ?? "-"}"
                         + (e.OldNamespace != e.NewNamespace ? $" (namespace {e.OldNamespace ?? "-"} → {e.NewNamespace ?? "-"})" : "");
    }

    public static string Version(Import.Model.KernelInfo k) => k.Version ?? k.Release;

    /// <summary>MAJOR.MINOR, as a port's recipe names kernels.</summary>
    public static string Series(Import.Model.KernelInfo k) =>
        Import.Install.KernelVersion.TryParseRelease(Version(k), out var v) ? v.Series.ToString() : Version(k);

    public static string Lacks(IReadOnlyList<string>? lacks) =>
        lacks is null ? "not built" : lacks.Count == 0 ? "nothing" : Code(lacks);

    private static string At(Import.Model.KernelInfo k) => k.Commit is { } c ? " at " + c : "";

    private static string YesNo(bool b) => b ? "yes" : "no";

    private static string Code(IEnumerable<string> symbols) => string.Join(", ", symbols.Select(s => $"`{s}`"));

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
