// SPDX-License-Identifier: MIT
// Managed side. "linuxshim scan DIR": the Import Model of every module Kbuild builds under DIR (or of
// the modules a port folder's recipe loads), as JSON and as a summary table.
using LinuxShim.Import.Analysis;
using LinuxShim.Import;
using LinuxShim.Import.Model;
using LinuxShim.Import.Port;
using LinuxShim.Shim;
using LinuxShim.Tools.Reports;

namespace LinuxShim.Tools;

public static class ScanCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count > 0 && cl.Positionals[0] == "merge")
            return Merge(cl, stdout, stderr);
        if (cl.Positionals.Count > 0 && cl.Positionals[0] == "diff")
            return ScanDiffCommand.Run(cl, stdout, stderr);
        string dir = cl.Single("a directory of the kernel tree (e.g. drivers/net/ethernet/realtek)");
        Shard? shard = ShardOption(cl);
        string? json = cl.Get("json");
        bool quiet = cl.Has("quiet");
        foreach (var output in new[] { json, cl.Get("html"), cl.Get("markdown") })
            if (output is not null && output != "-")
                CheckWritable(output);
        if (shard is not null && (cl.Has("html") || cl.Has("markdown")))
            throw new UsageException("--html and --markdown describe a whole scan: write them with scan merge");
        // A port folder: the modules its recipe loads, on a kernel it supports.
        var port = File.Exists(Path.Combine(dir, PortRecipe.FileName)) ? PortRecipe.Load(dir) : null;
        if (port is not null && shard is not null)
            throw new UsageException("--shard splits a directory's modules; a port's are scanned whole");
        using var importer = KernelOptions.Open(cl, stderr, port);
        if (cl.Has("no-cache"))
            importer.Cache = null;
        var progress = quiet ? null : new Progress(stderr, logWhenRedirected: true);
        var model = port is not null ? PortScan.Scan(importer, port)
            : importer.Scan(ToTreePath(dir, importer), cl.GetInt("jobs", 0), progress is null ? null : progress.Report, shard);
        progress?.Finish();
        var (parsed, cached) = importer.LastScan;
        var providers = new ProviderImports();
        if (shard is null)
            model = WithCoverage(model, importer, progress is null ? null : stderr, providers);

        WriteOutputs(model, cl, stdout);
        if (!quiet && json != "-" && cl.Get("html") != "-" && cl.Get("markdown") != "-")
        {
            Summary.Write(model, stdout);
            stdout.WriteLine($"{parsed} sources parsed, {cached} taken from the cache ({importer.CacheRoot})"
                + (providers.Any ? $"; {providers.Describe()}" : ""));
        }
        return cl.Has("strict") && model.Modules.Any(m => m.Status != "ok") ? Cli.ExitFailure : Cli.ExitOk;
    }

    /// <summary>--shard I/N, or null; a malformed one is a usage error.</summary>
    internal static Shard? ShardOption(CommandLine cl)
    {
        try
        {
            return cl.Get("shard") is { } spec ? Shard.Parse(spec) : null;
        }
        catch (ImportException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The text of an input file (a part to merge); one that cannot be read is an error naming it.</summary>
    internal static string ReadInput(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read {file}: {e.Message}");
        }
    }

    /// <summary>"scan merge PART.json... --json OUT": the partial results of every shard, as one run would have written them.</summary>
    private static int Merge(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        var files = cl.Positionals.Skip(1).ToList();
        if (files.Count == 0)
            throw new UsageException("scan merge needs the JSON files the shards wrote");
        string json = cl.Get("json") ?? throw new UsageException("scan merge needs --json FILE (or --json - for standard output)");
        foreach (var output in new[] { json, cl.Get("html"), cl.Get("markdown") })
            if (output is not null && output != "-")
                CheckWritable(output);
        var parts = new List<(string, ImportModel)>();
        foreach (var file in files)
        {
            string text = ReadInput(file);
            try
            {
                parts.Add((file, ImportModelJson.Deserialize(text)));
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new ImportException($"{file} is not an Import Model: {e.Message}");
            }
        }
        var merged = Sharding.Merge(parts);
        // The providers outside the scan are imported from the kernel the shards scanned, given as scan takes it.
        var request = KernelOptions.Request(cl);
        if (request.Linux is null && request.Kernel is null)
        {
            stderr.WriteLine("linuxshim: without --kernel (or --linux/--build) no module outside the scan is imported: their exports count as missing");
            WriteOutputs(merged with { Coverage = Coverage.Compute(merged, ShimSymbols.Implemented()) }, cl, stdout);
            return Cli.ExitOk;
        }
        using var importer = KernelOptions.Open(request, cl, stderr);
        WriteOutputs(WithCoverage(merged, importer, null), cl, stdout);
        return Cli.ExitOk;
    }

    /// <summary>Coverage of <paramref name="model"/>, with the upstream modules outside it that its modules take exports
    /// from imported from the same tree (Coverage.ImportProviders); each pulled in is named on <paramref name="log"/>.</summary>
    private static ImportModel WithCoverage(ImportModel model, Importer importer, TextWriter? log, ProviderImports? imports = null)
    {
        var implemented = ShimSymbols.Implemented();
        var outside = Coverage.ImportProviders(model, implemented, (directory, name) =>
        {
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var found = importer.Scan(directory, parallelism: 0, module: name).Modules.FirstOrDefault(m => m.Directory == directory && m.Name == name);
                imports?.Add(importer.LastScan, clock.Elapsed, found is not null);
                log?.WriteLine(found is null ? $"linuxshim: provider {directory}/{name} is not built as a module here: its exports stay missing"
                    : $"linuxshim: imported provider {directory}/{name} from outside the scan");
                return found;
            }
            catch (ImportException e)
            {
                log?.WriteLine($"linuxshim: provider {directory}/{name} cannot be imported ({e.Message}): its exports stay missing");
                return null;
            }
        });
        return model with { Coverage = Coverage.Compute(model, implemented, outside) };
    }

    /// <summary>What importing the providers outside a scan cost: they are scanned (or taken from the cache) one by one.</summary>
    private sealed class ProviderImports
    {
        /// <summary>Providers found and imported (a scan of their directory may not hold them).</summary>
        public int Modules { get; private set; }
        private int _scans, _parsed, _cached;
        private TimeSpan _time;

        public bool Any => _scans > 0;

        public void Add((int Parsed, int Cached) scan, TimeSpan time, bool found)
        {
            _scans++;
            if (found)
                Modules++;
            _parsed += scan.Parsed;
            _cached += scan.Cached;
            _time += time;
        }

        public string Describe() =>
            $"{Modules} providers imported from outside the scan in {_time.TotalSeconds:0.0} s ({_parsed} sources parsed, {_cached} taken from the cache)";
    }

    /// <summary>--json, --markdown and --html, each to a file or ("-") standard output.</summary>
    private static void WriteOutputs(ImportModel model, CommandLine cl, TextWriter stdout)
    {
        Emit(cl.Get("json"), () => ImportModelJson.Serialize(model), stdout);
        Emit(cl.Get("markdown"), () => MarkdownReport.Write(model), stdout);
        Emit(cl.Get("html"), () => HtmlReport.Write(model), stdout);
    }

    /// <summary>One report to a file (written atomically) or, for "-", to standard output; nothing when not asked for.</summary>
    internal static void Emit(string? target, Func<string> render, TextWriter stdout)
    {
        if (target is null)
            return;
        string text = render();
        if (target == "-")
            stdout.Write(text);
        else
            WriteAtomically(target, text);
    }

    /// <summary>DIR may be tree-relative, or an absolute path inside an on-disk tree.</summary>
    internal static string ToTreePath(string dir, Importer importer)
    {
        if (!Path.IsPathRooted(dir))
            return dir;
        foreach (var root in new[] { importer.Tree.Location, importer.Tree.SourceRoot })
        {
            string prefix = Path.GetFullPath(root).TrimEnd('/') + "/";
            string full = Path.GetFullPath(dir).TrimEnd('/') + "/";
            if (full.StartsWith(prefix, StringComparison.Ordinal))
                return full[prefix.Length..].TrimEnd('/');
        }
        throw new ImportException($"path {dir} is outside the kernel tree {importer.Tree.Location}");
    }

    /// <summary>Fails before any work when an output file could not be written afterwards.</summary>
    internal static void CheckWritable(string path)
    {
        string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (parent is not null && !Directory.Exists(parent))
            throw new ImportException($"cannot write {path}: directory {parent} does not exist");
        if (Directory.Exists(path))
            throw new ImportException($"cannot write {path}: it is a directory");
    }

    /// <summary>Writes next to the target and renames, so an interrupted run never leaves half a file.</summary>
    internal static void WriteAtomically(string path, string text)
    {
        CheckWritable(path);
        string full = Path.GetFullPath(path);
        string tmp = full + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(tmp, text);
        File.Move(tmp, full, overwrite: true);
    }
}
