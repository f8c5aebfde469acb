// SPDX-License-Identifier: MIT
// Managed side. The C↔C# boundary checked at port build: for every symbol the host implements in C#
// and the driver (or the shim's C) calls, the prototype libclang reads from the configured headers
// is compared with the C# method's signature: argument count, each value's class (pointer or value),
// width and signedness, struct sizes, and variadics (which C# cannot take: they go through C). A
// mismatch fails the build naming both sides; a wrong width is otherwise found only when a driver
// misbehaves.
using System.Reflection;
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Port;

/// <summary>A C# method that implements a kernel symbol or host operation, as a call reaches it.</summary>
/// <param name="Method">Declaring type and name, for messages.</param>
public sealed record ManagedPrototype(string Method, ValueShape Result, IReadOnlyList<ValueShape> Arguments)
{
    /// <summary>The shape of <paramref name="method"/>'s signature (an [UnmanagedCallersOnly] method: blittable types only).</summary>
    public static ManagedPrototype From(MethodInfo method) => new($"{method.DeclaringType?.FullName}.{method.Name}", Shape(method.ReturnType),
        method.GetParameters().Select(p => Shape(p.ParameterType)).ToList());

    private static ValueShape Shape(Type t)
    {
        string name = t.Name;
        if (t == typeof(void)) return new(ValueClass.Void, 0, false, "void");
        if (t == typeof(nint)) return new(ValueClass.Integer, 8, true, "nint");
        if (t == typeof(nuint)) return new(ValueClass.Integer, 8, false, "nuint");
        if (t.IsPointer || t.IsFunctionPointer || t.IsUnmanagedFunctionPointer) return new(ValueClass.Pointer, 8, false, name);
        if (t.IsEnum) t = Enum.GetUnderlyingType(t);
        return Type.GetTypeCode(t) switch
        {
            TypeCode.SByte => new(ValueClass.Integer, 1, true, "sbyte"),
            TypeCode.Byte => new(ValueClass.Integer, 1, false, "byte"),
            TypeCode.Int16 => new(ValueClass.Integer, 2, true, "short"),
            TypeCode.UInt16 or TypeCode.Char => new(ValueClass.Integer, 2, false, name == "Char" ? "char" : "ushort"),
            TypeCode.Int32 => new(ValueClass.Integer, 4, true, "int"),
            TypeCode.UInt32 => new(ValueClass.Integer, 4, false, "uint"),
            TypeCode.Int64 => new(ValueClass.Integer, 8, true, "long"),
            TypeCode.UInt64 => new(ValueClass.Integer, 8, false, "ulong"),
            TypeCode.Single => new(ValueClass.Float, 4, true, "float"),
            TypeCode.Double => new(ValueClass.Float, 8, true, "double"),
            _ when t.IsValueType => new(ValueClass.Record, System.Runtime.InteropServices.Marshal.SizeOf(t), false, name),
            _ => new(ValueClass.Unknown, 0, false, name),
        };
    }

    public override string ToString() =>
        $"{Method}({string.Join(", ", Arguments.Select(a => a.Spelling))}) -> {Result.Spelling}";
}

/// <summary>What the check found: mismatches (each names both sides) and symbols no header declares with a prototype.</summary>
public sealed record PrototypeReport(int Checked, IReadOnlyList<string> Mismatches, IReadOnlyList<string> Undeclared);

public static class PrototypeCheck
{
    /// <summary>
    /// Reads the prototypes of <paramref name="names"/> from the translation units (parsed for declarations
    /// only, in order, until every name is found): the declarations gcc compiled the callers against.
    /// </summary>
    public static Dictionary<string, CPrototype> Read(IEnumerable<(string File, IReadOnlyList<string> Arguments)> units, IReadOnlySet<string> names)
    {
        var found = new Dictionary<string, CPrototype>(StringComparer.Ordinal);
        using var index = new ClangIndex();
        foreach (var (file, arguments) in units)
        {
            if (found.Count == names.Count)
                break;
            using var unit = TranslationUnit.Parse(index, file, arguments, declarationsOnly: true);
            foreach (var c in unit.Cursor.Children())
                if (c.Kind == CursorKind.FunctionDecl && names.Contains(c.Spelling) && !found.ContainsKey(c.Spelling) && CTypes.Prototype(c) is { } p)
                    found[c.Spelling] = p;
        }
        return found;
    }

    /// <summary>Compares each symbol's C prototype with the C# method that implements it.</summary>
    public static PrototypeReport Compare(IEnumerable<string> symbols, IReadOnlyDictionary<string, CPrototype> c,
        IReadOnlyDictionary<string, ManagedPrototype> managed)
    {
        var mismatches = new List<string>();
        var undeclared = new List<string>();
        int count = 0;
        foreach (var symbol in symbols.Order(StringComparer.Ordinal))
        {
            if (!managed.TryGetValue(symbol, out var cs))
                continue; // a data object, or a symbol the host does not implement in C#
            if (!c.TryGetValue(symbol, out var proto))
            {
                undeclared.Add(symbol);
                continue;
            }
            count++;
            var problems = Differences(proto, cs).ToList();
            if (problems.Count > 0)
                mismatches.Add($"{symbol}: {string.Join("; ", problems)}\n    C:  {proto.Declaration}  ({proto.Location})\n    C#: {cs}");
        }
        return new PrototypeReport(count, mismatches, undeclared);
    }

    private static IEnumerable<string> Differences(CPrototype c, ManagedPrototype cs)
    {
        if (c.Variadic)
            yield return "variadic in C, and a C# method cannot take variable arguments (implement it in the shim's C, which calls a host operation)";
        if (c.Arguments.Count != cs.Arguments.Count)
            yield return $"{c.Arguments.Count} arguments in C, {cs.Arguments.Count} in C#";
        if (Difference(c.Result, cs.Result) is { } r)
            yield return $"result: {r}";
        for (int i = 0; i < Math.Min(c.Arguments.Count, cs.Arguments.Count); i++)
            if (Difference(c.Arguments[i], cs.Arguments[i]) is { } d)
                yield return $"argument {i + 1}: {d}";
    }

    /// <summary>Why a C value and a C# value do not cross a call alike, or null when they do.</summary>
    public static string? Difference(ValueShape c, ValueShape cs)
    {
        bool alike = c.Class switch
        {
            ValueClass.Unknown => true, // nothing to compare with
            ValueClass.Void => cs.Class == ValueClass.Void,
            // nint and nuint are the C# spelling of an address as much as of a number.
            ValueClass.Pointer => cs.Class == ValueClass.Pointer || cs is { Class: ValueClass.Integer, Spelling: "nint" or "nuint" },
            ValueClass.Integer => cs.Class == ValueClass.Integer && cs.Size == c.Size && cs.Signed == c.Signed,
            _ => cs.Class == c.Class && cs.Size == c.Size,
        };
        return alike ? null : $"{c} in C, {cs} in C#";
    }
}
