// SPDX-License-Identifier: MIT
// Managed side. Registry of the struct fields, sizes and constants the shim reads, and of the constants
// it assumes (checked by static asserts in the generated glue); loaded from the layout file a port
// build writes next to the driver .so.
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace LinuxShim.Shim.Layout;

public static class KernelLayout
{
    private static readonly List<StructField> Fields = [];
    private static readonly List<StructSize> Sizes = [];
    private static readonly List<(string Expression, long Value, string Header)> Constants = [];
    private static readonly List<KernelConstant> ReadConstants = [];
    private static readonly object Gate = new();

    public static StructField Field(string header, string structName, string path)
    {
        var f = new StructField(header, structName, path);
        lock (Gate)
            Fields.Add(f);
        return f;
    }

    public static StructSize SizeOf(string header, string structName)
    {
        var s = new StructSize(header, structName);
        lock (Gate)
            Sizes.Add(s);
        return s;
    }

    /// <summary>A value the managed code relies on (an enum constant or macro); the glue asserts it.</summary>
    public static long Constant(string header, string expression, long value)
    {
        lock (Gate)
            Constants.Add((expression, value, header));
        return value;
    }

    /// <summary>A value that differs between kernels (an enum constant or macro): read from the configured headers
    /// at port build, like a field's offset, and loaded with the layout.</summary>
    public static KernelConstant ConstantOf(string header, string expression)
    {
        var c = new KernelConstant(header, expression);
        lock (Gate)
            ReadConstants.Add(c);
        return c;
    }

    /// <summary>(expression, header) of every constant read from the headers.</summary>
    public static IReadOnlyList<(string Expression, string Header)> ConstantRequests()
    {
        RegisterAll();
        lock (Gate)
            return [.. ReadConstants.Select(c => (c.Expression, c.Header))];
    }

    /// <summary>Runs the static initialisers of every layout class, so all registrations exist.</summary>
    public static void RegisterAll()
    {
        foreach (var type in typeof(KernelLayout).Assembly.GetTypes())
            if (type.Namespace == typeof(KernelLayout).Namespace && type.IsAbstract && type.IsSealed && type != typeof(KernelLayout))
                RuntimeHelpers.RunClassConstructor(type.TypeHandle);
    }

    /// <summary>(struct, field or null for the size, header) of everything registered.</summary>
    public static IReadOnlyList<(string Struct, string? Field, string Header)> Requests()
    {
        RegisterAll();
        lock (Gate)
            return [.. Sizes.Select(s => (s.Struct, (string?)null, s.Header)), .. Fields.Select(f => (f.Struct, (string?)f.Path, f.Header))];
    }

    public static IReadOnlyList<(string Expression, long Value, string Header)> Assumptions()
    {
        RegisterAll();
        lock (Gate)
            return [.. Constants];
    }

    /// <summary>Resolves every registered field from a port's layout file (JSON written by the port build).</summary>
    public static void Load(string file)
    {
        RegisterAll();
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        var structs = doc.RootElement.GetProperty("structs");
        var missing = new List<string>();
        lock (Gate)
        {
            foreach (var s in Sizes)
            {
                if (structs.TryGetProperty(s.Struct, out var st))
                    s.Resolve(st.GetProperty("size").GetInt64());
                else
                    missing.Add(s.ToString());
            }
            var constants = doc.RootElement.TryGetProperty("constants", out var cs) ? cs : default;
            foreach (var c in ReadConstants)
            {
                if (constants.ValueKind == JsonValueKind.Object && constants.TryGetProperty(c.Expression, out var v))
                    c.Resolve(v.GetInt64());
                else
                    missing.Add(c.ToString());
            }
            foreach (var f in Fields)
            {
                if (structs.TryGetProperty(f.Struct, out var st) && st.GetProperty("fields").TryGetProperty(f.Path, out var fl))
                    f.Resolve(fl.GetProperty("offset_bits").GetInt64(), fl.GetProperty("size").GetInt64(), fl.GetProperty("bit_width").GetInt32());
                else
                    missing.Add(f.ToString());
            }
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"{file} lacks {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}: rebuild the port with this shim");
    }
}
