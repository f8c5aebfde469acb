// SPDX-License-Identifier: MIT
// Managed side. A file-scope function or variable of one translation unit, as the linker sees it.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class Symbol(string name, string linkName, bool isFunction)
{
    /// <summary>The C name.</summary>
    public string Name { get; } = name;

    /// <summary>The name the object file uses (differs when an asm label renames it).</summary>
    public string LinkName { get; } = linkName;

    public bool IsFunction { get; } = isFunction;

    /// <summary>Definition in this translation unit, if any.</summary>
    public Cursor? Definition { get; set; }

    /// <summary>Declaration cursor (for attributes when there is no definition).</summary>
    public Cursor Declaration { get; set; }

    /// <summary>True for static (internal linkage) definitions.</summary>
    public bool IsStatic { get; set; }

    /// <summary>Declared inline: the compiler inlines it, so it is analysed per calling context.</summary>
    public bool IsInline { get; set; }

    /// <summary>Built lazily: function body or variable initializer.</summary>
    public IrNode? Body { get; set; }
    public bool BodyBuilt { get; set; }
    public int ParamCount { get; set; }

    /// <summary>Parameters and locals together: slots 0..ParamCount-1 are the parameters.</summary>
    public int SlotCount { get; set; }

    /// <summary>Parameters the body reads; an argument for an unread one generates no code.</summary>
    public bool[] ParamRead { get; set; } = [];

    /// <summary>For a function declared __attribute__((alloc_size(i[, j]))) (kzalloc, kmalloc_array): the
    /// 0-based arguments whose value, or product, is the size of what it returns; empty if none.</summary>
    public int[] AllocSizeArguments
    {
        get
        {
            if (_allocSize is null)
            {
                _allocSize = [];
                if (IsFunction && Declaration.HasAttributes
                    && AllocSizePattern().Match(Declaration.PrettyPrintedDeclaration()) is { Success: true } m)
                    _allocSize = m.Groups[1].Value.Split(',').Select(a => int.Parse(a.Trim(), System.Globalization.CultureInfo.InvariantCulture) - 1).ToArray();
            }
            return _allocSize;
        }
    }

    private int[]? _allocSize;

    /// <summary>
    /// A function declared cold (__cold; __init and __exit are cold too), which GCC optimizes for size. A static
    /// function called only from such ones is cold too (Reachability.SizeOptimized).
    /// </summary>
    public bool IsCold => _cold ??= IsFunction
        && (Declaration.HasAttributes && ColdPattern().IsMatch(Declaration.PrettyPrintedDeclaration())
            || Definition is { } d && d.HasAttributes && ColdPattern().IsMatch(d.PrettyPrintedDeclaration()));

    private bool? _cold;

    /// <summary>A function declared noinline, which GCC keeps out of line even where it is called once.</summary>
    public bool IsNoInline => _noInline ??= IsFunction
        && (Declaration.HasAttributes && NoInlinePattern().IsMatch(Declaration.PrettyPrintedDeclaration())
            || Definition is { } d && d.HasAttributes && NoInlinePattern().IsMatch(d.PrettyPrintedDeclaration()));

    private bool? _noInline;

    [System.Text.RegularExpressions.GeneratedRegex(@"__attribute__\(\((?:__)?noinline(?:__)?\)\)")]
    private static partial System.Text.RegularExpressions.Regex NoInlinePattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"__attribute__\(\((?:__)?cold(?:__)?\)\)")]
    private static partial System.Text.RegularExpressions.Regex ColdPattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"__attribute__\(\((?:__)?alloc_size(?:__)?\(([0-9]+(?:,\s*[0-9]+)?)\)\)\)")]
    private static partial System.Text.RegularExpressions.Regex AllocSizePattern();

    public override string ToString() => Name;
}
