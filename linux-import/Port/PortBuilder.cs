// SPDX-License-Identifier: MIT
// Managed side. Builds a port's driver .so: the upstream module's sources compiled straight from the
// kernel tree with its configured headers (user-space code generation, shadow headers first), the
// shim's native C, and generated glue, linked with no undefined symbol allowed.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Port;

/// <summary>What the shim brings to a port build.</summary>
/// <param name="NativeDirectory">The shim's native C sources (shim/native).</param>
/// <param name="ShadowIncludes">The shadow header directories for this kernel (<see cref="ShadowHeaders.For"/>), searched before the kernel's.</param>
/// <param name="Managed">Symbols the managed host implements (kernel symbols and host operations).</param>
/// <param name="Layout">Struct fields the managed host reads or writes.</param>
/// <param name="Assumptions">Constants the managed host relies on; the glue asserts them.</param>
/// <param name="Constants">Constants the managed host reads from the configured headers (they differ between kernels).</param>
/// <param name="Glue">The managed mirror of the glue descriptor (LinuxShim.Shim.Host.Glue), checked against its C definition (<see cref="GlueCheck"/>).</param>
/// <param name="GlueVersion">The shim's glue version, which the descriptor carries.</param>
/// <param name="Signatures">The C# signature of every managed symbol, checked against the C prototypes (<see cref="PrototypeCheck"/>); null skips the check.</param>
public sealed record ShimSide(string NativeDirectory, IReadOnlyList<string> ShadowIncludes, IReadOnlySet<string> Managed, IReadOnlyList<LayoutRequest> Layout,
    IReadOnlyList<ConstantAssumption> Assumptions, IReadOnlyList<ConstantRequest> Constants, BoundaryStruct Glue, uint GlueVersion,
    IReadOnlyDictionary<string, ManagedPrototype>? Signatures = null);

public sealed record PortBuild(string Library, string LayoutFile, string ManifestFile, ModuleInfo Module,
    IReadOnlyList<string> Trampolines, IReadOnlyList<string> Stubs, IReadOnlyList<string> NotInModel);

public static class PortBuilder
{
    public static PortBuild Build(Importer importer, PortRecipe recipe, ShimSide shim, string outDir, Action<string>? log = null)
    {
        outDir = Path.GetFullPath(outDir);
        if (!recipe.Supports(importer.Version))
            log?.Invoke($"warning: {recipe.Name} supports Linux {recipe.KernelList}; this tree is Linux {importer.Version} ({importer.Kernel.Release})");

        if (recipe.IsMultiModule)
            return BuildModules(importer, recipe, shim, outDir, log);
        log?.Invoke($"analysing {recipe.Directory} module {recipe.Module}");
        var model = importer.Scan(recipe.Directory, parallelism: 0, module: recipe.Module);
        var module = model.Modules.Single();
        if (module.Errors.Count > 0)
            throw new ImportException($"{recipe.Module}: the importer could not analyse it: {module.Errors[0]}");

        string treeRoot = importer.Tree.SourceRoot;
        string sourceRoot = recipe.PatchesFor(importer.Version).Count == 0 ? treeRoot : PatchedCopy(importer, recipe, outDir, log);
        var jobs = new List<(string Name, string File, List<string> Args)>();
        var declarations = new List<(string File, IReadOnlyList<string> Arguments)>();
        foreach (var (source, args, clangArgs) in importer.UserSpaceCompileCommands(recipe.Directory, recipe.Module, treeRoot, shim.ShadowIncludes))
        {
            jobs.Add((source, Path.Combine(sourceRoot, source), args));
            declarations.Add((Path.Combine(treeRoot, source), [.. shim.ShadowIncludes.Select(i => "-I" + i), .. clangArgs]));
        }
        var (library, layoutFile, trampolines, stubs, notInModel, nativeArgs) =
            CompileAndLink(importer, recipe.Module, jobs, declarations, module.Requires.Select(r => r.Symbol).ToList(), shim, outDir, log);
        CompileDeviceTree(recipe, outDir, log);
        string manifest = Path.Combine(outDir, recipe.Module + ".port.json");
        WriteManifest(manifest, importer, recipe, [module], library, trampolines, stubs, nativeArgs);
        return new PortBuild(library, layoutFile, manifest, module, trampolines, stubs, notInModel);
    }

    /// <summary>
    /// A port of several modules in one driver .so, as the kernel's module loader would link them: each module's
    /// objects are linked into one relocatable object with its own module object (its KBUILD_MODNAME, its
    /// __this_module), then every global symbol but its exports is made local, so a module sees of another only
    /// what that one exports (and only in the namespaces it imports); the glue's init_module loads them in
    /// dependency order and unloads the loaded ones, last first, when one fails.
    /// </summary>
    private static PortBuild BuildModules(Importer importer, PortRecipe recipe, ShimSide shim, string outDir, Action<string>? log)
    {
        var infos = PortScan.Scan(importer, recipe, log).Modules;
        if (infos.FirstOrDefault(m => m.Errors.Count > 0) is { } failed)
            throw new ImportException($"{failed.Name}: the importer could not analyse it: {failed.Errors[0]}");
        var order = ModuleLoadOrder.Order(infos);
        log?.Invoke($"load order: {string.Join(", ", order.Select(m => m.Name))}");

        string treeRoot = importer.Tree.SourceRoot;
        string sourceRoot = recipe.PatchesFor(importer.Version).Count == 0 ? treeRoot : PatchedCopy(importer, recipe, outDir, log);
        var jobs = new List<(string Name, string File, List<string> Args)>();
        var declarations = new List<(string File, IReadOnlyList<string> Arguments)>();
        var units = new List<LinkedModule>();
        for (int i = 0; i < order.Count; i++)
        {
            var m = order[i];
            var jobNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (source, args, clangArgs) in importer.UserSpaceCompileCommands(m.Directory, m.Name, treeRoot, shim.ShadowIncludes))
            {
                string name = $"{m.Name}/{source}";
                jobs.Add((name, Path.Combine(sourceRoot, source), args));
                jobNames.Add(name);
                declarations.Add((Path.Combine(treeRoot, source), [.. shim.ShadowIncludes.Select(a => "-I" + a), .. clangArgs]));
            }
            var keep = m.Exports.Select(e => e.Symbol).ToHashSet(StringComparer.Ordinal);
            if (m == infos[0])
                keep.Add("__this_module"); // the descriptor's module: the driver's
            units.Add(new LinkedModule(i, m, jobNames, keep, order));
        }
        var requires = order.SelectMany(m => m.Requires).Where(r => !order.Any(o => ModuleLoadOrder.ProviderName(o) == r.Provider))
            .Select(r => r.Symbol).Distinct(StringComparer.Ordinal).ToList();
        var (library, layoutFile, trampolines, stubs, notInModel, nativeArgs) =
            CompileAndLink(importer, recipe.Module, jobs, declarations, requires, shim, outDir, log, units);
        CompileDeviceTree(recipe, outDir, log);
        string manifest = Path.Combine(outDir, recipe.Module + ".port.json");
        WriteManifest(manifest, importer, recipe, order, library, trampolines, stubs, nativeArgs);
        return new PortBuild(library, layoutFile, manifest, infos[0], trampolines, stubs, notInModel);
    }

    /// <summary>One module of a multi-module port: its place in the load order, the compile jobs that are its
    /// objects, and the symbols that stay global (its exports).</summary>
    private sealed record LinkedModule(int Index, ModuleInfo Info, IReadOnlySet<string> Jobs, IReadOnlySet<string> Keep, IReadOnlyList<ModuleInfo> All);

    /// <summary>Links one module's objects into one relocatable object with its module object, keeps only its
    /// exports (and its entry points for the glue) global, and checks the namespaces it imports.</summary>
    private static string LinkModule(Importer importer, LinkedModule unit, IReadOnlyList<string> objects, ShimSide shim, string objDir, Action<string>? log)
    {
        var m = unit.Info;
        string moduleC = Path.Combine(objDir, $"linuxshim_module{unit.Index}.c");
        // Whether the module has a module_init and a module_exit (their aliases), as modpost would see them.
        var (_, ownSymbols) = Symbols(objects);
        File.WriteAllText(moduleC, GlueGenerator.ModuleObject(m.Name, unit.Index, ownSymbols.Contains("init_module"), ownSymbols.Contains("cleanup_module")));
        var args = importer.CommandLine.UserSpaceArgumentsFor(importer.Tree.SourceRoot, m.Name, "linuxshim", [], [.. shim.ShadowIncludes, shim.NativeDirectory]);
        string moduleObj = Path.ChangeExtension(moduleC, ".o");
        if (Compile(importer, args, moduleC, moduleObj) is { } error)
            throw new ImportException($"the module object of {m.Name} does not compile:\n{error}");
        string linked = Path.Combine(objDir, $"module{unit.Index}_{m.Name}.o");
        Run("ld", ["-r", "-o", linked, .. objects, moduleObj], "install binutils");

        var imports = Modinfo(linked, objDir).Where(e => e.Key == "import_ns").Select(e => e.Value).ToHashSet(StringComparer.Ordinal);
        if (ModuleLoadOrder.UnimportedNamespaces(m, unit.All, imports) is { Count: > 0 } refused)
            throw new ImportException($"{m.Name} uses symbols exported into namespaces it does not import (MODULE_IMPORT_NS), "
                                      + $"which the kernel's loader refuses: {string.Join(", ", refused)}");

        // The exports as the compiler emitted them, beside the model's: __ksymtab_NAME up to 6.4, __export_symbol_NAME after.
        var (_, defined) = Symbols([linked], allSymbols: true);
        var exports = defined.Select(ExportedBy).OfType<string>().Where(defined.Contains);
        var keep = unit.Keep.Union(exports).Order(StringComparer.Ordinal).ToList();
        log?.Invoke($"linked module {m.Name}: {keep.Count} symbols visible to the others");
        string keepFile = Path.Combine(objDir, $"module{unit.Index}_{m.Name}.keep");
        File.WriteAllLines(keepFile, [.. keep, GlueGenerator.ModuleInit(unit.Index), GlueGenerator.ModuleExit(unit.Index)]);
        Run("objcopy", ["--keep-global-symbols=" + keepFile, linked], "install binutils");
        return linked;
    }

    private static string? ExportedBy(string symbol) =>
        symbol.StartsWith("__ksymtab_", StringComparison.Ordinal) ? symbol["__ksymtab_".Length..]
        : symbol.StartsWith("__export_symbol_", StringComparison.Ordinal) ? symbol["__export_symbol_".Length..]
        : null;

    /// <summary>The key=value strings of an object's .modinfo section (what modinfo(8) prints).</summary>
    private static List<KeyValuePair<string, string>> Modinfo(string obj, string objDir)
    {
        string raw = Path.Combine(objDir, Path.GetFileNameWithoutExtension(obj) + ".modinfo");
        Run("objcopy", ["-O", "binary", "--only-section=.modinfo", obj, raw], "install binutils");
        var entries = new List<KeyValuePair<string, string>>();
        foreach (var s in System.Text.Encoding.UTF8.GetString(File.ReadAllBytes(raw)).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            if (s.IndexOf('=') is var eq and > 0)
                entries.Add(new(s[..eq], s[(eq + 1)..]));
        return entries;
    }

    private static void Run(string program, List<string> args, string hint)
    {
        var (code, output, errors) = ExternalProgram.Run(program, args, null, r => $"cannot run {program}: {r} ({hint})");
        if (code != 0)
            throw new ImportException($"{program} {string.Join(' ', args.Take(3))} … failed:\n{FirstLines(output + errors)}");
    }

    /// <summary>
    /// Builds a module that is not in the kernel tree (an external module, like Kbuild's M=): its C
    /// <paramref name="sources"/> compiled with the tree's headers and flags, then glued and linked as a port.
    /// </summary>
    public static (string Library, IReadOnlyList<string> Trampolines, IReadOnlyList<string> Stubs) BuildExternal(
        Importer importer, string moduleName, IReadOnlyList<string> sources, ShimSide shim, string outDir, Action<string>? log = null)
    {
        outDir = Path.GetFullPath(outDir);
        var jobs = sources.Select(f => ($"external/{Path.GetFileName(f)}", Path.GetFullPath(f),
            importer.CommandLine.UserSpaceArgumentsFor(importer.Tree.SourceRoot, moduleName, Path.GetFileNameWithoutExtension(f), [],
                shim.ShadowIncludes))).ToList();
        var declarations = sources.Select(f => (Path.GetFullPath(f), ClangArguments(importer, moduleName, Path.GetFileNameWithoutExtension(f), shim.ShadowIncludes))).ToList();
        var r = CompileAndLink(importer, moduleName, jobs, declarations, [], shim, outDir, log);
        return (r.Library, r.Trampolines, r.Stubs);
    }

    private static (string Library, string LayoutFile, List<string> Trampolines, List<string> Stubs, List<string> NotInModel, List<string> NativeArgs)
        CompileAndLink(Importer importer, string moduleName, List<(string Name, string File, List<string> Args)> jobs,
            List<(string File, IReadOnlyList<string> Arguments)> declarations, IReadOnlyList<string> requires, ShimSide shim, string outDir, Action<string>? log,
            IReadOnlyList<LinkedModule>? modules = null)
    {
        string objDir = Path.Combine(outDir, "obj");
        if (Directory.Exists(objDir))
            Directory.Delete(objDir, recursive: true);
        Directory.CreateDirectory(objDir);
        string treeRoot = importer.Tree.SourceRoot;
        var shadow = shim.ShadowIncludes;
        var nativeArgs = importer.CommandLine.UserSpaceArgumentsFor(treeRoot, moduleName, "linuxshim", [], [.. shadow, shim.NativeDirectory]);
        foreach (var file in Directory.GetFiles(shim.NativeDirectory, "*.c").Order(StringComparer.Ordinal))
            jobs.Add(($"shim/native/{Path.GetFileName(file)}", file, nativeArgs));
        log?.Invoke($"compiling {jobs.Count} sources with {importer.CommandLine.Compiler}");
        var compiled = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var failures = new ConcurrentBag<string>();
        Parallel.ForEach(jobs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, job =>
        {
            string obj = Path.Combine(objDir, job.Name.Replace('/', '_')[..^2] + ".o");
            string? error = Compile(importer, job.Args, job.File, obj);
            if (error is null)
                compiled[job.Name] = obj;
            else
                failures.Add($"{job.Name}: {error}");
        });
        if (!failures.IsEmpty)
            throw new ImportException($"compiling for the shim failed:\n{string.Join("\n", failures.Order(StringComparer.Ordinal))}");
        var objects = new ConcurrentBag<string>(compiled.Where(c => modules is null || !modules.Any(m => m.Jobs.Contains(c.Key))).Select(c => c.Value));
        foreach (var unit in modules ?? [])
        {
            objects.Add(LinkModule(importer, unit, [.. unit.Jobs.Order(StringComparer.Ordinal).Select(j => compiled[j])], shim, objDir, log));
        }

        log?.Invoke("reading struct layouts with libclang");
        var layoutArgs = new List<string>();
        layoutArgs.AddRange(shadow.Select(s => "-I" + s));
        layoutArgs.AddRange(importer.CommandLine.ArgumentsFor(treeRoot, moduleName, "layout", []));
        var layout = LayoutProbe.Read(shim.Layout, shim.Constants, layoutArgs, Path.Combine(outDir, "layout"));
        var glueClock = System.Diagnostics.Stopwatch.StartNew();
        GlueCheck.Verify(GlueCheck.Read(GlueCheck.Header, GlueCheck.Struct, layoutArgs, Path.Combine(outDir, "layout")), shim.Glue);
        log?.Invoke($"checked the glue descriptor's {shim.Glue.Fields.Count} fields against <{GlueCheck.Header}> in {glueClock.ElapsedMilliseconds} ms");

        var (undefined, defined) = Symbols(objects);
        defined.Add("__this_module"); // the glue defines the module object
        var needed = new SortedSet<string>(undefined, StringComparer.Ordinal);
        needed.UnionWith(requires);
        needed.ExceptWith(defined);
        var notInModel = undefined.Where(u => !defined.Contains(u) && !requires.Contains(u)
                                              && !u.StartsWith("linuxshim_", StringComparison.Ordinal)).ToList();
        var trampolines = needed.Where(shim.Managed.Contains).ToList();
        // A symbol of the model that no compiled object references (a tracepoint the port build compiles out)
        // needs no stub: nothing could call it.
        var stubs = needed.Where(s => !shim.Managed.Contains(s) && undefined.Contains(s)).ToList();
        if (shim.Signatures is { } signatures)
        {
            // The shim's C declares its host operations; it is read after the driver, for what the driver does not declare.
            var nativeUnits = Directory.GetFiles(shim.NativeDirectory, "*.c").Order(StringComparer.Ordinal)
                .Select(f => (f, ClangArguments(importer, moduleName, "linuxshim", [.. shadow, shim.NativeDirectory])));
            CheckPrototypes(trampolines, [.. declarations, .. nativeUnits], signatures, log);
        }

        string glue = Path.Combine(objDir, "linuxshim_glue.c");
        File.WriteAllText(glue, GlueGenerator.Generate(moduleName, shim.GlueVersion, trampolines, stubs, layout, shim.Assumptions, modules?.Select(m => m.Info.Name).ToList()));
        string glueObj = Path.Combine(objDir, "linuxshim_glue.o");
        if (Compile(importer, nativeArgs, glue, glueObj) is { } glueError)
            throw new ImportException($"the generated glue does not compile (a struct layout assert failing means libclang and gcc disagree):\n{glueError}");
        objects.Add(glueObj);

        string library = Path.Combine(outDir, moduleName + ".so");
        log?.Invoke($"linking {Path.GetFileName(library)}: {trampolines.Count} symbols into the host, {stubs.Count} trace-and-fail stubs");
        var linkArgs = new List<string> { "-shared", "-nostdlib", "-Wl,-Bsymbolic", "-Wl,-z,defs", "-Wl,-z,noexecstack", "-Wl,--build-id", "-o", library };
        linkArgs.AddRange(objects.Order(StringComparer.Ordinal));
        var (code, _, errors) = ExternalProgram.Run(importer.CommandLine.Compiler, linkArgs, null, r => $"cannot run {importer.CommandLine.Compiler}: {r}");
        if (code != 0)
            throw new ImportException($"linking {library} failed:\n{string.Join("\n", errors.Split('\n').Where(l => l.Length > 0).Distinct().Take(12))}");

        string layoutFile = Path.Combine(outDir, moduleName + ".layout.json");
        File.WriteAllText(layoutFile, layout.ToJson());
        return (library, layoutFile, trampolines, stubs, notInModel, nativeArgs);
    }

    private static IReadOnlyList<string> ClangArguments(Importer importer, string moduleName, string baseName, IReadOnlyList<string> includes) =>
        [.. includes.Select(i => "-I" + i), .. importer.CommandLine.ArgumentsFor(importer.Tree.SourceRoot, moduleName, baseName, [])];

    private static void CheckPrototypes(IReadOnlyList<string> symbols, IEnumerable<(string File, IReadOnlyList<string> Arguments)> units,
        IReadOnlyDictionary<string, ManagedPrototype> signatures, Action<string>? log)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var wanted = symbols.Where(signatures.ContainsKey).ToHashSet(StringComparer.Ordinal);
        var report = PrototypeCheck.Compare(wanted, PrototypeCheck.Read(units, wanted), signatures);
        if (report.Mismatches.Count > 0)
            throw new ImportException($"the shim's C# signatures differ from the kernel's prototypes for {report.Mismatches.Count} symbol(s):\n"
                                      + string.Join("\n", report.Mismatches));
        log?.Invoke($"checked {report.Checked} C# signatures against the headers' prototypes in {clock.ElapsedMilliseconds} ms"
                    + (report.Undeclared.Count > 0 ? $"; no prototype declared for {string.Join(", ", report.Undeclared)}" : ""));
    }

    private static string? Compile(Importer importer, List<string> args, string file, string obj)
    {
        var full = new List<string>(args) { "-c", "-o", obj, file };
        var (code, _, errors) = ExternalProgram.Run(importer.CommandLine.Compiler, full, importer.Build.Path,
            r => $"cannot run {importer.CommandLine.Compiler}: {r} (install gcc)");
        return code == 0 ? null : FirstLines(errors);
    }

    private static string FirstLines(string text) =>
        string.Join("\n", text.Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(12)) is { Length: > 0 } e
            ? e : string.Join("\n", text.Split('\n').Take(12));

    /// <summary>Undefined and defined global symbols over all objects (nm -P).</summary>
    private static (SortedSet<string> Undefined, HashSet<string> Defined) Symbols(IEnumerable<string> objects, bool allSymbols = false)
    {
        var (code, output, errors) = ExternalProgram.Run("nm", ["-P", .. allSymbols ? Array.Empty<string>() : ["-g"], .. objects], null,
            r => $"cannot run nm: {r} (install binutils)");
        if (code != 0)
            throw new ImportException($"nm failed: {FirstLines(errors)}");
        var undefined = new SortedSet<string>(StringComparer.Ordinal);
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0].EndsWith(':'))
                continue;
            if (parts[1] is "U" or "w" or "v")
            {
                // The linker provides these itself.
                if (parts[0] is not "_GLOBAL_OFFSET_TABLE_" and not "_DYNAMIC" && !parts[0].StartsWith("__start_", StringComparison.Ordinal)
                    && !parts[0].StartsWith("__stop_", StringComparison.Ordinal))
                    undefined.Add(parts[0]);
            }
            else
                defined.Add(parts[0]);
        }
        return (undefined, defined);
    }

    private static string PatchedCopy(Importer importer, PortRecipe recipe, string outDir, Action<string>? log)
    {
        string root = Path.Combine(outDir, "src");
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        foreach (var directory in recipe.Modules.Select(m => m.Directory).Append(recipe.Directory).Distinct(StringComparer.Ordinal))
        {
            string dir = Path.Combine(root, directory);
            Directory.CreateDirectory(dir);
            foreach (var entry in importer.Tree.ListDirectory(directory))
            {
                string path = directory + "/" + entry;
                if (importer.Tree.FileExists(path))
                    File.WriteAllBytes(Path.Combine(dir, entry), importer.Tree.ReadFile(path));
            }
        }
        foreach (var patch in recipe.PatchesFor(importer.Version))
        {
            log?.Invoke($"applying {Path.GetFileName(patch)}");
            var (code, output, errors) = ExternalProgram.Run("patch", ["-p1", "--batch", "--forward", "--silent", "-d", root, "-i", patch], null,
                r => $"cannot run patch: {r} (install patch)");
            if (code != 0)
                throw new ImportException($"{patch} does not apply to {recipe.Directory} of this tree:\n{FirstLines(output + errors)}");
        }
        return root;
    }

    /// <summary>The file name of the compiled device tree of a port's build: MODULE.dtb beside MODULE.so.</summary>
    public static string DeviceTreeFile(string library) => Path.ChangeExtension(library, ".dtb");

    /// <summary>Compiles the port's device tree source (if it names one) with dtc into MODULE.dtb; a stale one of an
    /// earlier build is removed, so a host never loads a board description the recipe no longer names.</summary>
    private static void CompileDeviceTree(PortRecipe recipe, string outDir, Action<string>? log)
    {
        string dtb = Path.Combine(outDir, recipe.Module + ".dtb");
        File.Delete(dtb);
        if (recipe.DeviceTree is not { } source)
            return;
        var (code, _, errors) = ExternalProgram.Run("dtc", ["-q", "-I", "dts", "-O", "dtb", "-o", dtb, source], null,
            why => $"cannot run dtc to compile {source}: {why}");
        if (code != 0)
        {
            File.Delete(dtb);
            string first = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? $"exit code {code}";
            throw new ImportException($"{recipe.Name}: the device tree does not compile: {first}");
        }
        log?.Invoke($"compiled device tree {Path.GetFileName(source)} into {Path.GetFileName(dtb)} ({new FileInfo(dtb).Length} bytes)");
    }

    private static void WriteManifest(string file, Importer importer, PortRecipe recipe, IReadOnlyList<ModuleInfo> modules, string library,
        IReadOnlyList<string> trampolines, IReadOnlyList<string> stubs, IReadOnlyList<string> nativeArgs)
    {
        var manifest = new
        {
            port = recipe.Name,
            module = recipe.Module,
            directory = recipe.Directory,
            modules = modules.Select(m => new { name = m.Name, directory = m.Directory }), // in load order
            kernel = importer.Kernel,
            sources = modules.SelectMany(m => m.Sources),
            patches = recipe.PatchesFor(importer.Version).Select(p => new { file = Path.GetFileName(p), sha256 = Sha256(p) }),
            parameters = recipe.Parameters,
            library = new { file = Path.GetFileName(library), sha256 = Sha256(library) },
            compiler = importer.CommandLine.Compiler,
            flags = nativeArgs,
            host_symbols = trampolines,
            unimplemented = stubs,
        };
        File.WriteAllText(file, JsonSerializer.Serialize(manifest, ImportModelJson.Options));
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
