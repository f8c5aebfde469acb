// SPDX-License-Identifier: MIT
// Managed side. The file-scope symbols of one translation unit, the roots the linker keeps, and
// the lazily built IR of each definition (IrBuilder).
using System.Text.RegularExpressions;
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class UnitIndex
{
    private readonly Dictionary<string, Symbol> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Cursor, Symbol> _staticLocals = new();
    private readonly HashSet<string> _variableNames = new(StringComparer.Ordinal);

    public TranslationUnit Unit { get; }

    /// <summary>Definitions the object file keeps whatever references them: external definitions,
    /// __used statics, alias targets.</summary>
    public List<Symbol> Roots { get; } = [];

    /// <summary>Top-level variable definitions in the order they appear (for metadata readers).</summary>
    public List<(Symbol Symbol, Cursor Cursor)> Variables { get; } = [];

    /// <summary>Top-level asm("…") blocks (EXPORT_SYMBOL puts the ksymtab there, DEFINE_STATIC_CALL a trampoline).</summary>
    public List<string> FileScopeAsm { get; } = [];

    /// <summary>alias name → target name, from __attribute__((alias("target"))).</summary>
    public Dictionary<string, string> Aliases { get; } = new(StringComparer.Ordinal);

    public UnitIndex(TranslationUnit unit)
    {
        Unit = unit;
        foreach (var c in unit.Cursor.Children())
        {
            var kind = c.Kind;
            if (kind == UnexposedDecl)
            {
                string text = c.PrettyPrintedDeclaration();
                if (text.StartsWith("__asm", StringComparison.Ordinal))
                    FileScopeAsm.Add(text);
                continue;
            }
            if (kind != CursorKind.FunctionDecl && kind != CursorKind.VarDecl)
                continue;
            // A tentative definition ("int n;" at file scope) defines the variable too.
            bool definition = c.IsDefinition
                || kind == CursorKind.VarDecl && c.StorageClass != StorageClass.Extern && c.Definition.IsNull;
            // Attributes that keep code alive (used, alias) are written in .c files, mostly by macros.
            // (Variables anywhere: trace event headers expanded with CREATE_TRACE_POINTS define __used ones.)
            string? printed = c.HasAttributes && (kind == CursorKind.VarDecl && c.Linkage != Linkage.External || InSourceFile(c))
                ? c.PrettyPrintedDeclaration() : null;
            if (printed is not null && AliasPattern().Match(printed) is { Success: true } alias)
            {
                // module_init/module_exit and MODULE_DEVICE_TABLE: an alias keeps its target.
                Aliases[c.Spelling] = alias.Groups[1].Value;
                Roots.Add(SymbolFor(c, alias.Groups[1].Value));
                continue;
            }
            if (!definition)
                continue;
            var linkage = c.Linkage;
            var symbol = SymbolFor(c);
            if (kind == CursorKind.VarDecl && _variableNames.Add(symbol.Name))
                Variables.Add((symbol, c));
            if (linkage == Linkage.External)
            {
                // gnu_inline "extern inline" definitions are never emitted.
                if (kind == CursorKind.FunctionDecl && c.IsInlined && c.StorageClass == StorageClass.Extern)
                    continue;
                Roots.Add(symbol);
            }
            else if (printed is not null && UsedPattern().IsMatch(printed))
            {
                Roots.Add(symbol);
            }
        }
    }

    /// <summary>Declared (or expanded from a macro) in a .c file rather than a header.</summary>
    private static bool InSourceFile(Cursor c) => !c.Location.File.EndsWith(".h", StringComparison.Ordinal);

    [GeneratedRegex(@"\balias\(""([A-Za-z_][A-Za-z0-9_]*)""\)")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"__attribute__\(\((__)?used(__)?\)\)")]
    private static partial Regex UsedPattern();

    /// <summary>Declared __attribute__((used)): the compiler emits it even when nothing refers to it.</summary>
    public static bool IsUsed(Cursor declaration) => UsedPattern().IsMatch(declaration.PrettyPrintedDeclaration());

    /// <summary>The symbol a function or variable declaration cursor names.</summary>
    public Symbol SymbolFor(Cursor declaration, string? name = null)
    {
        bool isFunction = declaration.Kind == CursorKind.FunctionDecl;
        if (!isFunction && declaration.StorageClass == StorageClass.Static && declaration.Linkage == Linkage.None)
        {
            var canonical = declaration.Canonical;
            if (!_staticLocals.TryGetValue(canonical, out var local))
            {
                string n = declaration.Spelling;
                local = new Symbol(n, n, false) { Declaration = declaration, Definition = declaration, IsStatic = true };
                _staticLocals[canonical] = local;
            }
            return local;
        }
        name ??= declaration.Spelling;
        if (_byName.TryGetValue(name, out var symbol))
            return symbol;
        var definition = declaration.Definition;
        bool hasDefinition = !definition.IsNull && definition.Kind == declaration.Kind;
        if (!hasDefinition && !isFunction && declaration.StorageClass != StorageClass.Extern && declaration.Linkage != Linkage.None)
        {
            // A tentative definition ("static int n;") defines the variable, though clang reports no definition.
            definition = declaration;
            hasDefinition = true;
        }
        symbol = new Symbol(name, LinkNameOf(hasDefinition ? definition : declaration, name), isFunction)
        {
            Declaration = declaration,
            Definition = hasDefinition ? definition : null,
            IsStatic = hasDefinition && definition.Linkage == Linkage.Internal,
            IsInline = hasDefinition && isFunction && definition.IsInlined,
        };
        _byName[name] = symbol;
        return symbol;
    }

    /// <summary>__asm__("name") labels rename the symbol in the object file (fortify's __RENAME).</summary>
    private static string LinkNameOf(Cursor declaration, string name)
    {
        if (!declaration.HasAttributes)
            return name;
        foreach (var child in declaration.Children())
            if ((int)child.Kind == AsmLabelAttrKind)
                return child.Spelling;
        return name;
    }

    private const int AsmLabelAttrKind = 407;
    private const CursorKind UnexposedDecl = (CursorKind)1;

    private Dictionary<string, Cursor>? _functionsByName;
    private ReadOnlyVariables? _readOnly;

    /// <summary>Variables GCC reads as constants (built on first use: it walks the unit's code once).</summary>
    public ReadOnlyVariables ReadOnly => _readOnly ??= new ReadOnlyVariables(Unit);

    /// <summary>The function a file-scope declaration of this unit names (null when none does): what an
    /// __attribute__((cleanup(name))) calls. The index of names is built on first use, since few units need it.</summary>
    public Symbol? Function(string name)
    {
        if (_byName.TryGetValue(name, out var known))
            return known.IsFunction ? known : null;
        if (_functionsByName is null)
        {
            _functionsByName = new Dictionary<string, Cursor>(StringComparer.Ordinal);
            foreach (var c in Unit.Cursor.Children())
                if (c.Kind == CursorKind.FunctionDecl)
                    _functionsByName.TryAdd(c.Spelling, c);
        }
        return _functionsByName.TryGetValue(name, out var declaration) ? SymbolFor(declaration) : null;
    }

    [GeneratedRegex(@"__attribute__\(\(cleanup\(([A-Za-z_][A-Za-z0-9_]*)\)\)\)")]
    private static partial Regex CleanupPattern();

    /// <summary>The function a local variable's __attribute__((cleanup(fn))) names (the kernel's __free(x)
    /// is cleanup(__free_x)), or null.</summary>
    public static string? CleanupFunction(Cursor declaration) =>
        declaration.HasAttributes && CleanupPattern().Match(declaration.PrettyPrintedDeclaration()) is { Success: true } m
            ? m.Groups[1].Value : null;

    /// <summary>Builds the IR of a symbol's body or initializer on first use.</summary>
    public void EnsureBody(Symbol symbol)
    {
        if (symbol.BodyBuilt)
            return;
        symbol.BodyBuilt = true;
        if (symbol.Definition is not { } def)
            return;
        new IrBuilder(this).Build(symbol, def);
    }
}
