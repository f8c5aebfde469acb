// SPDX-License-Identifier: MIT
// Managed side. A libclang cursor seen through .NET types; CXCursor never leaves this layer.
using System.Runtime.InteropServices;
using LinuxShim.Import.Clang.Interop;

namespace LinuxShim.Import.Clang;

public readonly struct Cursor : IEquatable<Cursor>
{
    internal readonly CXCursor Raw;
    private readonly TranslationUnit _unit;

    internal Cursor(CXCursor raw, TranslationUnit unit)
    {
        Raw = raw;
        _unit = unit;
    }

    public TranslationUnit Unit => _unit;
    public CursorKind Kind => (CursorKind)Raw.Kind;
    public bool IsNull => Native.clang_Cursor_isNull(Raw) != 0;
    public string Spelling => Native.Take(Native.clang_getCursorSpelling(Raw));
    public Cursor Referenced => Wrap(Native.clang_getCursorReferenced(Raw));
    public Cursor Definition => Wrap(Native.clang_getCursorDefinition(Raw));
    public Cursor Canonical => Wrap(Native.clang_getCanonicalCursor(Raw));
    public bool IsDefinition => Native.clang_isCursorDefinition(Raw) != 0;
    public Linkage Linkage => (Linkage)Native.clang_getCursorLinkage(Raw);
    public StorageClass StorageClass => (StorageClass)Native.clang_Cursor_getStorageClass(Raw);
    public bool IsInlined => Native.clang_Cursor_isFunctionInlined(Raw) != 0;
    public bool HasAttributes => Native.clang_Cursor_hasAttrs(Raw) != 0;
    public BinaryOp BinaryOperator => (BinaryOp)Native.clang_getCursorBinaryOperatorKind(Raw);
    public UnaryOp UnaryOperator => (UnaryOp)Native.clang_getCursorUnaryOperatorKind(Raw);
    public long EnumValue => Native.clang_getEnumConstantDeclValue(Raw);
    public string TypeSpelling => Native.Take(Native.clang_getTypeSpelling(Native.clang_getCursorType(Raw)));

    /// <summary>The spelling of the cursor's canonical type: typedefs resolved (u64 is unsigned long long).</summary>
    public string CanonicalTypeSpelling => Native.Take(Native.clang_getTypeSpelling(Native.clang_getCanonicalType(Native.clang_getCursorType(Raw))));
    /// <summary>Size in bytes of the cursor's type, or null when incomplete or dependent.</summary>
    public long? TypeSize
    {
        get
        {
            long size = Native.clang_Type_getSizeOf(Native.clang_getCursorType(Raw));
            return size >= 0 ? size : null;
        }
    }

    /// <summary>For an expression of pointer type: the size in bytes of what it points to, or null (not a pointer, or incomplete).</summary>
    public long? PointeeSize
    {
        get
        {
            var type = Native.clang_getCanonicalType(Native.clang_getCursorType(Raw));
            if (type.Kind != (int)TypeKind.Pointer)
                return null;
            long size = Native.clang_Type_getSizeOf(Native.clang_getPointeeType(type));
            return size > 0 ? size : null;
        }
    }

    /// <summary>For a field: its width in bits when it is a bit-field, else null.</summary>
    public int? BitFieldWidth => Native.clang_Cursor_isBitField(Raw) != 0 ? Native.clang_getFieldDeclBitWidth(Raw) : null;

    /// <summary>For a field: it is a field of a named struct (not of a union, nor of an anonymous record, which may
    /// lie in one): two such fields of one struct never overlap.</summary>
    public bool IsStructField
    {
        get
        {
            if (Kind != CursorKind.FieldDecl)
                return false;
            var parent = Wrap(Native.clang_getCursorSemanticParent(Raw));
            return parent.Kind == CursorKind.StructDecl && !parent.IsAnonymousRecord;
        }
    }

    /// <summary>For a field: it is the last of a named struct (no field lies after it), as GCC's
    /// array_at_struct_end_p sees a trailing array that may run past its declared size.</summary>
    public bool IsTrailingField
    {
        get
        {
            if (Kind != CursorKind.FieldDecl)
                return false;
            var parent = Wrap(Native.clang_getCursorSemanticParent(Raw));
            if (parent.Kind != CursorKind.StructDecl || parent.IsAnonymousRecord)
                return false;
            long offset = Native.clang_Cursor_getOffsetOfField(Raw);
            return offset >= 0 && offset >= _unit.LastFieldOffset(parent);
        }
    }

    /// <summary>For a struct declaration: the largest bit offset of its fields (-1 when it has none with one).</summary>
    internal long LastFieldOffsetBits()
    {
        long last = -1;
        foreach (var member in Children())
            if (member.Kind == CursorKind.FieldDecl)
                last = Math.Max(last, Native.clang_Cursor_getOffsetOfField(member.Raw));
        return last;
    }

    /// <summary>Whether this record declaration is an anonymous struct/union member.</summary>
    public bool IsAnonymousRecord => Native.clang_Cursor_isAnonymousRecordDecl(Raw) != 0;

    /// <summary>For a field: its offset in bits in the record that declares it, or null.</summary>
    public long? OffsetOfFieldBits
    {
        get
        {
            long offset = Native.clang_Cursor_getOffsetOfField(Raw);
            return offset >= 0 ? offset : null;
        }
    }

    /// <summary>Offset in bits of field <paramref name="field"/> within this record declaration's type (null when not found).</summary>
    public long? FieldOffsetBits(string field)
    {
        long offset = Native.clang_Type_getOffsetOf(Native.clang_getCursorType(Raw), field);
        return offset >= 0 ? offset : null;
    }

    /// <summary>The declaration of the cursor's canonical type, arrays resolved to their element type (e.g. a field's struct).</summary>
    public Cursor TypeDeclaration
    {
        get
        {
            var type = Native.clang_getCanonicalType(Native.clang_getCursorType(Raw));
            while (type.Kind is (int)TypeKind.ConstantArray)
                type = Native.clang_getCanonicalType(Native.clang_getElementType(type));
            return Wrap(Native.clang_getTypeDeclaration(type));
        }
    }

    /// <summary>Kind of the cursor's canonical type (typedefs resolved), as CXTypeKind.</summary>
    public TypeKind CanonicalTypeKind => (TypeKind)Native.clang_getCanonicalType(Native.clang_getCursorType(Raw)).Kind;


    /// <summary>The cursor's type is const-qualified (const int n).</summary>
    public bool IsConstQualified => Native.clang_isConstQualifiedType(Native.clang_getCursorType(Raw)) != 0;

    /// <summary>The cursor's type is volatile-qualified.</summary>
    public bool IsVolatileQualified => Native.clang_isVolatileQualifiedType(Native.clang_getCursorType(Raw)) != 0;

    /// <summary>The template string of a GCC inline assembly statement.</summary>
    public string AsmTemplate => Native.Take(Native.clang_Cursor_getGCCAssemblyTemplate(Raw));

    /// <summary>How many output operands a GCC inline assembly statement has (its first children).</summary>
    public int AsmOutputCount => (int)Native.clang_Cursor_getGCCAssemblyNumOutputs(Raw);

    /// <summary>A GCC inline assembly statement is volatile (asm volatile, or asm goto, which is implicitly).</summary>
    public bool AsmVolatile => Native.clang_Cursor_isGCCAssemblyVolatile(Raw) != 0 || Native.clang_Cursor_isGCCAssemblyHasGoto(Raw) != 0;

    /// <summary>The initializer of a variable declaration, or a null cursor.</summary>
    public Cursor VarInitializer => Wrap(Native.clang_Cursor_getVarDeclInitializer(Raw));

    /// <summary>File and line where the cursor's text was expanded (macro uses map to their use site).</summary>
    public (string File, uint Line) Location
    {
        get
        {
            Native.clang_getExpansionLocation(Native.clang_getCursorLocation(Raw), out nint file, out uint line, out _, out _);
            return (file == 0 ? "" : Native.Take(Native.clang_getFileName(file)), line);
        }
    }

    /// <summary>Byte offset of the cursor's expansion location within its file; with the file it identifies a declaration.</summary>
    public uint Offset
    {
        get
        {
            Native.clang_getExpansionLocation(Native.clang_getCursorLocation(Raw), out _, out _, out _, out uint offset);
            return offset;
        }
    }

    /// <summary>Integer value of a constant expression, or null when clang cannot fold it.</summary>
    public long? EvaluateInteger() => Evaluate(result =>
        Native.clang_EvalResult_getKind(result) != Native.EvalInt ? null
        : Native.clang_EvalResult_isUnsignedInt(result) != 0 ? unchecked((long)Native.clang_EvalResult_getAsUnsigned(result))
        : (long?)Native.clang_EvalResult_getAsLongLong(result));

    /// <summary>Value of a string-literal expression, or null.</summary>
    public string? EvaluateString() => Evaluate(result =>
        Native.clang_EvalResult_getKind(result) != Native.EvalStrLiteral ? null
        : Native.clang_EvalResult_getAsStr(result) is var p && p != 0 ? Marshal.PtrToStringUTF8(p) : null);

    /// <summary>Runs clang_Cursor_Evaluate and reads its result, which is always disposed.</summary>
    private T? Evaluate<T>(Func<nint, T?> read)
    {
        nint result = Native.clang_Cursor_Evaluate(Raw);
        if (result == 0)
            return default;
        try
        {
            return read(result);
        }
        finally
        {
            Native.clang_EvalResult_dispose(result);
        }
    }

    /// <summary>The declaration printed back as C, without bodies or initializers; shows its attributes.</summary>
    public string PrettyPrintedDeclaration()
    {
        nint policy = Native.clang_getCursorPrintingPolicy(Raw);
        try
        {
            Native.clang_PrintingPolicy_setProperty(policy, Native.PolicyTerseOutput, 1);
            Native.clang_PrintingPolicy_setProperty(policy, Native.PolicySuppressInitializers, 1);
            return Native.Take(Native.clang_getCursorPrettyPrinted(Raw, policy));
        }
        finally
        {
            Native.clang_PrintingPolicy_dispose(policy);
        }
    }

    /// <summary>Direct children, in source order.</summary>
    public unsafe List<Cursor> Children()
    {
        var raw = new List<CXCursor>();
        var handle = GCHandle.Alloc(raw);
        try
        {
            Native.clang_visitChildren(Raw, &CollectChild, GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
        var result = new List<Cursor>(raw.Count);
        foreach (var c in raw)
            result.Add(new Cursor(c, _unit));
        return result;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static CXChildVisitResult CollectChild(CXCursor cursor, CXCursor parent, nint data)
    {
        ((List<CXCursor>)GCHandle.FromIntPtr(data).Target!).Add(cursor);
        return CXChildVisitResult.Continue;
    }

    private Cursor Wrap(CXCursor c) => new(c, _unit);

    public bool Equals(Cursor other) => Native.clang_equalCursors(Raw, other.Raw) != 0;
    public override bool Equals(object? obj) => obj is Cursor c && Equals(c);
    public override int GetHashCode() => (int)Native.clang_hashCursor(Raw);
    public static bool operator ==(Cursor a, Cursor b) => a.Equals(b);
    public static bool operator !=(Cursor a, Cursor b) => !a.Equals(b);
    public override string ToString() => $"{Kind} {Spelling}";
}
