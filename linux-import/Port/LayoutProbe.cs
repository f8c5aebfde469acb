// SPDX-License-Identifier: MIT
// Managed side. Reads the layout of the kernel structures the shim touches, as the configured headers
// define them: struct sizes, field offsets (bits, for bit-fields) and sizes, and the constants it reads, by
// libclang, into the layout file (LinuxShim.Shim.Layout.LayoutFile) written next to a port's driver .so for
// the host; and turns it into static asserts in the generated C glue, so gcc and libclang must agree.
using LinuxShim.Import.Clang;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Import.Port;

/// <summary>A field (dotted path through embedded structs, e.g. "dev.driver_data") or, with no field, a struct's size.</summary>
public sealed record LayoutRequest(string Struct, string? Field, string Header);

/// <summary>A constant (enum value or macro) the managed side relies on, checked by gcc in the glue.</summary>
public sealed record ConstantAssumption(string Expression, long Value, string Header);

/// <summary>A constant (enum value or macro) the managed side reads from the configured headers: its value differs between kernels.</summary>
public sealed record ConstantRequest(string Expression, string Header);

public static class LayoutProbe
{
    /// <summary>Reads every requested struct, field and constant from the headers, parsing one translation unit with <paramref name="arguments"/>.</summary>
    public static LayoutFile Read(IReadOnlyCollection<LayoutRequest> requests, IReadOnlyList<ConstantRequest> constants, IReadOnlyList<string> arguments,
        string scratchDirectory)
    {
        Directory.CreateDirectory(scratchDirectory);
        string file = Path.Combine(scratchDirectory, "layout.c");
        var headers = requests.Select(r => r.Header).Concat(constants.Select(c => c.Header)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        // Each constant becomes an enumerator, whose value libclang gives as the compiler computes it.
        var enumerators = constants.Select((c, i) => $"\tlinuxshim_constant_{i} = ({c.Expression}),");
        // REUSE-IgnoreStart (a licence line the generated C file carries, not this file's)
        File.WriteAllLines(file, ["/* SPDX-License-Identifier: GPL-2.0-only */", .. headers.Select(h => $"#include <{h}>"),
            .. constants.Count > 0 ? ["enum linuxshim_constants {", .. enumerators, "};"] : Array.Empty<string>()]);
        // REUSE-IgnoreEnd

        using var index = new ClangIndex();
        using var unit = TranslationUnit.Parse(index, file, arguments);
        var errors = unit.Diagnostics.Where(d => d.IsError).Select(d => d.Text).ToList();
        if (errors.Count > 0)
            throw new ImportException($"the kernel headers for the shim's structures do not parse: {errors[0]}");

        var records = new Dictionary<string, Cursor>(StringComparer.Ordinal);
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in unit.Cursor.Children())
        {
            if (c.Kind is CursorKind.StructDecl or CursorKind.UnionDecl && c.IsDefinition && c.Spelling.Length > 0)
                records.TryAdd(c.Spelling, c);
            if (c.Kind == CursorKind.EnumDecl && c.Spelling == "linuxshim_constants")
                foreach (var e in c.Children().Where(e => e.Kind == CursorKind.EnumConstantDecl))
                    values[e.Spelling] = e.EnumValue;
        }

        var layout = new LayoutFile();
        for (int i = 0; i < constants.Count; i++)
            layout.Constants[constants[i].Expression] = values.TryGetValue($"linuxshim_constant_{i}", out long v)
                ? v : throw new ImportException($"{constants[i].Expression} has no value in <{constants[i].Header}> of this kernel tree");
        // The glue's asserts need both: the structs' headers and those of the constants read from the headers.
        layout.Headers.UnionWith(requests.Select(r => r.Header).Concat(constants.Select(c => c.Header)));
        foreach (var request in requests)
        {
            if (!records.TryGetValue(request.Struct, out var record))
                throw new ImportException($"struct {request.Struct} is not defined by <{request.Header}> in this kernel tree");
            if (!layout.Structs.TryGetValue(request.Struct, out var s))
                layout.Structs[request.Struct] = s = new LaidOutStruct { Size = record.TypeSize ?? throw new ImportException($"struct {request.Struct} has no size") };
            if (request.Field is { } path)
                s.Fields[path] = ResolveField(record, request.Struct, path);
        }
        return layout;
    }

    private static LaidOutField ResolveField(Cursor record, string structName, string path)
    {
        long offset = 0;
        Cursor current = record;
        Cursor field = default;
        var parts = path.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            long? here = current.FieldOffsetBits(parts[i]);
            var found = FindField(current, parts[i]);
            if (here is null || found is null)
                throw new ImportException($"struct {structName} has no field {path} in this kernel tree (no '{parts[i]}')");
            offset += here.Value;
            field = found.Value;
            if (i + 1 < parts.Length)
            {
                var declaration = field.TypeDeclaration;
                current = declaration.Definition is { IsNull: false } definition ? definition : declaration;
            }
        }
        return new LaidOutField(offset, field.TypeSize ?? 0, field.BitFieldWidth ?? 0);
    }

    private static Cursor? FindField(Cursor record, string name)
    {
        foreach (var c in record.Children())
        {
            if (c.Kind == CursorKind.FieldDecl && c.Spelling == name)
                return c;
            if (c.Kind is CursorKind.StructDecl or CursorKind.UnionDecl && c.IsAnonymousRecord && FindField(c, name) is { } inner)
                return inner;
        }
        return null;
    }

    /// <summary>C static asserts that make gcc check every value libclang read (compiled into the glue).</summary>
    public static IEnumerable<string> StaticAsserts(LayoutFile layout)
    {
        foreach (var (expression, value) in layout.Constants)
            yield return $"_Static_assert(({expression}) == {value}, \"{expression}: value differs between libclang and gcc\");";
        foreach (var (name, s) in layout.Structs)
        {
            yield return $"_Static_assert(sizeof(struct {name}) == {s.Size}, \"struct {name}: size differs between libclang and gcc\");";
            foreach (var (path, f) in s.Fields)
            {
                if (f.BitWidth != 0)
                    continue; // offsetof cannot name a bit-field; its storage unit is checked through its neighbours
                yield return $"_Static_assert(offsetof(struct {name}, {path}) == {f.OffsetBits / 8} && sizeof(((struct {name} *)0)->{path}) == {f.Size}, \"struct {name}.{path}: layout differs between libclang and gcc\");";
            }
        }
    }
}
