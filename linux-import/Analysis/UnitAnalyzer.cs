// SPDX-License-Identifier: MIT
// Managed side. Parses one module source with libclang and Kbuild's flags, and works out what its
// object file defines and needs (Reachability) and what metadata it carries (UnitMetadataReader).
using LinuxShim.Import.Clang;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Analysis;

public static partial class UnitAnalyzer
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\.globl\s+([A-Za-z_][A-Za-z0-9_.]*)")]
    private static partial System.Text.RegularExpressions.Regex GlobalPattern();

    /// <summary>Symbols the build itself provides (modpost's __this_module) or the compiler inserts.</summary>
    /// <summary>LINUXSHIM_PROFILE=1 prints where each source's time goes.</summary>
    private static readonly bool Profile = Environment.GetEnvironmentVariable("LINUXSHIM_PROFILE") == "1";

    private static readonly HashSet<string> Provided = new(StringComparer.Ordinal) { "__this_module" };

    /// <param name="index">libclang index of the calling thread.</param>
    /// <param name="file">Absolute path of the .c file.</param>
    /// <param name="relativePath">Its path inside the kernel tree.</param>
    /// <param name="sourceRoot">On-disk root of the tree, to make input paths tree-relative.</param>
    public static UnitResult Analyze(ClangIndex index, string file, string relativePath, string sourceRoot, IReadOnlyList<string> arguments)
    {
        var clock = Profile ? System.Diagnostics.Stopwatch.StartNew() : null;
        using var unit = TranslationUnit.Parse(index, file, arguments);
        long parsed = clock?.ElapsedMilliseconds ?? 0;
        var errors = unit.Diagnostics.Where(d => d.IsError).Select(d => Relative(d.Text, sourceRoot)).ToList();
        var inputs = unit.IncludedFiles().Select(f => Relative(f, sourceRoot)).Distinct().Order(StringComparer.Ordinal).ToList();
        long read = clock?.ElapsedMilliseconds ?? 0;
        var symbols = new UnitIndex(unit);
        long indexed = clock?.ElapsedMilliseconds ?? 0;
        var reach = new Reachability(symbols);
        reach.Run();
        if (clock is not null)
            Console.Error.WriteLine($"profile: {relativePath}: parse {parsed} ms, diagnostics+inputs {read - parsed} ms, index {indexed - read} ms, reach {clock.ElapsedMilliseconds - indexed} ms");

        var defined = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var root in symbols.Roots)
            if (!root.IsStatic && root.Definition is not null)
                defined.Add(root.LinkName);
        foreach (var alias in symbols.Aliases.Keys)
            defined.Add(alias);
        // Symbols assembly at file scope makes global (".globl name": static call trampolines…).
        foreach (var text in symbols.FileScopeAsm)
            foreach (System.Text.RegularExpressions.Match m in GlobalPattern().Matches(text))
                defined.Add(m.Groups[1].Value);

        var undefined = new SortedSet<string>(StringComparer.Ordinal);
        var prototypes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var canonical = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var symbol in reach.External)
            if (!Provided.Contains(symbol.LinkName) && !Builtins.IsBuiltin(symbol.LinkName) && !IsCompileTimeError(symbol))
            {
                undefined.Add(symbol.LinkName);
                if (symbol.Declaration.TypeSpelling is { Length: > 0 } type && prototypes.TryAdd(symbol.LinkName, type)
                    && symbol.Declaration.CanonicalTypeSpelling is var resolved && resolved != type)
                    canonical.TryAdd(symbol.LinkName, resolved);
            }
        undefined.UnionWith(reach.NamedReferences);
        undefined.ExceptWith(defined);
        foreach (var s in symbols.Roots)
            undefined.Remove(s.LinkName); // static definitions an asm template may call

        var from = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, origin) in reach.Origins)
            if (undefined.Contains(name))
                from.TryAdd(name, origin);
        var callers = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (name, set) in reach.Callers)
            if (undefined.Contains(name))
                callers[name] = set.ToList();
        foreach (var name in prototypes.Keys.Where(n => !undefined.Contains(n)).ToList())
        {
            prototypes.Remove(name);
            canonical.Remove(name);
        }

        return new UnitResult
        {
            ReferencedFrom = from,
            Prototypes = prototypes,
            CanonicalPrototypes = canonical,
            Callers = callers,
            Path = relativePath,
            Defined = defined.ToList(),
            Undefined = undefined.ToList(),
            Errors = errors,
            Inputs = inputs,
            Metadata = UnitMetadataReader.Read(symbols),
        };
    }

    /// <summary>Functions declared __attribute__((error)) exist only to fail the build when reached; GCC never emits a call.</summary>
    private static bool IsCompileTimeError(Analysis.Symbol symbol) =>
        symbol.IsFunction && symbol.Declaration.HasAttributes
        && symbol.Declaration.PrettyPrintedDeclaration().Contains("__attribute__((error(", StringComparison.Ordinal);

    private static string Relative(string text, string sourceRoot)
    {
        string prefix = sourceRoot.TrimEnd('/') + "/";
        return text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;
    }
}
