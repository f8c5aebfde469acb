// SPDX-License-Identifier: MIT
// Managed side. The licence boundary report as one self-contained HTML page: the process/IPC graph
// as inline SVG (GPL address spaces shaded, mixed ones red), then the tables of the Markdown report.
using System.Net;
using System.Text;

namespace LinuxShim.Import.Licence;

public static class LicenceHtml
{
    public static string Write(LicenceReport r)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Licence boundary report: ").Append(E(r.Target))
            .Append("</title>\n<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin-bottom:1em}")
            .Append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}code{font-size:12px}.bad{color:#a00;font-weight:bold}")
            .Append(".ok{color:#070}svg text{font:12px sans-serif}</style></head><body>\n");
        h.Append("<h1>Licence boundary report: ").Append(E(r.Target)).Append("</h1>\n<p>Kernel ").Append(E(r.Kernel.Release)).Append(" (")
            .Append(E(r.Kernel.Source)).Append(' ').Append(E(r.Kernel.Location)).Append(r.Kernel.Commit is { } c ? " at " + E(c) : "").Append(").</p>\n");
        if (r.Deployment is { } d)
        {
            h.Append(d.Mixed ? "<p class=bad>Mixed address space: " : "<p class=ok>No mixed address space: ")
                .Append("deployment <code>").Append(E(d.Name)).Append("</code>.</p>\n");
            h.Append("<h2>Processes and IPC channels</h2>\n").Append(Graph(d));
            foreach (var p in d.Processes)
            {
                h.Append("<h3>Process <code>").Append(E(p.Name)).Append("</code>").Append(p.Mixed ? " <span class=bad>mixed</span>" : "").Append("</h3>\n");
                if (p.Command is { } cmd)
                    h.Append("<p><code>").Append(E(cmd)).Append("</code></p>\n");
                foreach (var f in p.Findings)
                    h.Append("<p class=bad>").Append(E(f)).Append("</p>\n");
                h.Append("<table><tr><th>kind</th><th>component</th><th>licence</th><th>from</th><th>GPL</th><th>GPL-2.0-compatible</th><th>why</th></tr>\n");
                foreach (var comp in p.Components)
                    h.Append("<tr><td>").Append(E(comp.Kind)).Append("</td><td><code>").Append(E(comp.Name)).Append("</code>").Append(E(comp.Version is { } v ? " " + v : ""))
                        .Append(comp.PartOf is { } part ? " (in " + E(part) + ")" : "").Append("</td><td>").Append(E(comp.Licence)).Append("</td><td>").Append(E(comp.LicenceSource))
                        .Append("</td><td>").Append(comp.Gpl ? "yes" : "").Append("</td><td>").Append(comp.Gpl2Compatible ? "yes" : "<span class=bad>no</span>")
                        .Append("</td><td>").Append(E(comp.Reason)).Append("</td></tr>\n");
                h.Append("</table>\n");
            }
        }
        h.Append("<h2>Modules</h2>\n");
        foreach (var m in r.Modules)
        {
            h.Append("<h3>").Append(E(m.Name)).Append(" <small>").Append(E(m.Directory)).Append("</small></h3>\n<p>MODULE_LICENSE <code>")
                .Append(E(m.ModuleLicense ?? "(none)")).Append("</code>: ").Append(m.ModuleLicenseGplCompatible ? "GPL-compatible" : "<span class=bad>not GPL-compatible</span>")
                .Append(" (include/linux/license.h).</p>\n<table><tr><th>file</th><th>role</th><th>SPDX</th><th>status</th></tr>\n");
            foreach (var s in m.Sources)
                h.Append("<tr><td><code>").Append(E(s.Path)).Append("</code></td><td>").Append(E(s.Role)).Append("</td><td>").Append(E(s.Spdx ?? "(none)"))
                    .Append("</td><td").Append(s.Status == "invalid" ? " class=bad" : "").Append('>').Append(E(s.Status))
                    .Append(s.Problems.Count > 0 ? ": " + E(string.Join("; ", s.Problems)) : "").Append("</td></tr>\n");
            h.Append("</table>\n<table><tr><th>GPL-only import</th><th>exported by</th><th>shim component</th><th>file</th><th>licence</th></tr>\n");
            foreach (var i in m.GplOnlyImports)
                h.Append("<tr><td><code>").Append(E(i.Symbol)).Append("</code></td><td>").Append(E(i.Provider ?? "-")).Append("</td><td>")
                    .Append(i.Shim is { } p ? E(p.Component) : "<span class=bad>not implemented</span>").Append("</td><td>").Append(E(i.Shim?.File ?? "-"))
                    .Append("</td><td>").Append(E(i.Shim?.Licence ?? "-")).Append("</td></tr>\n");
            h.Append("</table>\n");
        }
        foreach (var cs in r.CorrespondingSource)
        {
            h.Append("<h2>Corresponding source: ").Append(E(cs.Module)).Append("</h2>\n");
            if (cs.Library is { } lib)
                h.Append("<p>Binary <code>").Append(E(lib.File)).Append("</code>, SHA-256 <code>").Append(E(lib.Sha256)).Append("</code>.</p>\n");
            h.Append("<p>Upstream ").Append(E(cs.Upstream.Kind)).Append(" <code>").Append(E(cs.Upstream.Location)).Append("</code>")
                .Append(cs.Upstream.Commit is { } commit ? ", commit <code>" + E(commit) + "</code>" : "")
                .Append(cs.Upstream.Sha256 is { } sha ? ", SHA-256 <code>" + E(sha) + "</code>" : "").Append(".</p>\n");
            h.Append("<table><tr><th>file</th><th>git blob</th><th>SHA-256</th><th>SPDX</th></tr>\n");
            foreach (var s in cs.Sources.Concat(cs.ShadowHeaders).Concat(cs.NativeRuntime))
                h.Append("<tr><td><code>").Append(E(s.Path)).Append("</code></td><td><code>").Append(s.Blob).Append("</code></td><td><code>").Append(s.Sha256)
                    .Append("</code></td><td>").Append(E(s.Spdx ?? "-")).Append("</td></tr>\n");
            foreach (var g in cs.Generated)
                h.Append("<tr><td><code>").Append(E(g.Path)).Append("</code> (generated)</td><td>-</td><td><code>").Append(g.Sha256).Append("</code></td><td>")
                    .Append(E(g.Spdx ?? "-")).Append("</td></tr>\n");
            foreach (var p in cs.Patches)
                h.Append("<tr><td>patch <code>").Append(E(p.File)).Append("</code></td><td>-</td><td><code>").Append(p.Sha256).Append("</code></td><td>-</td></tr>\n");
            h.Append("</table>\n");
        }
        h.Append("</body></html>\n");
        return h.ToString();
    }

    /// <summary>Processes as boxes in a row; channels between processes as arcs above them (one lane
    /// each), channels to the host kernel as lines down to it.</summary>
    private static string Graph(DeploymentReport d)
    {
        const int boxW = 210, gap = 70, boxH = 56, lane = 30;
        bool ToKernel(ChannelReport c) => c.From == DeploymentFile.HostKernel || c.To == DeploymentFile.HostKernel;
        var arcs = d.Channels.Where(c => !ToKernel(c)).ToList();
        var x = new Dictionary<string, int>();
        for (int i = 0; i < d.Processes.Count; i++)
            x[d.Processes[i].Name] = gap / 2 + i * (boxW + gap) + boxW / 2;
        arcs = arcs.OrderBy(c => Math.Abs(x[c.From] - x[c.To])).ToList(); // short spans inside, long ones above them
        var down = d.Channels.Where(ToKernel).ToList();
        int top = 30 + lane * arcs.Count;
        int width = Math.Max(1, d.Processes.Count) * (boxW + gap);
        int kernelY = top + boxH + 110;
        int height = down.Count > 0 ? kernelY + 40 : top + boxH + 20;
        var s = new StringBuilder();
        s.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(width).Append("\" height=\"").Append(height).Append("\" role=\"img\">\n");
        for (int i = 0; i < arcs.Count; i++)
        {
            var c = arcs[i];
            int x1 = x[c.From] + (i % 2 == 0 ? -20 : 20), x2 = x[c.To] + (i % 2 == 0 ? -20 : 20);
            int peak = 16 + lane * i, apex = top - peak * 4 / 3; // a cubic reaches 3/4 of the way to its control points
            s.Append("<path d=\"M").Append(x1).Append(',').Append(top).Append(" C").Append(x1).Append(',').Append(apex).Append(' ')
                .Append(x2).Append(',').Append(apex).Append(' ').Append(x2).Append(',').Append(top).Append("\" fill=\"none\" stroke=\"#447\" stroke-width=\"2\"/>\n");
            s.Append("<text x=\"").Append((x1 + x2) / 2).Append("\" y=\"").Append(top - peak - 5).Append("\" text-anchor=\"middle\" fill=\"#447\">")
                .Append(E(c.Name)).Append(" (IPC)</text>\n");
        }
        if (down.Count > 0)
        {
            s.Append("<rect x=\"").Append(width / 2 - 90).Append("\" y=\"").Append(kernelY).Append("\" width=\"180\" height=\"30\" fill=\"#eee\" stroke=\"#555\"/>\n<text x=\"")
                .Append(width / 2).Append("\" y=\"").Append(kernelY + 20).Append("\" text-anchor=\"middle\">host kernel</text>\n");
            foreach (var c in down)
            {
                int px = x[c.From == DeploymentFile.HostKernel ? c.To : c.From];
                int kx = width / 2 + Math.Clamp(px - width / 2, -80, 80);
                s.Append("<line x1=\"").Append(px).Append("\" y1=\"").Append(top + boxH).Append("\" x2=\"").Append(kx).Append("\" y2=\"").Append(kernelY)
                    .Append("\" stroke=\"#447\" stroke-width=\"2\"/>\n");
                s.Append("<text x=\"").Append((px + kx) / 2 + 6).Append("\" y=\"").Append((top + boxH + kernelY) / 2).Append("\" fill=\"#447\">").Append(E(c.Name)).Append("</text>\n");
            }
        }
        foreach (var p in d.Processes)
        {
            int cx = x[p.Name];
            string fill = p.Mixed ? "#f6c8c8" : p.ContainsGpl ? "#fde9b8" : "#dcefdc";
            s.Append("<rect x=\"").Append(cx - boxW / 2).Append("\" y=\"").Append(top).Append("\" width=\"").Append(boxW).Append("\" height=\"").Append(boxH)
                .Append("\" rx=\"8\" fill=\"").Append(fill).Append("\" stroke=\"#555\"/>\n");
            s.Append("<text x=\"").Append(cx).Append("\" y=\"").Append(top + 22).Append("\" text-anchor=\"middle\" font-weight=\"bold\">").Append(E(p.Name)).Append("</text>\n");
            s.Append("<text x=\"").Append(cx).Append("\" y=\"").Append(top + 42).Append("\" text-anchor=\"middle\">")
                .Append(p.Mixed ? "MIXED: GPL + incompatible" : p.ContainsGpl ? "GPL-2.0 address space" : "no GPL code").Append("</text>\n");
        }
        s.Append("</svg>\n");
        return s.ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
