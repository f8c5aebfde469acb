// SPDX-License-Identifier: MIT
// Managed side. What scan diff prints at the end: the totals, the changes that concern the most modules,
// and each port on the new kernel.
using LinuxShim.Import.Diff;
using LinuxShim.Tools.Reports;

namespace LinuxShim.Tools;

public static class DiffSummary
{
    public const int TopChanges = 15;

    public static void Write(KernelDiff d, TextWriter w)
    {
        string from = DiffMarkdownReport.Version(d.Old), to = DiffMarkdownReport.Version(d.New);
        w.WriteLine($"{d.Scope}: Linux {from} → {to}");
        var rows = DiffMarkdownReport.TotalRows(d.Totals);
        int width = rows.Max(r => r.Label.Length);
        foreach (var (label, value) in rows)
            w.WriteLine($"  {label.PadRight(width)}  {value}");
        if (d.Changes.Count > 0)
        {
            w.WriteLine($"changes that concern the most modules:");
            foreach (var c in d.Changes.Take(TopChanges))
                w.WriteLine($"  {c.Modules.Count,4}  {c.Kind,-9} {c.Symbol}{(c.Detail is { } detail ? (c.Kind == "renamed" ? " → " : ": ") + detail : "")}");
        }
        foreach (var p in d.Ports)
            w.WriteLine($"port {p.Port} ({p.Module}): recipe names {DiffMarkdownReport.Series(d.New)}: {(p.SupportsNew ? "yes" : "no")}; shim lacks on {to}: "
                        + DiffMarkdownReport.Lacks(p.LacksNew).Replace("`", "", StringComparison.Ordinal)
                        + (p.Renamed.Count > 0 ? $"; renamed: {string.Join(", ", p.Renamed)}" : ""));
    }
}
