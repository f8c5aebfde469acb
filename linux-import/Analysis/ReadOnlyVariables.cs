// SPDX-License-Identifier: MIT
// Managed side. Variables whose every read GCC replaces by a constant: const-qualified integers with a
// constant initializer, and static integers the unit never writes and whose address it never takes
// (GCC's IPA marks them read-only: r8152's "static unsigned int agg_buf_sz = 16384" makes
// kmalloc_node(agg_buf_sz, …) a constant-size allocation, hence kmalloc_large_node).
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed class ReadOnlyVariables(TranslationUnit unit)
{
    private readonly Dictionary<Symbol, long?> _values = new();
    private readonly Dictionary<Symbol, string?> _texts = new();

    /// <summary>The string a const char array is initialized with ("static const char name[] = "x""), or null.</summary>
    public string? TextOf(Symbol variable)
    {
        if (variable.IsFunction || variable.Definition is not { } definition)
            return null;
        if (_texts.TryGetValue(variable, out var known))
            return known;
        string? text = null;
        if (definition.Kind == CursorKind.VarDecl && definition.CanonicalTypeKind == TypeKind.ConstantArray
            && definition.CanonicalTypeSpelling.StartsWith("const char[", StringComparison.Ordinal)
            && definition.VarInitializer is { IsNull: false } init)
            text = init.EvaluateString();
        _texts[variable] = text;
        return text;
    }
    private HashSet<Cursor>? _written;

    /// <summary>A const struct or union variable with an initializer: GCC copies it by storing the constant (a static
    /// one the unit never writes is still copied from memory, checked with gcc-12).</summary>
    public static bool IsConstantAggregate(Symbol variable) =>
        !variable.IsFunction && variable.Definition is { Kind: CursorKind.VarDecl } definition
        && (int)definition.CanonicalTypeKind == RecordTypeKind && definition.IsConstQualified && !definition.IsVolatileQualified
        && !definition.VarInitializer.IsNull;

    private const int RecordTypeKind = 105;

    /// <summary>The value every read of the variable gives, or null when it is not a constant to GCC.</summary>
    public long? ValueOf(Symbol variable)
    {
        if (variable.IsFunction || variable.Definition is not { } definition)
            return null;
        if (_values.TryGetValue(variable, out var known))
            return known;
        long? value = Fold(variable, definition);
        _values[variable] = value;
        return value;
    }

    private long? Fold(Symbol variable, Cursor definition)
    {
        if (definition.Kind != CursorKind.VarDecl || !definition.CanonicalTypeKind.IsInteger() || definition.IsVolatileQualified)
            return null;
        var init = definition.VarInitializer;
        bool isStatic = variable.IsStatic || definition.StorageClass == StorageClass.Static;
        long? initial = init.IsNull ? (isStatic ? 0 : null) : init.EvaluateInteger();
        if (initial is null)
            return null;
        if (definition.IsConstQualified)
            return initial;
        if (!isStatic)
            return null;
        _written ??= FindWritten();
        return _written.Contains(definition.Canonical) ? null : initial;
    }

    /// <summary>Variables the unit's own code (its .c files, where a file-scope static can be named) assigns,
    /// increments, or takes the address of (module_param's &amp;name among them).</summary>
    private HashSet<Cursor> FindWritten()
    {
        var written = new HashSet<Cursor>();
        foreach (var c in unit.Cursor.Children())
        {
            if (c.Kind is not (CursorKind.FunctionDecl or CursorKind.VarDecl) || c.Location.File.EndsWith(".h", StringComparison.Ordinal))
                continue;
            Walk(c, written);
        }
        return written;
    }

    private static void Walk(Cursor c, HashSet<Cursor> written)
    {
        var kids = c.Children();
        switch (c.Kind)
        {
            case CursorKind.UnaryOperator when c.UnaryOperator is UnaryOp.AddrOf or UnaryOp.PreInc or UnaryOp.PreDec or UnaryOp.PostInc or UnaryOp.PostDec:
                if (kids.Count > 0)
                    NoteWritten(kids[0], written);
                break;
            case CursorKind.BinaryOperator or CursorKind.CompoundAssignOperator when c.BinaryOperator is >= BinaryOp.Assign and <= BinaryOp.OrAssign:
                if (kids.Count > 0)
                    NoteWritten(kids[0], written);
                break;
            case CursorKind.GCCAsmStmt:
                for (int i = 0; i < c.AsmOutputCount && i < kids.Count; i++)
                    NoteWritten(kids[i], written);
                break;
        }
        foreach (var k in kids)
            Walk(k, written);
    }

    private static void NoteWritten(Cursor target, HashSet<Cursor> written)
    {
        while (target.Kind is CursorKind.ParenExpr or CursorKind.UnexposedExpr or CursorKind.CStyleCastExpr)
        {
            var kids = target.Children();
            if (kids.Count == 0)
                return;
            target = kids[^1];
        }
        if (target.Kind == CursorKind.DeclRefExpr && target.Referenced is { IsNull: false } referenced && referenced.Kind == CursorKind.VarDecl)
            written.Add(referenced.Canonical);
    }
}
