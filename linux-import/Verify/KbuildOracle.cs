// SPDX-License-Identifier: MIT
// Managed side. The kernel's own answer to "what does this module import": builds a copy of a driver
// directory as an external module with Kbuild (make -C BUILD M=copy modules) and reads nm -u of each .ko.
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Verify;

public static class KbuildOracle
{
    /// <summary>Inserted by the compiler or the module build itself, not asked for by the source.</summary>
    public static bool IsCompilerInserted(string symbol) =>
        symbol is "__fentry__" or "__stack_chk_fail" or "__x86_return_thunk" or "__this_module"
        || symbol.StartsWith("__x86_indirect_thunk_", StringComparison.Ordinal);

    /// <summary>
    /// Module name → undefined symbols of its .ko (compiler-inserted ones left out).
    /// Builds each directory that declares modules on its own, so that one directory Kbuild cannot
    /// build as an external module costs only its own modules. In each copy the Makefiles of nested
    /// directories are emptied: they are built in their own turn.
    /// </summary>
    /// <param name="cacheDir">Where each directory's answer is kept, keyed by the build directory, its
    /// configuration and the blob ids of the directory's files; null to build every time. Only answers
    /// of builds that succeeded are kept: a failure (a broken pipe, a full disk) is never replayed.</param>
    /// <param name="readCache">False to build every directory again (--no-cache), replacing what was kept.</param>
    /// <param name="onlyModules">When given, only these modules are built (the directory's Kbuild file is told
    /// <c>obj-m := …</c>): a few small modules of a large directory, for a test.</param>
    public static Dictionary<string, SortedSet<string>> BuildEach(KernelTree tree, string buildDir, string configHash, IEnumerable<string> directories,
        string workDir, string? cacheDir, out IReadOnlyList<string> failures, Action<string>? progress = null, int jobs = 0, bool readCache = true,
        IReadOnlyCollection<string>? onlyModules = null)
    {
        var all = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var dir in directories.Distinct().Order(StringComparer.Ordinal))
        {
            string? cached = cacheDir is null ? null
                : Path.Combine(cacheDir, Key(tree, buildDir, configHash, dir, onlyModules) + ".json");
            if (readCache && cached is not null && File.Exists(cached))
            {
                var saved = System.Text.Json.JsonSerializer.Deserialize<Saved>(File.ReadAllText(cached));
                // Earlier versions kept failed builds too (Failure set): those are built again.
                if (saved is { Failure: null })
                {
                    foreach (var (module, symbols) in saved.Modules)
                        all[module] = new SortedSet<string>(symbols, StringComparer.Ordinal);
                    continue;
                }
            }
            progress?.Invoke(dir);
            string mirror = Path.Combine(workDir, KernelTree.NormalizePath(dir).Replace('/', '_'));
            if (Directory.Exists(mirror))
                Directory.Delete(mirror, recursive: true);
            string copy = ExternalModuleCopy.Prepare(tree, KernelTree.NormalizePath(dir), mirror, onlyModules);
            // No BTF for the modules (there is no vmlinux to base it on), and no pahole needed to decide so:
            // PAHOLE=true. The configuration itself stays as it is, so objects it adds for BTF are built
            // (nf_conntrack_bpf.o in nf_conntrack). -k and KBUILD_MODPOST_WARN: one module that cannot be built
            // (a generated ASN.1 parser needs a host tool the headers package lacks) or links against a symbol
            // modpost does not know costs only itself, not its whole directory.
            var (exit, _, errors) = Run("make", ["-C", buildDir, "M=" + copy, "modules", "-k", "-j" + (jobs > 0 ? jobs : Environment.ProcessorCount),
                "PAHOLE=true", "KBUILD_MODPOST_WARN=1"], copy);
            string? problem = exit == 0 ? null : $"{dir}: " + (FirstError(errors) ?? $"make exit {exit}");
            if (problem is not null)
                problems.Add(problem);
            var modules = ReadModules(copy);
            foreach (var (module, symbols) in modules)
                all[module] = symbols;
            Directory.Delete(mirror, recursive: true);
            if (cached is not null && problem is null)
            {
                Directory.CreateDirectory(cacheDir!);
                string tmp = $"{cached}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
                File.WriteAllText(tmp, System.Text.Json.JsonSerializer.Serialize(new Saved(modules.ToDictionary(m => m.Key, m => m.Value.ToList()), null)));
                File.Move(tmp, cached, overwrite: true);
            }
        }
        failures = problems;
        return all;
    }

    private sealed record Saved(Dictionary<string, List<string>> Modules, string? Failure);

    /// <summary>The line of make's output that says what went wrong: a compiler error, a missing rule or file,
    /// modpost's complaint; not make's own "*** [...] Error 2" that only repeats that something did.</summary>
    internal static string? FirstError(string errors)
    {
        var lines = errors.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return lines.FirstOrDefault(l => l.Contains("error:", StringComparison.OrdinalIgnoreCase) || l.Contains("No rule to make target", StringComparison.Ordinal)
                   || l.Contains("No such file or directory", StringComparison.Ordinal) || l.StartsWith("ERROR:", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase));
    }

    private static string Key(KernelTree tree, string buildDir, string configHash, string dir, IReadOnlyCollection<string>? onlyModules)
    {
        // "2": built with PAHOLE=true rather than without CONFIG_DEBUG_INFO_BTF_MODULES (answers before differ).
        var text = new System.Text.StringBuilder("2\n").Append(buildDir).Append('\n').Append(configHash);
        if (onlyModules is not null)
            text.Append("\nonly ").AppendJoin(' ', onlyModules.Order(StringComparer.Ordinal));
        // The headers of the enclosing directories are part of the copy ("../input-compat.h"); keys of
        // directories whose files name none stay as they were.
        string path = KernelTree.NormalizePath(dir);
        if (ExternalModuleCopy.ReachesAbove(tree, path))
        {
            var headers = ExternalModuleCopy.AncestorHeaders(tree, path).Concat(ExternalModuleCopy.ReachedDirectories(tree, path)
                .SelectMany(d => tree.ListDirectory(d).Where(e => e.EndsWith(".h", StringComparison.Ordinal)).Select(e => d + "/" + e)));
            foreach (var header in headers.Distinct().Order(StringComparer.Ordinal))
                text.Append('\n').Append(header).Append(' ').Append(tree.BlobId(header));
        }
        void Walk(string d)
        {
            foreach (var entry in tree.ListDirectory(d))
            {
                string path = d + "/" + entry.TrimEnd('/');
                if (entry.EndsWith('/'))
                    Walk(path);
                else
                    text.Append('\n').Append(path).Append(' ').Append(tree.BlobId(path));
            }
        }
        Walk(KernelTree.NormalizePath(dir));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static Dictionary<string, SortedSet<string>> ReadModules(string copy)
    {
        var result = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var ko in Directory.GetFiles(copy, "*.ko", SearchOption.AllDirectories))
        {
            var (nmExit, symbolsText, nmErrors) = Run("nm", ["-u", ko], copy);
            if (nmExit != 0)
                throw new ImportException($"nm -u {ko} failed: {nmErrors.Trim()}");
            var symbols = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var line in symbolsText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string name = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
                if (!IsCompilerInserted(name))
                    symbols.Add(name);
            }
            result[Path.GetFileNameWithoutExtension(ko)] = symbols;
        }
        return result;
    }

    private static (int Exit, string Output, string Errors) Run(string program, string[] args, string workDir) =>
        ExternalProgram.Run(program, args, workDir, reason => $"cannot run {program}: {reason} (install make, gcc-12 and binutils)");
}
