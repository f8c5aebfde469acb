// SPDX-License-Identifier: MIT
// Managed side. The table scan prints at the end: one row per module.
using LinuxShim.Import.Model;

namespace LinuxShim.Tools;

public static class Summary
{
    public static void Write(ImportModel model, TextWriter w)
    {
        var rows = new List<string[]> { new[] { "module", "directory", "sources", "requires", "gpl-only", "unexported", "pci-ids", "license", "status" } };
        foreach (var m in model.Modules)
            rows.Add([
                m.Name, m.Directory, m.Sources.Count(s => s.Role == "source").ToString(),
                m.Requires.Count.ToString(),
                m.Requires.Count(r => r.Export.EndsWith("_GPL", StringComparison.Ordinal)).ToString(),
                m.Requires.Count(r => r.Export == "unexported").ToString(),
                m.PciIds.Count.ToString(), m.License ?? "-", m.Status,
            ]);
        var widths = Enumerable.Range(0, rows[0].Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var r in rows)
            w.WriteLine(string.Join("  ", r.Select((c, i) => i is >= 2 and <= 6 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        int failed = model.Modules.Count(m => m.Status != "ok");
        w.WriteLine($"{model.Modules.Count} modules in {model.Scope} ({model.Kernel.Release}, {model.Kernel.Source} {model.Kernel.Location}); {failed} with errors");
        foreach (var m in model.Modules.Where(m => m.Status != "ok"))
            w.WriteLine($"  {m.Name}: {m.Errors.FirstOrDefault()}");
        foreach (var warning in model.Warnings)
            w.WriteLine($"  warning: {warning}");
        if (model.Coverage is { } c)
        {
            w.WriteLine($"shim: {c.ShimSymbols} kernel symbols implemented; {c.ModulesLinking} of {model.Modules.Count} modules link; {c.Missing.Count} symbols missing");
            if (c.Providers.Count > 0)
                w.WriteLine($"providers outside the scan: {c.Providers.Count(p => p.Links)} of {c.Providers.Count} link: "
                    + string.Join(", ", c.Providers.Select(p => $"{p.Directory}/{p.Name} ({(p.Links ? "links" : $"{p.Missing.Count} missing")}; for {string.Join(" ", p.UsedBy)})")));
            if (c.Missing.Count > 0)
                w.WriteLine("most blocking: " + string.Join(", ", c.Missing.Take(8).Select(m => $"{m.Symbol} ({m.Blocks})")));
        }
    }
}
