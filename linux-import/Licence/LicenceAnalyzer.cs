// SPDX-License-Identifier: MIT
// Managed side. Builds the licence boundary report from the Import Model of a driver directory or a
// port, the tree's LICENSES/ and license.h, Module.symvers (via the model's export types), the shim's
// inventory (which component implements which symbol, its native files) and a deployment.
using System.Security.Cryptography;
using System.Text.Json;
using LinuxShim.Import.Analysis;
using LinuxShim.Import.Install;
using LinuxShim.Import.Model;
using LinuxShim.Import.Port;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Licence;

/// <summary>A file of the shim that goes into every driver .so (shim/native/*, shim/include/**).</summary>
public sealed record ShimFile(string Path, byte[] Content);

/// <summary>What the shim is made of: the component implementing each kernel symbol, and its native files.</summary>
public sealed record ShimInventory(IReadOnlyDictionary<string, ShimProvider> Symbols, IReadOnlyList<ShimFile> Files);

public static class LicenceAnalyzer
{
    /// <summary>The licence of a file with no SPDX line, by the kernel's COPYING.</summary>
    public const string DefaultKernelLicence = "GPL-2.0-only";

    /// <summary>Is <paramref name="export"/> (a Module.symvers export type) usable by GPL-compatible modules only?</summary>
    public static bool IsGplOnly(string export) => export.StartsWith("EXPORT_SYMBOL", StringComparison.Ordinal) && export.Contains("_GPL", StringComparison.Ordinal);

    /// <summary>Analyses <paramref name="target"/>: a port folder (with port.conf) or a directory of the kernel tree.</summary>
    public static LicenceReport Analyze(Importer importer, string target, ShimInventory shim, Deployment? deployment, Action<string>? log = null)
    {
        var rules = KernelLicenseRules.Read(importer.Tree);
        var gplStrings = ModuleLicenseStrings.GplCompatible(importer.Tree);

        var ports = new List<PortRecipe>();
        ImportModel model;
        string targetName;
        if (File.Exists(Path.Combine(target, PortRecipe.FileName)))
        {
            var recipe = PortRecipe.Load(target);
            ports.Add(recipe);
            targetName = "port " + recipe.Name;
            model = PortScan.Scan(importer, recipe, log);
        }
        else
        {
            targetName = target;
            log?.Invoke($"analysing {target}");
            model = importer.Scan(target);
        }
        var modules = model.Modules.ToList();
        foreach (var load in deployment?.Processes.SelectMany(p => p.Loads).Where(l => l.Kind == "port") ?? [])
        {
            if (ports.Any(p => p.Folder == load.Path))
                continue;
            var recipe = PortRecipe.Load(load.Path!);
            ports.Add(recipe);
            if (!PortScan.Holds(recipe, modules))
                modules.AddRange(PortScan.Scan(importer, recipe).Modules.Where(m => !modules.Any(o => o.Name == m.Name && o.Directory == m.Directory)));
        }

        var reports = modules.Select(m => Module(importer.Tree, rules, gplStrings, m, shim)).ToList();
        var sources = ports.Select(p => Corresponding(importer, p, PortScan.Of(p, modules), shim)).ToList();
        return new LicenceReport
        {
            Target = targetName,
            Kernel = model.Kernel,
            Modules = reports,
            FilesWithoutSpdx = reports.SelectMany(m => m.Sources).Where(s => s.Status == "none").Select(s => s.Path).Distinct().Order(StringComparer.Ordinal).ToList(),
            SpdxProblems = reports.SelectMany(m => m.Sources).SelectMany(s => s.Problems.Select(p => $"{s.Path}:{s.Line ?? 1}: {p}")).Distinct().Order(StringComparer.Ordinal).ToList(),
            Deployment = deployment is null ? null : AddressSpaces(deployment, ports, modules, sources, shim),
            CorrespondingSource = sources,
        };
    }

    private static ModuleLicence Module(KernelTree tree, KernelLicenseRules rules, IReadOnlySet<string> gplStrings, ModuleInfo m, ShimInventory shim)
    {
        var sources = m.Sources.Select(s => Source(tree, rules, s)).ToList();
        var imports = m.Requires.Where(r => IsGplOnly(r.Export))
            .Select(r => new GplOnlyImport(r.Symbol, r.Export, r.Namespace, r.Provider, shim.Symbols.GetValueOrDefault(r.Symbol)))
            .OrderBy(i => i.Symbol, StringComparer.Ordinal).ToList();
        return new ModuleLicence
        {
            Name = m.Name,
            Directory = m.Directory,
            ModuleLicense = m.License,
            ModuleLicenseGplCompatible = m.License is not null && gplStrings.Contains(m.License),
            Sources = sources,
            GplOnlyImports = imports,
        };
    }

    /// <summary>Checks a source's SPDX line: syntax, the tree's rules, and its placement (first line; second for scripts).</summary>
    public static SourceLicence Source(KernelTree tree, KernelLicenseRules rules, SourceFile s)
    {
        var content = tree.FileExists(s.Path) ? tree.ReadFile(s.Path) : [];
        string sha1 = Convert.ToHexStringLower(SHA1.HashData(content)), sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        if (s.Spdx is null)
            return new SourceLicence(s.Path, s.Role, s.Blob, sha1, sha256, null, null, "none", []);
        var problems = new List<string>();
        int line = SpdxLine(content);
        if (line > 2)
            problems.Add("the SPDX-License-Identifier belongs on the first line (the second for scripts), license-rules.rst");
        try
        {
            problems.AddRange(rules.Check(SpdxExpression.Parse(s.Spdx)));
        }
        catch (SpdxSyntaxException e)
        {
            problems.Add("malformed SPDX expression: " + e.Message);
        }
        return new SourceLicence(s.Path, s.Role, s.Blob, sha1, sha256, s.Spdx, line > 0 ? line : null, problems.Count == 0 ? "ok" : "invalid", problems);
    }

    private static int SpdxLine(byte[] content)
    {
        var head = System.Text.Encoding.UTF8.GetString(content, 0, Math.Min(content.Length, 2048)).Split('\n');
        for (int i = 0; i < Math.Min(head.Length, 5); i++)
            if (head[i].Contains("SPDX-License-Identifier:", StringComparison.Ordinal))
                return i + 1;
        return 0;
    }

    private static DeploymentReport AddressSpaces(Deployment deployment, List<PortRecipe> ports, List<ModuleInfo> modules,
        List<CorrespondingSource> sources, ShimInventory shim)
    {
        var processes = new List<ProcessReport>();
        foreach (var p in deployment.Processes)
        {
            var components = new List<ComponentReport>();
            foreach (var load in p.Loads)
            {
                if (load.Kind == "port")
                {
                    var recipe = ports.Single(r => r.Folder == load.Path);
                    var built = sources.Single(c => c.Port == recipe.Name);
                    components.AddRange(PortParts(recipe, PortScan.Of(recipe, modules), built, shim));
                }
                else
                {
                    components.Add(Component(load.Kind, load.Name, load.Version, load.Licence!, load.LicenceSource ?? "deployment", null));
                }
            }
            bool gpl = components.Any(c => c.Gpl);
            var findings = new List<string>();
            if (gpl)
            {
                var gplPart = components.First(c => c.Gpl);
                foreach (var c in components.Where(c => !c.Gpl2Compatible))
                    findings.Add($"{c.Kind} {c.Name} ({c.Licence}) shares process '{p.Name}' with GPL-2.0 code ({gplPart.Name}, {gplPart.Licence}): {c.Reason}");
            }
            processes.Add(new ProcessReport
            {
                Name = p.Name, Command = p.Command, Components = components, ContainsGpl = gpl, Mixed = findings.Count > 0, Findings = findings,
            });
        }
        return new DeploymentReport
        {
            Name = deployment.Name,
            File = deployment.File,
            Description = deployment.Description,
            Processes = processes,
            Channels = deployment.Channels.Select(c => new ChannelReport(c.Name, c.From, c.To, c.Transport)).ToList(),
        };
    }

    /// <summary>What a port's driver .so is made of, each part with its licence.</summary>
    private static IEnumerable<ComponentReport> PortParts(PortRecipe recipe, IReadOnlyList<ModuleInfo> modules, CorrespondingSource built, ShimInventory shim)
    {
        string so = recipe.Module + ".so";
        foreach (var s in modules.SelectMany(m => m.Sources))
            yield return Component("upstream", s.Path, null, Parse(s.Spdx ?? DefaultKernelLicence), s.Spdx is null ? "kernel COPYING (no SPDX line)" : "SPDX line", so);
        yield return Component("upstream", "kernel headers (include/, arch/x86/include/)", null, Parse(DefaultKernelLicence), "kernel COPYING", so);
        var native = built.NativeRuntime.Concat(built.ShadowHeaders);
        foreach (var f in native)
            yield return Component("shim", f.Path, null, Parse(f.Spdx ?? "NOASSERTION"), f.Spdx is null ? "no SPDX line" : "SPDX line", so);
        foreach (var g in built.Generated)
            yield return Component("generated", g.Path, null, Parse(g.Spdx ?? DefaultKernelLicence), g.Spdx is null ? "generated for a GPL-2.0 module" : "SPDX line", so);
        if (built.Generated.Count == 0)
            yield return Component("generated", "linuxshim_glue.c (port not built yet)", null, Parse(DefaultKernelLicence), "generated for a GPL-2.0 module", so);
    }

    private static SpdxExpression Parse(string text) => SpdxExpression.TryParse(text, out var e, out _) ? e! : new SpdxLicense("NOASSERTION", false);

    private static ComponentReport Component(string kind, string name, string? version, SpdxExpression licence, string source, string? partOf)
    {
        var verdict = GplCompatibility.WithGpl2Only(licence);
        return new ComponentReport
        {
            Kind = kind, Name = name, Version = version, Licence = licence.ToString()!, LicenceSource = source, PartOf = partOf,
            Gpl = GplCompatibility.BindsGpl2(licence), Gpl2Compatible = verdict.Compatible, Reason = verdict.Reason,
        };
    }

    /// <summary>What a distributor of the port's .so must offer: the sources of every module it links (<paramref name="modules"/>).</summary>
    private static CorrespondingSource Corresponding(Importer importer, PortRecipe recipe, IReadOnlyList<ModuleInfo> modules, ShimInventory shim)
    {
        var tree = importer.Tree;
        string? tarballSha = null;
        if (tree.Kind == "tarball" && File.Exists(tree.Location))
            tarballSha = Sha256File(tree.Location);
        var upstream = new UpstreamTree(tree.Kind, tree.Location, tree.Revision, tree.Commit, tarballSha, importer.Kernel.Release);
        var sources = modules.SelectMany(m => m.Sources).Select(s =>
        {
            var content = tree.ReadFile(s.Path);
            return new SourceDigest(s.Path, s.Blob, Convert.ToHexStringLower(SHA1.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(content)), s.Spdx);
        }).ToList();
        var patches = recipe.Patches.Select(Patch).ToList();

        string buildDir = Path.Combine(recipe.Folder, "build");
        string manifestFile = Path.Combine(buildDir, recipe.Module + ".port.json");
        if (!File.Exists(manifestFile))
        {
            return new CorrespondingSource
            {
                Port = recipe.Name, Module = recipe.Module, Built = false, Upstream = upstream, Sources = sources, Patches = patches,
                ShadowHeaders = UsedShadowHeaders(shim.Files, importer.Version).Select(f => Digest(f.Path, f.Content)).ToList(),
                NativeRuntime = shim.Files.Where(f => f.Path.StartsWith("shim/native/", StringComparison.Ordinal)).Select(f => Digest(f.Path, f.Content)).ToList(),
            };
        }
        var manifest = PortManifest.Load(manifestFile);
        // The exact native sources and shadow headers the build used are where its -I flags point; the
        // shim's embedded copies (those of the build's kernel version) stand in when that extraction is gone.
        var shimFiles = manifest.ShimFiles() ?? [.. UsedShadowHeaders(shim.Files, manifest.KernelVersion ?? importer.Version),
            .. shim.Files.Where(f => !f.Path.StartsWith(ShimIncludePrefix, StringComparison.Ordinal))];
        // The glue, and for a port of several modules each one's module object (linuxshim_moduleN.c).
        var generated = new List<GeneratedFile>();
        string objDir = Path.Combine(buildDir, "obj");
        var glueFiles = Directory.Exists(objDir)
            ? Directory.GetFiles(objDir, "linuxshim_*.c").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        foreach (var name in glueFiles)
        {
            var content = File.ReadAllBytes(Path.Combine(objDir, name));
            generated.Add(new GeneratedFile($"ports/{recipe.Name}/build/obj/{name}", Convert.ToHexStringLower(SHA1.HashData(content)),
                Convert.ToHexStringLower(SHA256.HashData(content)), SpdxReader.Read(content),
                $"linuxshim port build ({manifest.Analyser ?? Importer.AnalyserVersion})",
                [.. modules.SelectMany(m => m.Sources).Where(s => s.Role == "source").Select(s => s.Path), $"{importer.Build.Path}/Module.symvers", "the shim's host-ops table (LinuxShim.Shim)"]));
        }
        return new CorrespondingSource
        {
            Port = recipe.Name,
            Module = recipe.Module,
            Built = true,
            Library = manifest.Library,
            Upstream = upstream,
            Sources = sources,
            Patches = patches,
            ShadowHeaders = shimFiles.Where(f => f.Path.StartsWith(ShimIncludePrefix, StringComparison.Ordinal)).Select(f => Digest(f.Path, f.Content)).ToList(),
            NativeRuntime = shimFiles.Where(f => f.Path.StartsWith("shim/native/", StringComparison.Ordinal)).Select(f => Digest(f.Path, f.Content)).ToList(),
            Generated = generated,
            Compiler = manifest.Compiler,
            Flags = manifest.Flags,
        };
    }

    private const string ShimIncludePrefix = "shim/include/";

    /// <summary>The shim's shadow headers a build for <paramref name="version"/> has on its include path: the shared
    /// ones and its versioned directory's (<see cref="ShadowHeaders.For"/>).</summary>
    private static IEnumerable<ShimFile> UsedShadowHeaders(IReadOnlyList<ShimFile> files, KernelVersion version)
    {
        var headers = files.Where(f => f.Path.StartsWith(ShimIncludePrefix, StringComparison.Ordinal)).ToList();
        var all = headers.Select(f => f.Path[ShimIncludePrefix.Length..]).ToList();
        return headers.Where(f => ShadowHeaders.IsUsed(f.Path[ShimIncludePrefix.Length..], all, version));
    }

    /// <summary>A patch's digests and the files it changes ("+++ b/path" with -p1, as the port build applies it).</summary>
    private static PatchFile Patch(string file)
    {
        var content = File.ReadAllBytes(file);
        var targets = System.Text.Encoding.UTF8.GetString(content).Split('\n')
            .Where(l => l.StartsWith("+++ ", StringComparison.Ordinal))
            .Select(l => l[4..].Split('\t')[0].Trim())
            .Where(t => t != "/dev/null")
            .Select(t => t.Contains('/') ? t[(t.IndexOf('/') + 1)..] : t)
            .Distinct().Order(StringComparer.Ordinal).ToList();
        return new PatchFile(Path.GetFileName(file), Convert.ToHexStringLower(SHA1.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(content)), targets);
    }

    internal static SourceDigest Digest(string path, byte[] content) =>
        new(path, GitBlobHash.Compute(content), Convert.ToHexStringLower(SHA1.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(content)), SpdxReader.Read(content));

    internal static string Sha256File(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>The manifest a port build writes (MODULE.port.json), as far as the report needs it.</summary>
public sealed record PortManifest(string File, FileDigest? Library, IReadOnlyList<FileDigest> Patches, string? Compiler, IReadOnlyList<string> Flags, string? Analyser,
    KernelVersion? KernelVersion = null)
{
    public static PortManifest Load(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(file));
            var root = doc.RootElement;
            FileDigest? library = root.TryGetProperty("library", out var lib)
                ? new FileDigest(lib.GetProperty("file").GetString()!, lib.GetProperty("sha256").GetString()!) : null;
            var patches = root.TryGetProperty("patches", out var p)
                ? p.EnumerateArray().Select(x => new FileDigest(x.GetProperty("file").GetString()!, x.GetProperty("sha256").GetString()!)).ToList() : [];
            var flags = root.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            string? compiler = root.TryGetProperty("compiler", out var c) ? c.GetString() : null;
            string? analyser = root.TryGetProperty("kernel", out var k) && k.TryGetProperty("analyser", out var a) ? a.GetString() : null;
            KernelVersion? version = k.ValueKind == JsonValueKind.Object && k.TryGetProperty("version", out var v) && v.GetString() is { } text
                && Install.KernelVersion.TryParseRelease(text, out var parsed) ? parsed : null;
            return new PortManifest(file, library, patches, compiler, flags, analyser, version);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            throw new ImportException($"{file}: not a port build manifest ({e.Message}); rebuild the port");
        }
    }

    /// <summary>The shim's native sources and shadow headers as the build saw them (its -I directories), or null when gone.</summary>
    public IReadOnlyList<ShimFile>? ShimFiles()
    {
        var dirs = Flags.Where(f => f.StartsWith("-I", StringComparison.Ordinal) && f.Contains("/shim-native/", StringComparison.Ordinal)).Select(f => f[2..]).ToList();
        string? include = dirs.FirstOrDefault(d => d.EndsWith("/include", StringComparison.Ordinal));
        string? native = dirs.FirstOrDefault(d => d.EndsWith("/native", StringComparison.Ordinal));
        if (include is null || native is null || !Directory.Exists(include) || !Directory.Exists(native))
            return null;
        var files = new List<ShimFile>();
        foreach (var (dir, prefix) in new[] { (include, "shim/include/"), (native, "shim/native/") })
            foreach (var path in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(dir, path).Replace('\\', '/');
                // Another kernel version's shadow headers were not on this build's include path.
                if (dir == include && relative.IndexOf('/') is > 0 and var slash && Install.KernelVersion.TryParseSeries(relative[..slash], out _)
                    && !dirs.Contains(Path.Combine(include, relative[..slash])))
                    continue;
                files.Add(new ShimFile(prefix + relative, System.IO.File.ReadAllBytes(path)));
            }
        return files;
    }
}
