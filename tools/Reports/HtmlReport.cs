// SPDX-License-Identifier: MIT
// Managed side. The scan report as one self-contained HTML page (inline CSS and SVG charts, no
// scripts or outside resources), so it opens offline.
using System.Net;
using System.Text;
using LinuxShim.Import.Model;

namespace LinuxShim.Tools.Reports;

public static class HtmlReport
{
    /// <summary>The CSS every LinuxShim report page shares.</summary>
    public const string Style = "body{font:14px system-ui,sans-serif;margin:2em;max-width:72em}table{border-collapse:collapse}"
        + "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}td.n{text-align:right}"
        + "code{font-size:12px}.bad{color:#a00}.ok{color:#070}svg text{font:11px sans-serif}";

    public static string Write(ImportModel model)
    {
        var c = model.Coverage ?? throw new InvalidOperationException("coverage is computed before reports are written");
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>LinuxShim scan of ")
            .Append(E(model.Scope)).Append("</title>\n<style>").Append(Style).Append("</style></head><body>\n");
        h.Append("<h1>LinuxShim scan of <code>").Append(E(model.Scope)).Append("</code></h1>\n<p>Kernel ")
            .Append(E(model.Kernel.Release)).Append(" (").Append(E(model.Kernel.Source)).Append(' ').Append(E(model.Kernel.Location))
            .Append(model.Kernel.Commit is { } commit ? " at " + E(commit) : "").Append("), analyser ").Append(E(model.Kernel.Analyser)).Append(".</p>\n");
        h.Append("<p>").Append(model.Modules.Count).Append(" modules, ").Append(model.Modules.Count(m => m.Status != "ok"))
            .Append(" with errors; ").Append(c.ModulesLinking).Append(" link against the shim today (").Append(c.ShimSymbols)
            .Append(" kernel symbols implemented); ").Append(c.Missing.Count).Append(" distinct symbols missing.</p>\n");

        h.Append("<h2>Coverage distribution</h2>\n");
        h.Append(BarChart(MarkdownReport.Distribution(c).Select(d => (d.Label, d.Count)).ToList(), "modules"));
        h.Append("<h2>Missing kernel APIs that block the most modules</h2>\n");
        h.Append(BarChart(c.Missing.Take(MarkdownReport.TopMissing).Select(m => (m.Symbol, m.Blocks)).ToList(), "modules blocked"));

        h.Append("<h2>Plan: implement these next</h2>\n<table><tr><th>step</th><th>implement</th><th>then these link</th><th>symbols so far</th><th>modules so far</th></tr>\n");
        foreach (var s in c.Plan.Take(MarkdownReport.PlanSteps))
            h.Append("<tr><td class=n>").Append(s.Step).Append("</td><td>").Append(string.Join(", ", s.Implement.Select(x => "<code>" + E(x) + "</code>")))
                .Append("</td><td>").Append(E(string.Join(", ", s.Links))).Append("</td><td class=n>").Append(s.TotalSymbols)
                .Append("</td><td class=n>").Append(s.TotalModules).Append("</td></tr>\n");
        h.Append("</table>\n");

        h.Append("<h2>Modules</h2>\n<table><tr><th>module</th><th>directory</th><th>licence</th><th>requires</th><th>implemented</th><th>missing</th><th>links</th><th>status</th></tr>\n");
        foreach (var (m, cov) in model.Modules.Zip(c.Modules))
            h.Append("<tr><td>").Append(E(m.Name)).Append("</td><td>").Append(E(m.Directory)).Append("</td><td>").Append(E(m.License ?? "-"))
                .Append("</td><td class=n>").Append(cov.Required).Append("</td><td class=n>").Append(cov.Implemented)
                .Append("</td><td class=n>").Append(cov.Missing.Count).Append("</td><td>").Append(cov.Links ? "<span class=ok>yes</span>" : "no")
                .Append("</td><td").Append(m.Status == "ok" ? ">ok" : " class=bad title=\"" + E(string.Join("\n", m.Errors)) + "\">error")
                .Append("</td></tr>\n");
        h.Append("</table>\n</body></html>\n");
        return h.ToString();
    }

    /// <summary>A horizontal bar chart as inline SVG.</summary>
    public static string BarChart(List<(string Label, int Value)> rows, string unit)
    {
        const int labelWidth = 260, barWidth = 420, rowHeight = 18;
        int max = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Value));
        var svg = new StringBuilder();
        svg.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(labelWidth + barWidth + 60).Append("\" height=\"")
            .Append(rows.Count * rowHeight + 4).Append("\" role=\"img\" aria-label=\"").Append(E(unit)).Append("\">\n");
        for (int i = 0; i < rows.Count; i++)
        {
            int y = i * rowHeight;
            int w = rows[i].Value * barWidth / max;
            svg.Append("<text x=\"").Append(labelWidth - 6).Append("\" y=\"").Append(y + 13).Append("\" text-anchor=\"end\">").Append(E(rows[i].Label)).Append("</text>")
                .Append("<rect x=\"").Append(labelWidth).Append("\" y=\"").Append(y + 3).Append("\" width=\"").Append(w).Append("\" height=\"")
                .Append(rowHeight - 5).Append("\" fill=\"#4a7bb7\"/>")
                .Append("<text x=\"").Append(labelWidth + w + 4).Append("\" y=\"").Append(y + 13).Append("\">").Append(rows[i].Value).Append("</text>\n");
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
