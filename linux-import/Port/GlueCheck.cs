// SPDX-License-Identifier: MIT
// Managed side. Checks at port build that the C definition of the glue descriptor (struct linuxshim_glue in
// shim/include/linuxshim/glue.h, read with libclang) and its managed mirror (LinuxShim.Shim.Host.Glue) agree
// field by field: the same names (the mirror's in snake_case), in the same order, at the same offsets, of the
// same sizes. The C header is the source; a difference fails the build naming both sides.
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Import.Clang;
using LinuxShim.Shim.Host;

namespace LinuxShim.Import.Port;

/// <summary>A field of a struct: its C name, byte offset and size; <paramref name="Declared"/> says where it is declared.</summary>
public sealed record BoundaryField(string Name, long Offset, long Size, string Declared);

/// <summary>A struct's fields in declaration order, and its size.</summary>
public sealed record BoundaryStruct(string Declared, long Size, IReadOnlyList<BoundaryField> Fields)
{
    /// <summary>The fields of a blittable managed struct as C names them: PascalCase to snake_case (OpCount: op_count).</summary>
    public static BoundaryStruct Of(Type type)
    {
        var fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(f => new BoundaryField(SnakeCase(f.Name), Marshal.OffsetOf(type, f.Name), SizeOf(f.FieldType), $"{type.FullName}.{f.Name}"))
            .OrderBy(f => f.Offset).ToList();
        return new BoundaryStruct(type.FullName ?? type.Name, Marshal.SizeOf(type), fields);
    }

    private static long SizeOf(Type t) =>
        t.IsPointer || t.IsFunctionPointer || t.IsUnmanagedFunctionPointer || t == typeof(nint) || t == typeof(nuint) ? IntPtr.Size : Marshal.SizeOf(t);

    private static string SnakeCase(string name)
    {
        var s = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
                s.Append('_');
            s.Append(char.ToLowerInvariant(name[i]));
        }
        return s.ToString();
    }
}

public static class GlueCheck
{
    /// <summary>The descriptor's C struct and the header (under the shim's include directory) that defines it.</summary>
    public const string Struct = DriverLibrary.DescriptorSymbol;
    public const string Header = "linuxshim/glue.h";

    /// <summary>Reads struct <paramref name="structName"/> as <paramref name="header"/> defines it, parsed with <paramref name="arguments"/>.</summary>
    public static BoundaryStruct Read(string header, string structName, IReadOnlyList<string> arguments, string scratchDirectory)
    {
        Directory.CreateDirectory(scratchDirectory);
        string file = Path.Combine(scratchDirectory, "glue_check.c");
        // REUSE-IgnoreStart (a licence line the generated C file carries, not this file's)
        File.WriteAllLines(file, ["/* SPDX-License-Identifier: GPL-2.0-only */", $"#include <{header}>"]);
        // REUSE-IgnoreEnd
        using var index = new ClangIndex();
        using var unit = TranslationUnit.Parse(index, file, arguments);
        if (unit.Diagnostics.FirstOrDefault(d => d.IsError) is { } error)
            throw new ImportException($"<{header}> does not parse: {error.Text}");
        var records = unit.Cursor.Children().Where(c => c.Kind == CursorKind.StructDecl && c.IsDefinition && c.Spelling == structName).ToList();
        if (records.Count == 0)
            throw new ImportException($"<{header}> defines no struct {structName}");
        var record = records[0];
        string declared = $"struct {structName} (<{header}>)";
        var fields = record.Children().Where(c => c.Kind == CursorKind.FieldDecl)
            .Select(f => new BoundaryField(f.Spelling, (record.FieldOffsetBits(f.Spelling) ?? -8) / 8, f.TypeSize ?? -1, $"{declared}.{f.Spelling}")).ToList();
        return new BoundaryStruct(declared, record.TypeSize ?? -1, fields);
    }

    /// <summary>Every difference between the C struct and its managed mirror, each naming both sides; empty when they agree.</summary>
    public static IReadOnlyList<string> Compare(BoundaryStruct c, BoundaryStruct managed)
    {
        var differences = new List<string>();
        for (int i = 0; i < Math.Max(c.Fields.Count, managed.Fields.Count); i++)
        {
            var cf = i < c.Fields.Count ? c.Fields[i] : null;
            var mf = i < managed.Fields.Count ? managed.Fields[i] : null;
            if (cf is null)
                differences.Add($"{mf!.Declared} (offset {mf.Offset}, {mf.Size} bytes) has no field in {c.Declared}");
            else if (mf is null)
                differences.Add($"{cf.Declared} (offset {cf.Offset}, {cf.Size} bytes) has no field in {managed.Declared}");
            else if (cf.Name != mf.Name || cf.Offset != mf.Offset || cf.Size != mf.Size)
                differences.Add($"{cf.Declared} (offset {cf.Offset}, {cf.Size} bytes) differs from {mf.Declared} ({mf.Name}, offset {mf.Offset}, {mf.Size} bytes)");
            if (cf is not null && mf is not null && cf.Name != mf.Name)
                break; // the fields after a missing or extra one all differ: name the first
        }
        if (differences.Count == 0 && c.Size != managed.Size)
            differences.Add($"{c.Declared} is {c.Size} bytes, {managed.Declared} {managed.Size}");
        return differences;
    }

    /// <summary>Fails with every difference between the C struct and its managed mirror.</summary>
    public static void Verify(BoundaryStruct c, BoundaryStruct managed)
    {
        if (Compare(c, managed) is { Count: > 0 } differences)
            throw new ImportException($"the glue descriptor's C definition and its managed mirror differ (change both, and raise the glue version):\n"
                                      + string.Join("\n", differences));
    }
}
