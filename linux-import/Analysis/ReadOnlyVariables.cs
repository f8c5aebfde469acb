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
    private HashSet<Cursor>? _arraysTouched;
    private readonly Dictionary<Symbol, long?[]?> _elements = new();

    /// <summary>
    /// Element <paramref name="index"/> of an integer array GCC reads as constant: const elements, or a static
    /// array the unit only ever reads by subscript (never assigns an element, takes an address, or lets it
    /// decay to a pointer). ip_vs_mh's "static int primes[] = {…}" makes kcalloc(primes[4], 8) a constant-size
    /// allocation, hence kmalloc_large.
    /// </summary>
    public long? ElementOf(Symbol variable, long index)
    {
        if (variable.IsFunction || variable.Definition is not { } definition || index < 0)
            return null;
        if (!_elements.TryGetValue(variable, out var values))
            _elements[variable] = values = ReadElements(variable, definition);
        return values is not null && index < values.Length ? values[index] : null;
    }

    private long?[]? ReadElements(Symbol variable, Cursor definition)
    {
        if (definition.Kind != CursorKind.VarDecl || definition.CanonicalTypeKind != TypeKind.ConstantArray || definition.IsVolatileQualified
            || definition.VarInitializer is not { IsNull: false, Kind: CursorKind.InitListExpr } init)
            return null;
        // Every element written, in order (a designated initializer listing some lists fewer).
        var items = init.Children();
        var spelling = definition.CanonicalTypeSpelling;
        int open = spelling.LastIndexOf('[');
        if (items.Count == 0 || open < 0 || !int.TryParse(spelling.AsSpan(open + 1).TrimEnd(']'), out int length) || length != items.Count)
            return null;
        bool constElements = spelling.StartsWith("const ", StringComparison.Ordinal);
        if (!constElements)
        {
            if (!(variable.IsStatic || definition.StorageClass == StorageClass.Static))
                return null;
            _arraysTouched ??= FindArraysTouched();
            if (_arraysTouched.Contains(definition.Canonical))
                return null;
        }
        var values = new long?[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            if (!items[i].CanonicalTypeKind.IsInteger())
                return null;
            values[i] = items[i].EvaluateInteger();
        }
        return values;
    }

    /// <summary>Arrays of the unit's .c files used other than by reading an element: an element assigned or
    /// incremented, an element's or the array's address taken, the array passed or stored as a pointer.</summary>
    private HashSet<Cursor> FindArraysTouched()
    {
        var touched = new HashSet<Cursor>();
        foreach (var c in unit.Cursor.Children())
        {
            if (c.Kind is not (CursorKind.FunctionDecl or CursorKind.VarDecl) || c.Location.File.EndsWith(".h", StringComparison.Ordinal))
                continue;
            WalkArrays(c, touched);
        }
        return touched;
    }

    private static void WalkArrays(Cursor c, HashSet<Cursor> touched)
    {
        switch (c.Kind)
        {
            case CursorKind.UnaryExpr:
                return; // sizeof(array), ARRAY_SIZE: not evaluated
            case CursorKind.DeclRefExpr:
                if (c.Referenced is { IsNull: false, Kind: CursorKind.VarDecl } variable && variable.CanonicalTypeKind == TypeKind.ConstantArray)
                    touched.Add(variable.Canonical);
                return;
            case CursorKind.ArraySubscriptExpr:
            {
                var kids = c.Children();
                if (kids.Count == 2 && Strip(kids[0]).Kind == CursorKind.DeclRefExpr)
                {
                    WalkArrays(kids[1], touched); // array[i] read: only the index is a use
                    return;
                }
                break;
            }
            case CursorKind.UnaryOperator when c.UnaryOperator is UnaryOp.AddrOf or UnaryOp.PreInc or UnaryOp.PreDec or UnaryOp.PostInc or UnaryOp.PostDec:
            case CursorKind.BinaryOperator or CursorKind.CompoundAssignOperator when c.BinaryOperator is >= BinaryOp.Assign and <= BinaryOp.OrAssign:
            {
                var kids = c.Children();
                if (kids.Count > 0 && Strip(kids[0]) is { Kind: CursorKind.ArraySubscriptExpr } element
                    && element.Children() is [var array, _] && Strip(array) is { Kind: CursorKind.DeclRefExpr } reference
                    && reference.Referenced is { IsNull: false, Kind: CursorKind.VarDecl } target)
                    touched.Add(target.Canonical);
                break;
            }
        }
        foreach (var k in c.Children())
            WalkArrays(k, touched);
    }

    private static Cursor Strip(Cursor c)
    {
        while (c.Kind is CursorKind.ParenExpr or CursorKind.UnexposedExpr or CursorKind.CStyleCastExpr && c.Children() is [.., var inner])
            c = inner;
        return c;
    }

    /// <summary>A const struct or union variable with an initializer: GCC copies it by storing the constant (a static
    /// one the unit never writes is still copied from memory, checked with gcc-12).</summary>
    public static bool IsConstantAggregate(Symbol variable) =>
        !variable.IsFunction && variable.Definition is { Kind: CursorKind.VarDecl } definition
        && definition.CanonicalTypeKind == TypeKind.Record && definition.IsConstQualified && !definition.IsVolatileQualified
        && !definition.VarInitializer.IsNull;

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
        target = Strip(target);
        if (target.Kind == CursorKind.DeclRefExpr && target.Referenced is { IsNull: false } referenced && referenced.Kind == CursorKind.VarDecl)
            written.Add(referenced.Canonical);
    }
}
