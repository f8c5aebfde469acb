// SPDX-License-Identifier: MIT
// Managed side. The licence boundary report as a CycloneDX 1.6 JSON BOM: each driver binary is a
// component whose pedigree names the upstream kernel (ancestor, commit) and the patches applied,
// with its source files, shim files and generated glue as sub-components; each process of the
// deployment is an application component holding what it loads; IPC channels are services that
// cross a trust boundary.
using System.Globalization;
using System.Text.Json.Nodes;

namespace LinuxShim.Import.Licence;

public static class CycloneDxWriter
{
    public const string SpecVersion = "1.6";

    public static string Write(LicenceReport r, DateTimeOffset created)
    {
        var components = new JsonArray();
        var dependencies = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string linux = "linux@" + r.Kernel.Release;

        foreach (var m in r.Modules)
        {
            string mref = "module:" + m.Name;
            components.Add(new JsonObject
            {
                ["type"] = "library",
                ["bom-ref"] = mref,
                ["name"] = m.Name,
                ["version"] = r.Kernel.Release,
                ["description"] = $"Kbuild module {m.Name} of {m.Directory}: its upstream sources",
                ["components"] = new JsonArray(m.Sources.Select(x => (JsonNode)File($"{mref}:{x.Path}", x.Path, x.Sha1, x.Sha256, x.Effective,
                    ("linuxshim:role", "upstream " + x.Role), ("linuxshim:git-blob", x.Blob), ("linuxshim:spdx-line", x.Spdx ?? "none"),
                    ("linuxshim:spdx-status", x.Status))).ToArray()),
                ["properties"] = Properties(
                    [("linuxshim:module-license", m.ModuleLicense ?? "none"), ("linuxshim:module-license-gpl-compatible", m.ModuleLicenseGplCompatible ? "true" : "false"),
                     .. m.GplOnlyImports.Select(i => ("linuxshim:gpl-only-import", $"{i.Symbol} <- {i.Shim?.Component ?? "not implemented by the shim"}"))]),
            });
            dependencies[mref] = [];
        }

        foreach (var cs in r.CorrespondingSource)
        {
            var module = r.Modules.FirstOrDefault(m => m.Name == cs.Module);
            string soRef = SoRef(cs);
            var parts = new JsonArray();
            foreach (var s in cs.Sources)
            {
                string licence = module?.Sources.FirstOrDefault(x => x.Path == s.Path)?.Effective ?? s.Spdx ?? LicenceAnalyzer.DefaultKernelLicence;
                parts.Add(File($"{soRef}:{s.Path}", s.Path, s.Sha1, s.Sha256, licence,
                    ("linuxshim:role", "upstream source"), ("linuxshim:git-blob", s.Blob), ("linuxshim:spdx-line", s.Spdx ?? "none")));
            }
            foreach (var s in cs.ShadowHeaders.Concat(cs.NativeRuntime))
                parts.Add(File($"{soRef}:{s.Path}", s.Path, s.Sha1, s.Sha256, s.Spdx,
                    ("linuxshim:role", s.Path.Contains("/include/", StringComparison.Ordinal) ? "shadow header" : "shim native runtime"), ("linuxshim:git-blob", s.Blob)));
            foreach (var g in cs.Generated)
                parts.Add(File($"{soRef}:{g.Path}", g.Path, g.Sha1, g.Sha256, g.Spdx,
                    ("linuxshim:role", "generated glue"), ("linuxshim:generator", g.Generator), ("linuxshim:generated-from", string.Join(", ", g.GeneratedFrom))));

            var ancestor = new JsonObject
            {
                ["type"] = "operating-system",
                ["bom-ref"] = $"{soRef}:ancestor:{linux}",
                ["name"] = "linux",
                ["version"] = r.Kernel.Release,
                ["description"] = $"Upstream kernel tree: {cs.Upstream.Kind} {cs.Upstream.Location}",
                ["licenses"] = Licences("GPL-2.0-only"),
            };
            if (cs.Upstream.Sha256 is { } tarball)
                ancestor["hashes"] = Hashes(("SHA-256", tarball));
            var pedigree = new JsonObject
            {
                ["ancestors"] = new JsonArray(ancestor),
                ["notes"] = "Built from the upstream module's sources, unmodified unless patches are listed, against the tree's configured headers, "
                            + "with LinuxShim's shadow headers first on the include path, its native runtime and generated glue.",
            };
            if (cs.Upstream.Commit is { } commit)
                pedigree["commits"] = new JsonArray(new JsonObject { ["uid"] = commit, ["url"] = cs.Upstream.Location });
            if (cs.Patches.Count > 0)
                pedigree["patches"] = new JsonArray(cs.Patches.Select(p => (JsonNode)new JsonObject
                {
                    ["type"] = "unofficial",
                    ["diff"] = new JsonObject { ["url"] = $"ports/{cs.Port}/{p.File}" },
                }).ToArray());

            var so = new JsonObject
            {
                ["type"] = "library",
                ["bom-ref"] = soRef,
                ["name"] = cs.Library?.File ?? cs.Module + ".so",
                ["version"] = r.Kernel.Release,
                ["description"] = $"Linux driver {cs.Module} (port {cs.Port}) built for the LinuxShim driver host" + (cs.Built ? "" : " (not built yet)"),
                ["licenses"] = Licences(Combined(parts)),
                ["pedigree"] = pedigree,
                ["components"] = parts,
                ["properties"] = Properties(("linuxshim:compiler", cs.Compiler ?? "not built"), ("linuxshim:flags", string.Join(' ', cs.Flags))),
            };
            if (cs.Library is { } lib)
                so["hashes"] = Hashes(("SHA-256", lib.Sha256));
            components.Add(so);
            dependencies[soRef] = module is null ? [] : ["module:" + module.Name];
        }

        var services = new JsonArray();
        if (r.Deployment is { } d)
        {
            foreach (var p in d.Processes)
            {
                string pref = "process:" + p.Name;
                var loaded = new JsonArray();
                var depends = new List<string>();
                foreach (var c in p.Components)
                {
                    if (c.PartOf is { } part)
                    {
                        var cs = r.CorrespondingSource.FirstOrDefault(x => (x.Library?.File ?? x.Module + ".so") == part);
                        if (cs is not null && !depends.Contains(SoRef(cs)))
                            depends.Add(SoRef(cs));
                        continue;
                    }
                    var comp = new JsonObject
                    {
                        ["type"] = c.Kind is "program" or "runtime" ? (c.Kind == "runtime" ? "framework" : "application") : "library",
                        ["bom-ref"] = $"{pref}:{c.Kind}:{c.Name}",
                        ["name"] = c.Name,
                        ["properties"] = Properties(("linuxshim:kind", c.Kind), ("linuxshim:licence-source", c.LicenceSource),
                            ("linuxshim:gpl-2.0-compatible", c.Gpl2Compatible ? "true" : "false"), ("linuxshim:reason", c.Reason)),
                    };
                    if (c.Version is { } v)
                        comp["version"] = v;
                    if (Licences(c.Licence) is { } l)
                        comp["licenses"] = l;
                    if (c.Kind == "nuget" && c.Version is { } nv)
                        comp["purl"] = $"pkg:nuget/{c.Name}@{nv}";
                    loaded.Add(comp);
                }
                var process = new JsonObject
                {
                    ["type"] = "application",
                    ["bom-ref"] = pref,
                    ["name"] = p.Name,
                    ["description"] = $"Process (one address space) of deployment {d.Name}" + (p.Command is { } cmd ? $": {cmd}" : ""),
                    ["components"] = loaded,
                    ["properties"] = Properties(
                        [("linuxshim:address-space", p.Name), ("linuxshim:contains-gpl", p.ContainsGpl ? "true" : "false"), ("linuxshim:mixed", p.Mixed ? "true" : "false"),
                         .. p.Findings.Select(f => ("linuxshim:finding", f))]),
                };
                components.Add(process);
                dependencies[pref] = depends;
            }
            foreach (var c in d.Channels)
            {
                string sref = "channel:" + c.Name;
                services.Add(new JsonObject
                {
                    ["bom-ref"] = sref,
                    ["name"] = c.Name,
                    ["description"] = $"IPC channel between {c.From} and {c.To}: {c.Transport}",
                    ["trustZone"] = "process boundary",
                    ["x-trust-boundary"] = true,
                    ["data"] = new JsonArray(new JsonObject { ["flow"] = "bi-directional", ["classification"] = c.Transport }),
                    ["properties"] = Properties(("linuxshim:from", c.From), ("linuxshim:to", c.To)),
                });
                foreach (var end in new[] { c.From, c.To }.Where(e => e != DeploymentFile.HostKernel))
                    dependencies["process:" + end].Add(sref);
            }
        }

        var bom = new JsonObject
        {
            ["$schema"] = "http://cyclonedx.org/schema/bom-1.6.schema.json",
            ["bomFormat"] = "CycloneDX",
            ["specVersion"] = SpecVersion,
            ["serialNumber"] = "urn:uuid:" + Uuid(LicenceReportJson.Serialize(r)),
            ["version"] = 1,
            ["metadata"] = new JsonObject
            {
                ["timestamp"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                ["tools"] = new JsonObject
                {
                    ["components"] = new JsonArray(new JsonObject { ["type"] = "application", ["name"] = "linuxshim", ["version"] = r.Kernel.Analyser }),
                },
                ["component"] = new JsonObject
                {
                    ["type"] = "application",
                    ["bom-ref"] = "target",
                    ["name"] = r.Deployment?.Name ?? r.Target,
                    ["description"] = "LinuxShim licence boundary report: " + r.Target,
                },
            },
            ["components"] = components,
            ["dependencies"] = new JsonArray(
                [new JsonObject { ["ref"] = "target", ["dependsOn"] = new JsonArray(dependencies.Keys.Where(k => r.Deployment is null ? !k.StartsWith("module:", StringComparison.Ordinal) || r.CorrespondingSource.Count == 0 : k.StartsWith("process:", StringComparison.Ordinal))
                    .Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()) },
                 .. dependencies.Select(kv => (JsonNode)new JsonObject
                 {
                     ["ref"] = kv.Key,
                     ["dependsOn"] = new JsonArray(kv.Value.Distinct().Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
                 })]),
        };
        if (services.Count > 0)
            bom["services"] = services;
        return bom.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string SoRef(CorrespondingSource cs) => $"driver:{cs.Module}";

    private static JsonObject File(string bomRef, string path, string sha1, string sha256, string? licence, params (string, string)[] properties)
    {
        var f = new JsonObject
        {
            ["type"] = "file",
            ["bom-ref"] = bomRef,
            ["name"] = path,
            ["hashes"] = Hashes(("SHA-1", sha1), ("SHA-256", sha256)),
            ["properties"] = Properties(properties),
        };
        if (Licences(licence) is { } l)
            f["licenses"] = l;
        return f;
    }

    /// <summary>An SPDX expression as CycloneDX's single-expression licence choice; null when unknown.</summary>
    private static JsonArray? Licences(string? expression) =>
        expression is null || expression.Contains("NOASSERTION", StringComparison.Ordinal) || expression == "NONE"
            ? null : new JsonArray(new JsonObject { ["expression"] = expression });

    private static string? Combined(JsonArray parts)
    {
        var all = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in parts)
        {
            if (p?["licenses"]?[0]?["expression"]?.GetValue<string>() is not { } e)
                return null;
            all.Add(SpdxExpression.TryParse(e, out var x, out _) && x is SpdxOr ? $"({e})" : e);
        }
        return all.Count == 0 ? null : string.Join(" AND ", all);
    }

    private static JsonArray Hashes(params (string Alg, string Value)[] hashes) =>
        new(hashes.Select(h => (JsonNode)new JsonObject { ["alg"] = h.Alg, ["content"] = h.Value }).ToArray());

    private static JsonArray Properties(params (string Name, string Value)[] properties) =>
        new(properties.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["value"] = p.Value }).ToArray());

    private static string Uuid(string text)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text + "\ncyclonedx"));
        hash[6] = (byte)((hash[6] & 0x0f) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3f) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
