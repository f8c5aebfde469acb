// SPDX-License-Identifier: MIT
// Managed side. A configured build directory made from a source tree, a base configuration (the .config of an
// installed build directory, Debian's) and a fragment laid over it: make olddefconfig modules_prepare with
// O=, no vmlinux. Kept in the cache by its inputs (tree, base configuration, fragment, compiler), so a second
// request is only a look-up. Module.symvers is the base build's, adjusted by the exports of the objects the new
// configuration builds and the base does not (and the other way), read from their EXPORT_SYMBOL* lines: no
// vmlinux is built that could say better, and linuxshim-build.json says so.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Kbuild;

public static class ConfiguredBuild
{
    /// <summary>Written last into a finished directory: what it was made from and how its Module.symvers was.</summary>
    public const string StampFile = "linuxshim-build.json";

    private const string Recipe = "linuxshim configured build 2";

    /// <summary>What was made: the directory and the stamp's facts.</summary>
    public sealed record Result(BuildDirectory Build, bool Cached, string SymversNote, int ExportsAdded, int ExportsRemoved, IReadOnlyList<string> NotFollowed);

    /// <summary>
    /// The build directory for <paramref name="tree"/> configured as <paramref name="baseBuild"/>'s .config with
    /// <paramref name="fragment"/> over it, made when not cached. A requested value Kconfig did not keep, a failed
    /// make or a tree that is not clean is an ImportException naming it; nothing half-made is ever returned.
    /// </summary>
    public static Result Prepare(KernelTree tree, BuildDirectory baseBuild, ConfigFragment fragment, string cacheRoot, int jobs, Action<string>? log)
    {
        // A directory made here stands for its base: the fragment goes over the base's configuration, not over its own.
        if (BaseOf(baseBuild.Path) is { } original)
            baseBuild = BuildDirectory.Open(original);
        string baseConfigPath = Path.Combine(baseBuild.Path, ".config");
        if (!File.Exists(baseConfigPath))
            throw new ImportException($"the base build directory {baseBuild.Path} has no .config to start from (a build directory made by make, or an installed linux-headers package, has one)");
        byte[] baseConfig = File.ReadAllBytes(baseConfigPath);
        string cc = Compiler(baseBuild);
        string compiler = CompilerVersion(cc);
        string key = Key(tree, baseConfig, fragment, compiler);
        string root = Path.Combine(TreeCache.ResolveRoot(cacheRoot), "builds");
        Directory.CreateDirectory(root);
        string dir = Path.Combine(root, $"{baseBuild.Version.Series}-{key}");

        // One maker at a time per directory; a second one waits and finds it made.
        using var lockFile = new FileStream(dir + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        if (File.Exists(Path.Combine(dir, StampFile)))
            return Load(dir, cached: true);

        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true); // an earlier attempt that did not finish
        Directory.CreateDirectory(dir);
        tree.Materialize("");
        string src = tree.SourceRoot;
        if (File.Exists(Path.Combine(src, ".config")) || Directory.Exists(Path.Combine(src, "include/config")))
            throw new ImportException($"the source tree {tree.Location} has been configured in place ({src}/.config or include/config exists): a separate build directory needs a clean tree (make mrproper)");

        File.WriteAllText(Path.Combine(dir, ".config"), Encoding.UTF8.GetString(baseConfig).TrimEnd('\n') + "\n# linuxshim: " + fragment.SourceName + "\n" + fragment.ToConfigText());
        try
        {
            log?.Invoke($"configuring Linux {baseBuild.Version} ({tree.Location}) with {baseBuild.Path}/.config and {fragment.SourceName}: make olddefconfig");
            Make(src, dir, jobs, cc, "olddefconfig");
            var lost = fragment.NotKept(File.ReadAllText(Path.Combine(dir, ".config")));
            if (lost.Count > 0)
                throw new ImportException($"{fragment.SourceName}: Kconfig did not keep what it asks for: {string.Join("; ", lost)}");
            log?.Invoke($"make modules_prepare in {dir} (the headers and scripts external modules need; no vmlinux)");
            Make(src, dir, jobs, cc, "modules_prepare");
            // Every later make in the directory (verify's external modules, the flags scan probes) must use the same
            // compiler, which need not be installed as plain gcc: as Debian's build directories set it.
            string makefile = Path.Combine(dir, "Makefile");
            File.WriteAllText(makefile, $"# linuxshim: the compiler of {baseBuild.Path}'s configuration\noverride CC = {cc}\noverride HOSTCC = {cc}\n"
                                        + File.ReadAllText(makefile));

            var baseSymvers = baseBuild.Symvers;
            var (symvers, added, removed, notFollowed) = AdjustSymvers(tree, baseBuild, KernelConfig.Load(Path.Combine(dir, "include/config/auto.conf")), baseSymvers);
            File.WriteAllText(Path.Combine(dir, "Module.symvers"), symvers);
            string note = $"Module.symvers is {baseBuild.Path}'s with {added} exports added and {removed} removed, read from the EXPORT_SYMBOL* lines "
                          + "of the objects the configuration builds and the base does not (or the other way); no vmlinux was built (CRCs 0)";
            var stamp = new Dictionary<string, object>
            {
                ["recipe"] = Recipe,
                ["tree"] = tree.Location,
                ["commit"] = tree.Commit ?? "",
                ["base"] = baseBuild.Path,
                ["base_release"] = baseBuild.KernelRelease,
                ["fragment"] = fragment.SourceName,
                ["settings"] = fragment.ToConfigText(),
                ["compiler"] = compiler,
                ["symvers"] = note,
                ["exports_added"] = added,
                ["exports_removed"] = removed,
                ["not_followed"] = notFollowed,
                ["made"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            };
            string tmp = Path.Combine(dir, StampFile + ".tmp");
            File.WriteAllText(tmp, JsonSerializer.Serialize(stamp, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            File.Move(tmp, Path.Combine(dir, StampFile));
        }
        catch
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
            throw;
        }
        return Load(dir, cached: false);
    }

    /// <summary>What the stamp of a made directory says of its Module.symvers; null for any other build directory.</summary>
    public static string? SymversNote(string buildDir) => StampValue(buildDir, "symvers");

    /// <summary>The base build directory a made directory was configured from; null for any other.</summary>
    public static string? BaseOf(string buildDir) => StampValue(buildDir, "base");

    private static string? StampValue(string buildDir, string name)
    {
        string stamp = Path.Combine(buildDir, StampFile);
        if (!File.Exists(stamp))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(stamp));
            return doc.RootElement.TryGetProperty(name, out var s) ? s.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Result Load(string dir, bool cached)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, StampFile)));
        var r = doc.RootElement;
        return new Result(BuildDirectory.Open(dir), cached, r.GetProperty("symvers").GetString()!, r.GetProperty("exports_added").GetInt32(),
            r.GetProperty("exports_removed").GetInt32(), [.. r.GetProperty("not_followed").EnumerateArray().Select(e => e.GetString()!)]);
    }

    private static void Make(string src, string dir, int jobs, string cc, string target)
    {
        var (code, output, errors) = ExternalProgram.Run("make", ["-C", src, $"O={dir}", $"CC={cc}", $"HOSTCC={cc}", $"-j{Math.Max(1, jobs)}", "-s", target], dir,
            why => $"cannot run make: {why}");
        File.AppendAllText(Path.Combine(dir, "linuxshim-make.log"), $"$ make O={dir} {target}\n{output}{errors}");
        if (code != 0)
        {
            var last = (errors.Length > 0 ? errors : output).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(6);
            throw new ImportException($"make {target} failed (exit {code}) for the build directory {dir}:\n  {string.Join("\n  ", last)}");
        }
    }

    /// <summary>The compiler the base configuration was made with (CONFIG_CC_VERSION_TEXT's program: Debian's gcc-12,
    /// x86_64-linux-gnu-gcc-12) when it is installed, else gcc.</summary>
    private static string Compiler(BuildDirectory baseBuild)
    {
        string? text = baseBuild.Config["CONFIG_CC_VERSION_TEXT"];
        string? program = text?.Trim('"').Split(' ', 2)[0];
        if (program is { Length: > 0 } && !program.Contains('/') && Install.DebianPackages.OnPath(program))
            return program;
        return "gcc";
    }

    private static string CompilerVersion(string cc)
    {
        var (code, output, _) = ExternalProgram.Run(cc, ["--version"], null, why => $"cannot run the compiler {cc}: {why}");
        return code == 0 ? output.Split('\n')[0].Trim() : "unknown";
    }

    private static string Key(KernelTree tree, byte[] baseConfig, ConfigFragment fragment, string compiler)
    {
        var text = new StringBuilder(Recipe).Append('\n')
            .Append(tree.Kind).Append('\n').Append(tree.Location).Append('\n').Append(tree.Commit ?? "").Append('\n')
            .Append(tree.BlobId("Makefile")).Append('\n')
            .Append(Convert.ToHexStringLower(SHA256.HashData(baseConfig))).Append('\n')
            .Append(fragment.ToConfigText()).Append('\n').Append(compiler);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    /// <summary>
    /// The base Module.symvers with the exports of objects built only under <paramref name="config"/> added
    /// (built in: vmlinux; in a module: its path) and those of objects built only under the base removed.
    /// Returns the text, the counts, and the objects whose source was not found (composite built-in objects).
    /// </summary>
    private static (string Text, int Added, int Removed, List<string> NotFollowed) AdjustSymvers(KernelTree tree, BuildDirectory baseBuild, KernelConfig config,
        ModuleSymvers baseSymvers)
    {
        var before = BuiltObjects(tree, baseBuild.Config, baseBuild.Arch);
        var after = BuiltObjects(tree, config, baseBuild.Arch);
        var exports = baseSymvers.Exports.Values.ToDictionary(e => e.Symbol, e => (e.Module, Type: e.ExportType, e.Namespace), StringComparer.Ordinal);
        var notFollowed = new List<string>();
        int added = 0, removed = 0;
        foreach (var (obj, owner) in before)
        {
            if (after.ContainsKey(obj) || SourceOf(tree, obj) is not { } source)
                continue;
            foreach (var e in ExportLines.Read(tree.ReadText(source)))
                if (exports.TryGetValue(e.Symbol, out var had) && had.Module == owner && exports.Remove(e.Symbol))
                    removed++;
        }
        foreach (var (obj, owner) in after.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (before.ContainsKey(obj))
                continue;
            if (SourceOf(tree, obj) is not { } source)
            {
                notFollowed.Add(obj);
                continue;
            }
            foreach (var e in ExportLines.Read(tree.ReadText(source)))
                if (exports.TryAdd(e.Symbol, (owner, e.Type, e.Namespace)))
                    added++;
        }
        var text = new StringBuilder();
        foreach (var (symbol, (module, type, ns)) in exports.OrderBy(p => p.Value.Module, StringComparer.Ordinal).ThenBy(p => p.Key, StringComparer.Ordinal))
            text.Append("0x00000000\t").Append(symbol).Append('\t').Append(module).Append('\t').Append(type).Append('\t').Append(ns).Append('\n');
        return (text.ToString(), added, removed, notFollowed);
    }

    /// <summary>Every object Kbuild builds from the top of the tree (and lib/) under <paramref name="config"/>, with its owner: vmlinux or the module's path.</summary>
    private static Dictionary<string, string> BuiltObjects(KernelTree tree, KernelConfig config, string arch)
    {
        var reader = new KbuildReader(config, p => tree.FileExists(p) ? tree.ReadText(p) : null, tree.DirectoryExists)
        {
            FileExists = tree.FileExists,
            Arch = arch,
        };
        var objects = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string root in new[] { "", "lib" })
        {
            foreach (var d in reader.Read(root, recurse: true).SelfAndDescendants())
            {
                foreach (var o in d.BuiltInObjects)
                    objects.TryAdd(o, "vmlinux");
                foreach (var m in d.Modules)
                    foreach (var o in m.Objects)
                        objects[o] = m.KoPath.EndsWith(".ko", StringComparison.Ordinal) ? m.KoPath[..^3] : TreePath.Combine(m.Directory, m.Name);
            }
        }
        return objects;
    }

    private static string? SourceOf(KernelTree tree, string obj)
    {
        if (!obj.EndsWith(".o", StringComparison.Ordinal))
            return null;
        string c = obj[..^2] + ".c";
        return tree.FileExists(c) ? c : null;
    }
}
