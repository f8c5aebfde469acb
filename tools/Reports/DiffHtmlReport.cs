// SPDX-License-Identifier: MIT
// Managed side. The scan diff report as one self-contained HTML page (inline CSS and an SVG chart, no
// scripts), with the same sections as the Markdown one.
using System.Net;
using System.Text;
using LinuxShim.Import.Diff;

namespace LinuxShim.Tools.Reports;

public static class DiffHtmlReport
{
    public static string Write(KernelDiff d)
    {
        string from = DiffMarkdownReport.Version(d.Old), to = DiffMarkdownReport.Version(d.New);
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>LinuxShim scan diff of ")
            .Append(E(d.Scope)).Append(": Linux ").Append(E(from)).Append(" → ").Append(E(to)).Append("</title>\n<style>")
            .Append(HtmlReport.Style).Append("</style></head><body>\n");
        h.Append("<h1>LinuxShim scan diff of <code>").Append(E(d.Scope)).Append("</code>: Linux ").Append(E(from)).Append(" → ").Append(E(to)).Append("</h1>\n");
        h.Append("<p>Old: ").Append(E(d.Old.Release)).Append(" (<code>").Append(E(d.Old.Location)).Append("</code>); new: ")
            .Append(E(d.New.Release)).Append(" (<code>").Append(E(d.New.Location)).Append("</code>).</p>\n<table>\n");
        foreach (var (label, value) in DiffMarkdownReport.TotalRows(d.Totals))
            h.Append("<tr><th>").Append(E(label)).Append("</th><td class=n>").Append(E(value)).Append("</td></tr>\n");
        h.Append("</table>\n");

        h.Append("<h2>Ports</h2>\n<table><tr><th>port</th><th>module</th><th>recipe names ").Append(E(DiffMarkdownReport.Series(d.Old))).Append(" / ").Append(E(DiffMarkdownReport.Series(d.New)))
            .Append("</th><th>shim lacks on ").Append(E(to)).Append("</th><th>renamed</th></tr>\n");
        foreach (var p in d.Ports)
            h.Append("<tr><td>").Append(E(p.Port)).Append("</td><td>").Append(E(p.Module)).Append("</td><td>")
                .Append(p.SupportsOld ? "yes" : "no").Append(" / ").Append(p.SupportsNew ? "yes" : "no").Append("</td><td")
                .Append(p.LacksNew is { Count: 0 } ? " class=ok>" : " class=bad>").Append(E(DiffMarkdownReport.Lacks(p.LacksNew).Replace("`", "", StringComparison.Ordinal)))
                .Append("</td><td>").Append(E(string.Join(", ", p.Renamed))).Append("</td></tr>\n");
        h.Append("</table>\n");

        h.Append("<h2>Changes that concern the most modules</h2>\n");
        h.Append(HtmlReport.BarChart(d.Changes.Take(25).Select(c => ($"{c.Kind} {c.Symbol}{(c.Kind == "renamed" ? " → " + c.Detail : "")}", c.Modules.Count)).ToList(), "modules"));
        h.Append("<table><tr><th>change</th><th>symbol</th><th>detail</th><th>modules</th></tr>\n");
        foreach (var c in d.Changes.Take(DiffMarkdownReport.TopChanges))
            h.Append("<tr><td>").Append(E(c.Kind)).Append("</td><td><code>").Append(E(c.Symbol)).Append("</code></td><td><code>")
                .Append(E(c.Detail ?? "")).Append("</code></td><td class=n title=\"").Append(E(string.Join(" ", c.Modules))).Append("\">")
                .Append(c.Modules.Count).Append("</td></tr>\n");
        h.Append("</table>\n");

        h.Append("<h2>Modules</h2>\n");
        foreach (var m in d.Modules)
        {
            h.Append("<details><summary><b>").Append(E(m.Name)).Append("</b> <code>").Append(E(m.Directory)).Append("</code> requires ")
                .Append(m.RequiresOld).Append(" → ").Append(m.RequiresNew).Append(m.Status == "ok" ? "" : " <span class=bad>(parse errors)</span>")
                .Append("</summary><ul>\n");
            foreach (var line in DiffMarkdownReport.ModuleLines(m))
                h.Append("<li>").Append(E(line.Replace("`", "", StringComparison.Ordinal))).Append("</li>\n");
            h.Append("</ul></details>\n");
        }
        if (d.ModulesAdded.Count + d.ModulesRemoved.Count > 0)
            h.Append("<h2>Modules built on one kernel only</h2>\n<p>New only: ").Append(E(string.Join(", ", d.ModulesAdded)))
                .Append("</p>\n<p>Old only: ").Append(E(string.Join(", ", d.ModulesRemoved))).Append("</p>\n");
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
