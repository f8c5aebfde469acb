// SPDX-License-Identifier: MIT
// Managed side. "linuxshim licence TARGET": the licence boundary report of a driver directory or a
// port (see LinuxShim.Import.Licence), with the shim's inventory read from its own code: which C#
// class ([KernelSymbol]) or native C file (SHIM_SYMBOL) implements each kernel symbol.
using System.Reflection;
using System.Text.RegularExpressions;
using LinuxShim.Import;
using LinuxShim.Import.Analysis;
using LinuxShim.Import.Licence;
using LinuxShim.Shim;

namespace LinuxShim.Tools;

public static partial class LicenceCommand
{
    public const string Help = """
        linuxshim licence TARGET [--deployment FILE] [--json FILE] [--markdown FILE] [--html FILE]
                                 [--spdx FILE] [--cyclonedx FILE] [--strict] [--quiet] [--linux …] [--build …]

        The licence boundary report of TARGET, a directory of the kernel tree (every module Kbuild builds
        there) or a port folder (ports/8139too): per source file its SPDX-License-Identifier checked
        against the tree's LICENSES/ (unknown identifiers, exceptions used with a licence they do not
        allow, LICENSES/dual licences outside an OR) and files with none; per module MODULE_LICENSE and
        whether include/linux/license.h deems it GPL-compatible, and the GPL-only imports
        (EXPORT_SYMBOL_GPL in Module.symvers) with the shim component providing each; for ports, the
        corresponding source (upstream tree, blob ids and hashes, shadow headers, native runtime,
        generated glue, patches, compiler flags). With --deployment, every process's address space:
        GPL-2.0 code next to code whose licence is incompatible with it is flagged, with the reason.

        Outputs ("-" for standard output): --json (the report), --markdown and --html (for people, with
        the process/IPC graph), --spdx (SPDX 2.3 JSON), --cyclonedx (CycloneDX 1.6 JSON). Documents are
        dated SOURCE_DATE_EPOCH when set.

        Deployment file (lines; '#' at the start or after a blank begins a comment; errors name the file and line):
          name = 8139too                        top level: name (required), description = TEXT
          [process driver-host]                 one section per process (address space)
          command = linuxshim host ...          optional, for people
          load = port .                         a port folder, relative to the file: its driver .so
                                                (upstream sources, glue, shim runtime: licences read)
          load = nuget ID VERSION               licence from the restored package's .nuspec
                                                ($NUGET_PACKAGES, else ~/.nuget/packages)
          load = KIND NAME [VERSION] : SPDX     KIND: assembly, library, runtime, program; e.g.
                                                load = library libvendor.so 2.1 : LicenseRef-Vendor
                                                (identifiers the report cannot judge are errors:
                                                name other licences LicenseRef-NAME)
          [channel vfio-user]                   one section per IPC channel
          between = driver-host device          two processes, or a process and host-kernel
          transport = unix socket + memfd       what crosses it, for people

        Exit status: 0 report written, 1 bad input (file:line and the problem; an SPDX line that breaks
        the tree's rules is one, and the report is still written), 2 usage error; --strict also exits 1
        on a mixed address space.
        """;

    private static readonly string[] OwnOptions = ["deployment", "spdx", "cyclonedx"];

    /// <summary>Takes the arguments after "licence"; its own options are split off, the rest parsed as every command's.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string> { "licence" };
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string a = args[i];
                string? name = OwnOptions.FirstOrDefault(o => a == "--" + o || a.StartsWith($"--{o}=", StringComparison.Ordinal));
                if (name is null)
                {
                    rest.Add(a);
                    continue;
                }
                string value = a.Length > name.Length + 2 ? a[(name.Length + 3)..]
                    : i + 1 < args.Length ? args[++i] : throw new UsageException($"--{name} needs a value");
                if (value.Length == 0)
                    throw new UsageException($"--{name} needs a non-empty value");
                if (!own.TryAdd(name, value))
                    throw new UsageException($"--{name} given twice");
            }
            var cl = CommandLine.Parse([.. rest]);
            if (cl.Has("help"))
            {
                stdout.WriteLine(Help);
                return Cli.ExitOk;
            }
            return Run(cl, own, stdout, stderr);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            stderr.WriteLine("Try 'linuxshim licence --help'.");
            return Cli.ExitUsage;
        }
        catch (Exception e) when (e is ImportException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            return Cli.ExitFailure;
        }
    }

    private static int Run(CommandLine cl, Dictionary<string, string> own, TextWriter stdout, TextWriter stderr)
    {
        string target = cl.Single("a directory of the kernel tree or a port folder (e.g. ports/8139too)");
        var outputs = new[] { "json", "html", "markdown", "spdx", "cyclonedx" }
            .Select(o => (Option: o, File: own.GetValueOrDefault(o) ?? cl.Get(o))).Where(o => o.File is not null).ToList();
        if (outputs.Count(o => o.File == "-") > 1)
            throw new UsageException("only one output can go to standard output ('-')");
        foreach (var (_, file) in outputs)
            if (file != "-")
                ScanCommand.CheckWritable(file!);
        // The deployment is read first: its mistakes are found before the kernel tree is opened.
        var deployment = own.GetValueOrDefault("deployment") is { } deploymentFile ? DeploymentFile.Load(deploymentFile) : null;
        bool isPort = File.Exists(Path.Combine(target, Import.Port.PortRecipe.FileName));
        using var importer = KernelOptions.Open(cl, stderr, isPort ? Import.Port.PortRecipe.Load(target) : null);
        if (cl.Has("no-cache"))
            importer.Cache = null;
        string resolved = isPort ? target : ScanCommand.ToTreePath(target, importer);
        var report = LicenceAnalyzer.Analyze(importer, resolved, Inventory(), deployment, cl.Has("quiet") ? null : m => stderr.WriteLine($"licence: {m}"));

        var created = CreationTime();
        foreach (var (option, file) in outputs)
        {
            string text = option switch
            {
                "json" => LicenceReportJson.Serialize(report),
                "markdown" => LicenceMarkdown.Write(report),
                "html" => LicenceHtml.Write(report),
                "spdx" => SpdxDocumentWriter.Write(report, created),
                _ => CycloneDxWriter.Write(report, created),
            };
            if (file == "-")
                stdout.Write(text);
            else
                File.WriteAllText(file!, text);
        }
        if (!cl.Has("quiet") && outputs.All(o => o.File != "-"))
            Summary(report, stdout);
        // SPDX lines that break the tree's rules are bad input: named (file:line) and exit 1, the report
        // still written. A mixed address space is a finding; --strict makes it a failure too (for CI).
        foreach (var p in report.SpdxProblems)
            stderr.WriteLine($"linuxshim: {p}");
        if (report.SpdxProblems.Count > 0)
            return Cli.ExitFailure;
        return cl.Has("strict") && report.Deployment?.Mixed == true ? Cli.ExitFailure : Cli.ExitOk;
    }

    private static void Summary(LicenceReport r, TextWriter w)
    {
        foreach (var m in r.Modules)
            w.WriteLine($"{m.Name,-16} MODULE_LICENSE {m.ModuleLicense ?? "(none)"} ({(m.ModuleLicenseGplCompatible ? "GPL-compatible" : "NOT GPL-compatible")}), "
                        + $"{m.Sources.Count} files ({m.Sources.Count(s => s.Status == "none")} without SPDX, {m.Sources.Count(s => s.Status == "invalid")} invalid), "
                        + $"{m.GplOnlyImports.Count} GPL-only imports ({m.GplOnlyImports.Count(i => i.Shim is not null)} provided by the shim)");
        if (r.Deployment is { } d)
        {
            foreach (var p in d.Processes)
                w.WriteLine($"process {p.Name,-14} {p.Components.Count,3} components  {(p.Mixed ? "MIXED" : p.ContainsGpl ? "GPL-2.0, nothing incompatible" : "no GPL code")}");
            foreach (var p in d.Processes)
                foreach (var f in p.Findings)
                    w.WriteLine($"flagged: {f}");
            w.WriteLine(d.Mixed ? $"deployment {d.Name}: MIXED address space" : $"deployment {d.Name}: no mixed address space");
        }
        foreach (var cs in r.CorrespondingSource)
            w.WriteLine($"corresponding source of {cs.Module}: {cs.Sources.Count} upstream files, {cs.ShadowHeaders.Count} shadow headers, "
                        + $"{cs.NativeRuntime.Count} native runtime files, {cs.Generated.Count} generated, {cs.Patches.Count} patches{(cs.Built ? "" : " (port not built)")}");
    }

    /// <summary>SOURCE_DATE_EPOCH when set (reproducible documents), else now.</summary>
    private static DateTimeOffset CreationTime() =>
        long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out long epoch) ? DateTimeOffset.FromUnixTimeSeconds(epoch) : DateTimeOffset.UtcNow;

    /// <summary>The shim's parts: each kernel symbol with the C# class or native file implementing it, and
    /// the native files (shim/native, shim/include) every driver .so is built with.</summary>
    public static ShimInventory Inventory()
    {
        var files = NativeSources.Names.Select(name => new ShimFile("shim/" + name, System.Text.Encoding.UTF8.GetBytes(NativeSources.Read(name)))).ToList();
        var licences = files.ToDictionary(f => f.Path, f => SpdxReader.Read(f.Content) ?? "NOASSERTION");
        var symbols = ShimSymbols.Owners().ToDictionary(o => o.Key,
            o => new ShimProvider(o.Value.Component, o.Value.File, o.Value.Native ? "native" : "managed", o.Value.Native ? licences[o.Value.File] : "MIT"),
            StringComparer.Ordinal);
        return new ShimInventory(symbols, files);
    }
}
