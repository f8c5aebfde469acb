// SPDX-License-Identifier: MIT
// Managed side. The importer's front door: opens a kernel tree and a configured build directory,
// reads Kbuild for a directory, analyses every module source in parallel, and returns the Import Model.
using System.Collections.Concurrent;
using LinuxShim.Import.Analysis;
using LinuxShim.Import.Cache;
using LinuxShim.Import.Clang;
using LinuxShim.Import.Compile;
using LinuxShim.Import.Install;
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Model;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import;

public sealed class Importer : IDisposable
{
    /// <summary>Changes whenever the analysis could give a different answer for the same input: the
    /// importer's build identity (deterministic builds change it exactly when the code changes).</summary>
    public static readonly string AnalyserVersion =
        "linuxshim-import/1+" + typeof(Importer).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..12];

    public KernelTree Tree { get; }
    public BuildDirectory Build { get; }
    public KbuildCommandLine CommandLine { get; }
    public string CacheRoot { get; }

    /// <summary>Where unit results are kept between scans; null to parse everything every time (--no-cache).</summary>
    public UnitCache? Cache { get; set; }

    /// <summary>How the last scan went: sources parsed, and sources whose cached result was reused.</summary>
    public (int Parsed, int Cached) LastScan { get; private set; }

    /// <summary>The Linux version of the pair (the build directory's, with its patch level).</summary>
    public KernelVersion Version { get; }

    /// <summary>One line: which source tree and build directory, of which version, and why.</summary>
    public string Choice { get; }

    /// <summary>True when any input came from the installed kernels rather than from --linux/--build.</summary>
    public bool Defaulted { get; }

    private Importer(KernelPair pair, KbuildCommandLine commandLine, string cacheRoot)
    {
        Tree = pair.Tree;
        Build = pair.Build;
        Version = pair.Version;
        Choice = pair.Choice;
        Defaulted = pair.Defaulted;
        CommandLine = commandLine;
        CacheRoot = cacheRoot;
        Cache = new UnitCache(cacheRoot);
    }

    /// <summary>Opens --linux and --build (or $LINUXSHIM_LINUX, $LINUXSHIM_BUILD); what is not given is taken
    /// from the installed kernels, of the same version (see <see cref="KernelInputs"/>).</summary>
    public static Importer Open(string? linux, string? build, string? cacheRoot = null) =>
        Open(KernelRequest.FromCommandLine(linux, build, null), cacheRoot);

    /// <summary>Opens a matching source tree and build directory for <paramref name="request"/>.</summary>
    public static Importer Open(KernelRequest request, string? cacheRoot = null)
    {
        cacheRoot = TreeCache.ResolveRoot(cacheRoot);
        var pair = KernelInputs.Open(request, cacheRoot);
        try
        {
            var commandLine = KbuildCommandLine.ForBuild(pair.Build.Path, cacheRoot);
            return new Importer(pair, commandLine, cacheRoot);
        }
        catch
        {
            pair.Tree.Dispose();
            throw;
        }
    }

    /// <summary>
    /// This tree with a build directory configured as this one plus <paramref name="fragment"/> (see <see cref="ConfiguredBuild"/>;
    /// made once, then cached). The tree passes to the new importer: dispose that one, not this.
    /// </summary>
    public Importer Configured(ConfigFragment fragment, int jobs, Action<string>? log)
    {
        var made = ConfiguredBuild.Prepare(Tree, Build, fragment, CacheRoot, jobs, log);
        var build = made.Build;
        string choice = $"{Choice}, configured with {fragment.SourceName} in {build.Path}{(made.Cached ? "" : " (made now)")}";
        var configured = new Importer(new KernelPair(Tree, build, Version, choice, Defaulted), KbuildCommandLine.ForBuild(build.Path, CacheRoot), CacheRoot);
        if (Cache is null)
            configured.Cache = null; // --no-cache holds for it too
        return configured;
    }

    public KernelInfo Kernel => new()
    {
        Source = Tree.Kind,
        Location = Tree.Location,
        Revision = Tree.Revision,
        Commit = Tree.Commit,
        Release = Build.KernelRelease,
        Version = Version.ToString(),
        Build = Build.Path,
        Arch = Build.Arch,
        Config = Build.Config.Hash,
        Analyser = AnalyserVersion,
        Symvers = ConfiguredBuild.SymversNote(Build.Path),
    };

    /// <summary>Reads Kbuild for <paramref name="directory"/> (and its subdirectories).</summary>
    public KbuildDirectory ReadKbuild(string directory)
    {
        string dir = KernelTree.NormalizePath(directory);
        if (!Tree.DirectoryExists(dir))
            throw new ImportException(Tree.FileExists(dir)
                ? $"{dir} is a file; scan takes a directory of the kernel tree"
                : $"{dir} is not a directory of the kernel tree {Tree.Location}");
        var reader = new KbuildReader(Build.Config, p => Tree.FileExists(p) ? Tree.ReadText(p) : null, Tree.DirectoryExists)
        {
            FileExists = Tree.FileExists,
            Arch = Build.Arch,
        };
        return reader.Read(dir, recurse: true);
    }

    /// <summary>Analyses every module Kbuild builds under <paramref name="directory"/>.</summary>
    /// <param name="progress">Called after each source file with (done, total, file).</param>
    /// <param name="shard">When given, only the modules of that shard (see <see cref="Sharding"/>).</param>
    /// <param name="module">When given, only the module of that name.</param>
    public ImportModel Scan(string directory, int parallelism = 0, Action<int, int, string>? progress = null, Shard? shard = null, string? module = null)
    {
        var kbuild = ReadKbuild(directory);
        var directories = kbuild.SelfAndDescendants().ToDictionary(d => d.Path, StringComparer.Ordinal);
        var modules = kbuild.AllModules().OrderBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).ToList();
        if (module is not null)
        {
            modules = modules.Where(m => m.Name == module).ToList();
            if (modules.Count == 0)
                throw new ImportException($"Kbuild in {kbuild.Path} builds no module named {module} with this configuration"
                    + $" (it builds: {string.Join(", ", kbuild.AllModules().Select(m => m.Name).Distinct().Order(StringComparer.Ordinal))})");
        }
        if (shard is not null)
            modules = Sharding.Select(modules, shard);

        var jobs = new List<(KbuildModule Module, string Source)>();
        foreach (var m in modules)
            foreach (var s in m.Sources)
                jobs.Add((m, s));
        foreach (var d in kbuild.SelfAndDescendants())
            Tree.Materialize(d.Path);
        foreach (var flag in directories.Values.SelectMany(d => d.CFlags))
            if (flag.StartsWith("-I" + KbuildCommandLine.SourceTreeMarker + "/", StringComparison.Ordinal))
            {
                string include = flag[(3 + KbuildCommandLine.SourceTreeMarker.Length)..];
                if (Tree.DirectoryExists(include))
                    Tree.Materialize(include);
            }

        // Memory stays bounded on a whole tree: a module is assembled as soon as its last source is analysed,
        // and its sources' results are dropped then; sources are taken in order, so few modules are open at once.
        var results = new ConcurrentDictionary<(string Module, string Source), UnitResult>();
        var failures = new ConcurrentDictionary<(string Module, string Source), string>();
        var identities = new ConcurrentDictionary<string, string?>(StringComparer.Ordinal);
        var infos = new ModuleInfo[modules.Count];
        var remaining = new int[modules.Count];
        var moduleIndex = new Dictionary<KbuildModule, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < modules.Count; i++)
        {
            moduleIndex[modules[i]] = i;
            remaining[i] = modules[i].Sources.Count;
            if (remaining[i] == 0)
                infos[i] = AssembleModule(modules[i], results, failures);
        }
        int done = 0, parsed = 0, cached = 0;
        using var indexes = new ThreadLocal<ClangIndex>(() => new ClangIndex(), trackAllValues: true);
        try
        {
            var ordered = System.Collections.Concurrent.Partitioner.Create(jobs, EnumerablePartitionerOptions.NoBuffering);
            Parallel.ForEach(ordered, new ParallelOptions { MaxDegreeOfParallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount }, job =>
            {
                var key = (job.Module.Name + "@" + job.Module.Directory, job.Source);
                try
                {
                    results[key] = AnalyzeSource(indexes.Value!, job.Module, job.Source, directories, identities, ref parsed, ref cached);
                }
                catch (Exception e) when (e is ImportException or ClangException or IOException)
                {
                    failures[key] = $"{job.Source}: {e.Message}";
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A bug of ours must not cost the rest of a batch scan: the module says what happened.
                    failures[key] = $"{job.Source}: internal error in the analyser ({e.GetType().Name}: {e.Message}); please report it";
                }
                int m = moduleIndex[job.Module];
                if (Interlocked.Decrement(ref remaining[m]) == 0)
                    infos[m] = AssembleModule(job.Module, results, failures);
                progress?.Invoke(Interlocked.Increment(ref done), jobs.Count, job.Source);
            });
        }
        finally
        {
            foreach (var index in indexes.Values)
                index.Dispose();
        }

        LastScan = (parsed, cached);
        for (int i = 0; i < infos.Length; i++)
            infos[i] ??= AssembleModule(modules[i], results, failures); // a module Kbuild lists twice
        return new ImportModel
        {
            Kernel = Kernel,
            Scope = kbuild.Path,
            Modules = infos.ToList(),
            Warnings = kbuild.AllWarnings().Distinct().ToList(),
            Shard = shard,
        };
    }

    private readonly object _assembling = new();

    /// <summary>The module's entry of the Import Model from its sources' results, which are dropped.</summary>
    private ModuleInfo AssembleModule(KbuildModule m, ConcurrentDictionary<(string Module, string Source), UnitResult> results,
        ConcurrentDictionary<(string Module, string Source), string> failures)
    {
        string id = m.Name + "@" + m.Directory;
        var units = new List<UnitResult>();
        var errors = new List<string>();
        foreach (var s in m.Sources)
        {
            if (results.TryRemove((id, s), out var unit))
                units.Add(unit);
            if (failures.TryRemove((id, s), out var error))
                errors.Add(error);
        }
        try
        {
            lock (_assembling)
                return ModuleAssembler.Assemble(m, units, errors, Tree, Build.Symvers);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ModuleAssembler.Failed(m, $"internal error assembling the module ({e.GetType().Name}: {e.Message}); please report it");
        }
    }

    private UnitResult AnalyzeSource(ClangIndex index, KbuildModule module, string source, Dictionary<string, KbuildDirectory> directories,
        ConcurrentDictionary<string, string?> identities, ref int parsed, ref int cached)
    {
        if (!source.EndsWith(".c", StringComparison.Ordinal))
            throw new ImportException($"not analysed: only C sources are, and this is {Path.GetExtension(source)}");
        if (!Tree.FileExists(source))
            throw new ImportException("source file named by Kbuild does not exist in the tree");
        var args = ArgumentsFor(module, source, directories);
        string file = Path.Combine(Tree.SourceRoot, source);
        if (Cache is null)
        {
            Interlocked.Increment(ref parsed);
            return UnitAnalyzer.Analyze(index, file, source, Tree.SourceRoot, args);
        }
        // The tree's location on disk differs between revisions and machines; what it holds does not.
        string root = Tree.SourceRoot.TrimEnd('/');
        var portable = args.Select(a => a.Replace(root, KbuildCommandLine.SourceTreeMarker, StringComparison.Ordinal));
        string key = UnitCache.Key(AnalyserVersion, Build.Config.Hash, Tree.BlobId(source), portable);
        string? Identify(string input) => identities.GetOrAdd(input, i => Path.IsPathRooted(i)
            ? UnitCache.HashFile(i)
            : Tree.FileExists(i) ? Tree.BlobId(i) : null);
        if (Cache.TryGet(key, Identify) is { } hit)
        {
            Interlocked.Increment(ref cached);
            return hit;
        }
        Interlocked.Increment(ref parsed);
        var result = UnitAnalyzer.Analyze(index, file, source, Tree.SourceRoot, args);
        if (result.Errors.Count == 0)
            Cache.Put(key, result, Identify);
        return result;
    }

    private List<string> ArgumentsFor(KbuildModule module, string source, Dictionary<string, KbuildDirectory> directories)
    {
        string obj = source[..^2] + ".o";
        var flags = directories.TryGetValue(module.Directory, out var dir) ? dir.CFlagsFor(obj) : [];
        return CommandLine.ArgumentsFor(Tree.SourceRoot, module.Name, Path.GetFileNameWithoutExtension(source), flags);
    }

    /// <summary>The compiler invocation of every C source the scan of <paramref name="directory"/> parses
    /// (for compile_commands.json: clangd, clang-tidy, and the benchmark against clang).</summary>
    public List<(string File, IReadOnlyList<string> Arguments)> CompileCommands(string directory)
    {
        var kbuild = ReadKbuild(directory);
        var directories = kbuild.SelfAndDescendants().ToDictionary(d => d.Path, StringComparer.Ordinal);
        var list = new List<(string, IReadOnlyList<string>)>();
        foreach (var m in kbuild.AllModules().OrderBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal))
            foreach (var source in m.Sources.Where(s => s.EndsWith(".c", StringComparison.Ordinal) && Tree.FileExists(s)))
                list.Add((Path.Combine(Tree.SourceRoot, source), ArgumentsFor(m, source, directories)));
        return list;
    }

    /// <summary>
    /// gcc invocations that compile <paramref name="module"/>'s sources for a user-space driver host
    /// (<see cref="KbuildCommandLine.UserSpaceArgumentsFor"/>), run from the build directory; with each, the
    /// libclang arguments that parse the same source from the tree (<see cref="KbuildCommandLine.ArgumentsFor"/>).
    /// </summary>
    /// <param name="sourceRoot">Where to read the sources from (the tree, or a patched copy of it).</param>
    public List<(string Source, List<string> Arguments, List<string> ClangArguments)> UserSpaceCompileCommands(string directory, string module,
        string sourceRoot, IReadOnlyList<string> shadowIncludes)
    {
        var kbuild = ReadKbuild(directory);
        var directories = kbuild.SelfAndDescendants().ToDictionary(d => d.Path, StringComparer.Ordinal);
        var m = kbuild.AllModules().FirstOrDefault(x => x.Name == module)
                ?? throw new ImportException($"Kbuild in {kbuild.Path} builds no module named {module} with this configuration");
        var list = new List<(string, List<string>, List<string>)>();
        foreach (var source in m.Sources)
        {
            if (!source.EndsWith(".c", StringComparison.Ordinal))
                throw new ImportException($"{source}: only C sources can be built for the shim");
            string obj = source[..^2] + ".o";
            var flags = directories.TryGetValue(m.Directory, out var dir) ? dir.CFlagsFor(obj) : [];
            string baseName = Path.GetFileNameWithoutExtension(source);
            list.Add((source, CommandLine.UserSpaceArgumentsFor(sourceRoot, m.Name, baseName, flags, shadowIncludes),
                CommandLine.ArgumentsFor(Tree.SourceRoot, m.Name, baseName, flags)));
        }
        return list;
    }

    public void Dispose() => Tree.Dispose();
}
