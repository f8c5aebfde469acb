// SPDX-License-Identifier: MIT
// Managed side. The licence boundary report for people, as Markdown. The process/IPC graph is a
// Mermaid block, which Markdown viewers draw.
using System.Text;

namespace LinuxShim.Import.Licence;

public static class LicenceMarkdown
{
    public static string Write(LicenceReport r)
    {
        var md = new StringBuilder();
        md.AppendLine($"# Licence boundary report: {r.Target}").AppendLine();
        md.AppendLine($"Kernel {r.Kernel.Release} ({r.Kernel.Source} {r.Kernel.Location}{(r.Kernel.Commit is { } c ? " at " + c : "")}), analyser {r.Kernel.Analyser}.").AppendLine();
        if (r.Deployment is { } d)
        {
            md.AppendLine(d.Mixed
                ? $"**Mixed address space**: {d.Processes.Count(p => p.Mixed)} process(es) of deployment `{d.Name}` load GPL-2.0 code together with code whose licence is incompatible with it."
                : $"Deployment `{d.Name}`: no address space mixes GPL-2.0 code with incompatible code.").AppendLine();
        }

        md.AppendLine("## Modules").AppendLine();
        md.AppendLine("| module | MODULE_LICENSE | GPL-compatible (license.h) | sources | without SPDX | GPL-only imports | provided by the shim |");
        md.AppendLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var m in r.Modules)
            md.AppendLine($"| {m.Name} | {m.ModuleLicense ?? "(none)"} | {(m.ModuleLicenseGplCompatible ? "yes" : "**no**")} | {m.Sources.Count} | {m.Sources.Count(s => s.Status == "none")} | {m.GplOnlyImports.Count} | {m.GplOnlyImports.Count(i => i.Shim is not null)} |");
        md.AppendLine();
        foreach (var m in r.Modules)
        {
            md.AppendLine($"### {m.Name} ({m.Directory})").AppendLine();
            md.AppendLine("| file | role | SPDX | status | blob |").AppendLine("|---|---|---|---|---|");
            foreach (var s in m.Sources)
                md.AppendLine($"| `{s.Path}` | {s.Role} | {s.Spdx ?? "(none: GPL-2.0-only by COPYING)"} | {s.Status}{(s.Problems.Count > 0 ? ": " + string.Join("; ", s.Problems) : "")} | `{s.Blob[..12]}` |");
            md.AppendLine();
            if (m.GplOnlyImports.Count > 0)
            {
                md.AppendLine("GPL-only imports (`EXPORT_SYMBOL_GPL` in Module.symvers):").AppendLine();
                md.AppendLine("| symbol | exported by | namespace | shim component | file | licence |").AppendLine("|---|---|---|---|---|---|");
                foreach (var i in m.GplOnlyImports)
                    md.AppendLine($"| `{i.Symbol}` | {i.Provider ?? "-"} | {i.Namespace ?? "-"} | {i.Shim?.Component ?? "**not implemented**"} | {(i.Shim is { } p ? $"`{p.File}`" : "-")} | {i.Shim?.Licence ?? "-"} |");
                md.AppendLine();
            }
        }
        if (r.FilesWithoutSpdx.Count > 0)
        {
            md.AppendLine("## Files without an SPDX line").AppendLine();
            foreach (var f in r.FilesWithoutSpdx)
                md.AppendLine($"- `{f}`");
            md.AppendLine();
        }
        if (r.SpdxProblems.Count > 0)
        {
            md.AppendLine("## SPDX lines that break the kernel's licensing rules").AppendLine();
            foreach (var p in r.SpdxProblems)
                md.AppendLine($"- {p}");
            md.AppendLine();
        }
        if (r.Deployment is { } dep)
            Deployment(md, dep);
        foreach (var cs in r.CorrespondingSource)
            Corresponding(md, cs);
        return md.ToString();
    }

    private static void Deployment(StringBuilder md, DeploymentReport d)
    {
        md.AppendLine($"## Address spaces: deployment `{d.Name}`").AppendLine();
        if (d.Description is { } desc)
            md.AppendLine(desc).AppendLine();
        md.AppendLine("```mermaid").AppendLine("flowchart LR");
        foreach (var p in d.Processes)
            md.AppendLine($"  {Id(p.Name)}[\"{p.Name}{(p.ContainsGpl ? " (GPL-2.0)" : "")}{(p.Mixed ? " MIXED" : "")}\"]");
        if (d.Channels.Any(c => c.From == DeploymentFile.HostKernel || c.To == DeploymentFile.HostKernel))
            md.AppendLine($"  {Id(DeploymentFile.HostKernel)}[(\"host kernel\")]");
        foreach (var c in d.Channels)
            md.AppendLine($"  {Id(c.From)} <-- \"{c.Name}\" --> {Id(c.To)}");
        md.AppendLine("```").AppendLine();
        foreach (var p in d.Processes)
        {
            md.AppendLine($"### Process `{p.Name}`{(p.Mixed ? " — MIXED" : "")}").AppendLine();
            if (p.Command is { } cmd)
                md.AppendLine($"`{cmd}`").AppendLine();
            foreach (var f in p.Findings)
                md.AppendLine($"- **flagged**: {f}");
            if (p.Findings.Count > 0)
                md.AppendLine();
            md.AppendLine("| kind | component | licence | from | GPL | GPL-2.0-compatible | why |").AppendLine("|---|---|---|---|---|---|---|");
            foreach (var c in p.Components)
                md.AppendLine($"| {c.Kind} | `{c.Name}`{(c.Version is { } v ? " " + v : "")}{(c.PartOf is { } part ? $" (in {part})" : "")} | {c.Licence} | {c.LicenceSource} | {(c.Gpl ? "yes" : "")} | {(c.Gpl2Compatible ? "yes" : "**no**")} | {c.Reason} |");
            md.AppendLine();
        }
        if (d.Channels.Count > 0)
        {
            md.AppendLine("### IPC channels (process boundaries)").AppendLine();
            md.AppendLine("| channel | between | and | transport |").AppendLine("|---|---|---|---|");
            foreach (var c in d.Channels)
                md.AppendLine($"| {c.Name} | {c.From} | {c.To} | {c.Transport} |");
            md.AppendLine();
        }
    }

    private static void Corresponding(StringBuilder md, CorrespondingSource cs)
    {
        md.AppendLine($"## Corresponding source: {cs.Module} (port {cs.Port})").AppendLine();
        if (!cs.Built)
            md.AppendLine($"The port is not built: run `linuxshim port build ports/{cs.Port}` for the binary's hashes and generated glue.").AppendLine();
        if (cs.Library is { } lib)
            md.AppendLine($"Binary `{lib.File}`, SHA-256 `{lib.Sha256}`.").AppendLine();
        var u = cs.Upstream;
        md.AppendLine($"Upstream: Linux {u.Release}, {u.Kind} `{u.Location}`"
                      + (u.Commit is { } commit ? $", commit `{commit}`" : "") + (u.Sha256 is { } sha ? $", SHA-256 `{sha}`" : "") + ".").AppendLine();
        md.AppendLine("| file | git blob | SHA-256 | SPDX |").AppendLine("|---|---|---|---|");
        foreach (var s in cs.Sources.Concat(cs.ShadowHeaders).Concat(cs.NativeRuntime))
            md.AppendLine($"| `{s.Path}` | `{s.Blob}` | `{s.Sha256}` | {s.Spdx ?? "-"} |");
        foreach (var g in cs.Generated)
            md.AppendLine($"| `{g.Path}` (generated by {g.Generator}) | - | `{g.Sha256}` | {g.Spdx ?? "-"} |");
        foreach (var p in cs.Patches)
            md.AppendLine($"| patch `{p.File}` | - | `{p.Sha256}` | - |");
        md.AppendLine();
        if (cs.Compiler is { } compiler)
            md.AppendLine($"Built with `{compiler}` and {cs.Flags.Count} flags (in the JSON report).").AppendLine();
    }

    private static string Id(string name) => "n_" + new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
}
