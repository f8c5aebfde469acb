// SPDX-License-Identifier: MIT
// Managed side. A C type as libclang reads it, reduced to what a calling convention sees: void, an
// integer of a width and signedness, a pointer, a floating-point value, or a record passed by value;
// and function prototypes as a result and arguments of those.
using LinuxShim.Import.Clang.Interop;

namespace LinuxShim.Import.Clang;

/// <summary>How a value crosses a call on x86-64: its class, its size in bytes, and (integers) its signedness.</summary>
public enum ValueClass { Void, Integer, Pointer, Float, Record, Unknown }

/// <summary>A value as a call passes it.</summary>
/// <param name="Spelling">How the source spells the type (C) or the C# type name.</param>
public sealed record ValueShape(ValueClass Class, int Size, bool Signed, string Spelling)
{
    public override string ToString() => Class switch
    {
        ValueClass.Void => $"void ({Spelling})",
        ValueClass.Integer => $"{Size}-byte {(Signed ? "signed" : "unsigned")} integer ({Spelling})",
        ValueClass.Pointer => $"pointer ({Spelling})",
        ValueClass.Float => $"{Size}-byte float ({Spelling})",
        ValueClass.Record => $"{Size}-byte struct by value ({Spelling})",
        _ => Spelling,
    };
}

/// <summary>A C function's prototype as the configured headers declare it.</summary>
public sealed record CPrototype(string Name, ValueShape Result, IReadOnlyList<ValueShape> Arguments, bool Variadic, string Declaration, string Location);

public static class CTypes
{
    // CXTypeKind values (clang-c/Index.h).
    private const int Void = 2, Bool = 3, CharU = 4, UInt128 = 12, CharS = 13, Int128 = 20, Float = 21, LongDouble = 23,
        Pointer = 101, BlockPointer = 102, Record = 105, Enum = 106, FunctionNoProto = 110, FunctionProto = 111,
        ConstantArray = 112, IncompleteArray = 114, VariableArray = 115, Atomic = 177;

    /// <summary>The prototype of a function declaration, or null when the cursor declares no prototyped function.</summary>
    public static CPrototype? Prototype(Cursor function)
    {
        var type = Native.clang_getCanonicalType(Native.clang_getCursorType(function.Raw));
        if (type.Kind != FunctionProto)
            return null;
        int n = Native.clang_getNumArgTypes(type);
        var arguments = new List<ValueShape>(n);
        for (uint i = 0; i < n; i++)
            arguments.Add(Shape(Native.clang_getArgType(type, i)));
        var (file, line) = function.Location;
        return new CPrototype(function.Spelling, Shape(Native.clang_getResultType(type)), arguments, Native.clang_isFunctionTypeVariadic(type) != 0,
            function.PrettyPrintedDeclaration(), $"{file}:{line}");
    }

    private static ValueShape Shape(CXType type)
    {
        string spelling = Native.Take(Native.clang_getTypeSpelling(type));
        var canonical = Native.clang_getCanonicalType(type);
        if (canonical.Kind == Atomic)
            canonical = Native.clang_getCanonicalType(Native.clang_Type_getValueType(canonical));
        if (canonical.Kind == Enum)
            canonical = Native.clang_getCanonicalType(Native.clang_getEnumDeclIntegerType(Native.clang_getTypeDeclaration(canonical)));
        int size = (int)Math.Max(0, Native.clang_Type_getSizeOf(canonical));
        return canonical.Kind switch
        {
            Void => new(ValueClass.Void, 0, false, spelling),
            >= Bool and <= UInt128 => new(ValueClass.Integer, size, false, spelling),
            >= CharS and <= Int128 => new(ValueClass.Integer, size, true, spelling),
            >= Float and <= LongDouble => new(ValueClass.Float, size, true, spelling),
            Pointer or BlockPointer or ConstantArray or IncompleteArray or VariableArray or FunctionNoProto or FunctionProto
                => new(ValueClass.Pointer, 8, false, spelling),
            Record => new(ValueClass.Record, size, false, spelling),
            _ => new(ValueClass.Unknown, size, false, spelling),
        };
    }
}
