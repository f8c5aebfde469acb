// SPDX-License-Identifier: MIT
// Managed side. "linuxshim scan diff OLD NEW [DIR]": scans DIR on two kernels (through the scan cache, so a
// rescan parses only what changed) and reports per module what changed between them (ModelDiffer), per
// port what the shim lacks on NEW, and the totals, on the terminal and as JSON, Markdown and HTML.
using System.Diagnostics;
using System.Text.Json;
using LinuxShim.Import;
using LinuxShim.Import.Diff;
using LinuxShim.Import.Install;
using LinuxShim.Import.Model;
using LinuxShim.Shim;
using LinuxShim.Tools.Reports;

namespace LinuxShim.Tools;

public static class ScanDiffCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        var args = cl.Positionals.Skip(1).ToList();
        if (args.Count is < 2 or > 3)
            throw new UsageException("scan diff takes OLD NEW [DIR]: two kernels (6.1, a tree PATH[@REV], or @REV of --linux) and a directory of the tree");
        if (cl.Has("build") || cl.Has("kernel"))
            throw new UsageException("scan diff names both kernels itself: give OLD and NEW (and --old-build/--new-build), not --build or --kernel");
        if (cl.Has("shard"))
            throw new UsageException("scan diff compares whole scans; --shard is for scan");
        foreach (var output in new[] { cl.Get("json"), cl.Get("html"), cl.Get("markdown") })
            if (output is not null && output != "-")
                ScanCommand.CheckWritable(output);
        var oldRequest = Side(args[0], cl.Get("old-build"), cl.Get("linux"), "OLD");
        var newRequest = Side(args[1], cl.Get("new-build"), cl.Get("linux"), "NEW");
        var ports = PortFolders.All();
        string dir = args.Count == 3 ? args[2] : CommonDirectory(ports.Select(p => p.Directory))
            ?? throw new UsageException("scan diff needs DIR when there are no ports to take it from");
        bool quiet = cl.Has("quiet");
        int jobs = cl.GetInt("jobs", 0);
        var clock = Stopwatch.StartNew();

        using var oldImporter = Open(oldRequest, cl, stderr, "OLD");
        using var newImporter = Open(newRequest, cl, stderr, "NEW");
        var oldModel = Scan(oldImporter, dir, jobs, quiet, stderr, "OLD");
        double oldSeconds = clock.Elapsed.TotalSeconds;
        var newModel = Scan(newImporter, dir, jobs, quiet, stderr, "NEW");
        double newSeconds = clock.Elapsed.TotalSeconds - oldSeconds;
        // Taken now: the ports' modules scanned on their own below replace LastScan.
        var (oldCounts, newCounts) = (oldImporter.LastScan, newImporter.LastScan);

        var portList = ports.Select(p => new ModelDiffer.Port(p.Name, p.Module, p.Directory, p.Supports(oldImporter.Version), p.Supports(newImporter.Version))).ToList();
        (ModuleInfo?, ModuleInfo?) PortModules(ModelDiffer.Port port) =>
            (ScanPort(oldImporter, port), ScanPort(newImporter, port));
        (IReadOnlySet<string>, IReadOnlySet<string>) CompanionExports(ModelDiffer.Port port)
        {
            var companions = ports.First(p => p.Name == port.Name).Modules.Where(m => m.Name != port.Module).ToList();
            IReadOnlySet<string> Exports(Importer importer) => companions
                .Select(m => ScanPort(importer, port with { Module = m.Name, Directory = m.Directory }))
                .SelectMany(m => m?.Exports ?? []).Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal);
            return companions.Count == 0 ? (new HashSet<string>(), new HashSet<string>()) : (Exports(oldImporter), Exports(newImporter));
        }
        var diff = ModelDiffer.Compare(oldModel, newModel, ShimSymbols.Implemented(), portList, PortModules, CompanionExports);

        ScanCommand.Emit(cl.Get("json"), () => JsonSerializer.Serialize(diff, ImportModelJson.Options) + "\n", stdout);
        ScanCommand.Emit(cl.Get("markdown"), () => DiffMarkdownReport.Write(diff), stdout);
        ScanCommand.Emit(cl.Get("html"), () => DiffHtmlReport.Write(diff), stdout);
        if (!quiet && cl.Get("json") != "-" && cl.Get("html") != "-" && cl.Get("markdown") != "-")
        {
            DiffSummary.Write(diff, stdout);
            stdout.WriteLine($"scanned {dir}: Linux {oldImporter.Version} in {oldSeconds:0.0} s ({oldCounts.Parsed} sources parsed, {oldCounts.Cached} cached), "
                             + $"Linux {newImporter.Version} in {newSeconds:0.0} s ({newCounts.Parsed} parsed, {newCounts.Cached} cached); "
                             + $"{clock.Elapsed.TotalSeconds:0.0} s in all");
        }
        return Cli.ExitOk;
    }

    /// <summary>What OLD or NEW names: an installed series (6.1), @REV of --linux's repository, or a tree PATH[@REV].</summary>
    public static KernelRequest Side(string spec, string? build, string? linux, string which)
    {
        string given = $"{which} ({spec})";
        if (KernelVersion.TryParseSeries(spec, out var series) && !Path.Exists(spec))
        {
            if (build is not null)
                throw new UsageException($"{which} is the installed Linux {series}: it comes with its own build directory, so --{which.ToLowerInvariant()}-build does not apply");
            return new KernelRequest { Kernel = series };
        }
        if (spec.StartsWith('@'))
        {
            string repository = linux ?? (Environment.GetEnvironmentVariable(KernelRequest.LinuxVariable) is { Length: > 0 } env ? env : null)
                ?? throw new UsageException($"{which} is the revision {spec[1..]}: say of which git repository with --linux PATH (or $LINUXSHIM_LINUX)");
            spec = repository.Split('@')[0] + spec;
        }
        return new KernelRequest { Linux = spec, LinuxGivenBy = given, Build = build, BuildGivenBy = $"--{which.ToLowerInvariant()}-build" };
    }

    private static Importer Open(KernelRequest request, CommandLine cl, TextWriter stderr, string which)
    {
        var importer = Importer.Open(request, cl.Get("cache"));
        if (cl.Has("no-cache"))
            importer.Cache = null;
        if (!cl.Has("quiet"))
            stderr.WriteLine($"linuxshim: {which}: {importer.Choice}");
        return importer;
    }

    private static ImportModel Scan(Importer importer, string dir, int jobs, bool quiet, TextWriter stderr, string which)
    {
        var progress = quiet ? null : new Progress(stderr, $"{which} {importer.Version.Series} ");
        var model = importer.Scan(ScanCommand.ToTreePath(dir, importer), jobs, progress is null ? null : progress.Report);
        progress?.Finish();
        return model;
    }

    /// <summary>A port's module on one kernel when the scanned directory does not hold it: scanned on its own (cached too).</summary>
    private static ModuleInfo? ScanPort(Importer importer, ModelDiffer.Port port)
    {
        if (!importer.Tree.DirectoryExists(port.Directory))
            return null;
        try
        {
            return importer.Scan(port.Directory, module: port.Module).Modules.FirstOrDefault();
        }
        catch (ImportException)
        {
            return null; // the configuration does not build it there: reported as not built
        }
    }

    /// <summary>The deepest directory holding all of <paramref name="directories"/> (drivers/net/ethernet for realtek and intel/e1000).</summary>
    public static string? CommonDirectory(IEnumerable<string> directories)
    {
        List<string>? common = null;
        foreach (var d in directories)
        {
            var parts = d.Split('/', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (common is null)
            {
                common = parts;
                continue;
            }
            int n = 0;
            while (n < common.Count && n < parts.Count && common[n] == parts[n])
                n++;
            common = common.Take(n).ToList();
        }
        return common is { Count: > 0 } ? string.Join('/', common) : null;
    }
}
