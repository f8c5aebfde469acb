// SPDX-License-Identifier: MIT
// Managed side. Registry of the struct fields, sizes and constants the shim reads, and of the constants
// it assumes (checked by static asserts in the generated glue); loaded from the layout file a port
// build writes next to the driver .so (LayoutFile), checking each typed field's size as it is loaded.
using System.Runtime.CompilerServices;

namespace LinuxShim.Shim.Layout;

public static class KernelLayout
{
    private static readonly List<StructField> Fields = [];
    private static readonly List<StructSize> Sizes = [];
    private static readonly List<(string Expression, long Value, string Header)> Constants = [];
    private static readonly List<KernelConstant> ReadConstants = [];
    private static readonly object Gate = new();

    /// <summary>A field read and written as a <typeparamref name="T"/> (Access.U32 and the like); its size is checked when loaded.</summary>
    public static StructField<T> Field<T>(string header, string structName, string path) where T : unmanaged =>
        Register(new StructField<T>(header, structName, path));

    /// <summary>A field only addressed (Access.At, the bitmap operations): an embedded struct, an array, a bitmap.</summary>
    public static StructField Field(string header, string structName, string path) => Register(new StructField(header, structName, path));

    /// <summary>A bit-field (Access.Bits).</summary>
    public static BitField BitField(string header, string structName, string path) => Register(new BitField(header, structName, path));

    /// <summary>The low <paramref name="bits"/> bits (Access.Bits) of a field that is a bit-field of that width or a wider integer, as kernels differ.</summary>
    public static BitField LowBits(string header, string structName, string path, int bits) => Register(new BitField(header, structName, path, bits));

    private static TField Register<TField>(TField f) where TField : StructField
    {
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

    /// <summary>Resolves every registered field from a port's layout file (written by the port build), checking
    /// each typed field's size against the width it is declared with.</summary>
    public static void Load(string file)
    {
        RegisterAll();
        var layout = LayoutFile.Read(file);
        var missing = new List<string>();
        var mismatched = new List<string>();
        lock (Gate)
        {
            foreach (var s in Sizes)
            {
                if (layout.Structs.TryGetValue(s.Struct, out var st))
                    s.Resolve(st.Size);
                else
                    missing.Add(s.ToString());
            }
            foreach (var c in ReadConstants)
            {
                if (layout.Constants.TryGetValue(c.Expression, out long v))
                    c.Resolve(v);
                else
                    missing.Add(c.ToString());
            }
            foreach (var f in Fields)
            {
                if (!layout.Structs.TryGetValue(f.Struct, out var st) || !st.Fields.TryGetValue(f.Path, out var fl))
                    missing.Add(f.ToString());
                else if (f.Mismatch(fl) is { } why)
                    mismatched.Add(why);
                else if (f.Accessed(fl) is var a)
                    f.Resolve(a.OffsetBits, a.Size, a.BitWidth);
            }
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"{file} lacks {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}: rebuild the port with this shim");
        if (mismatched.Count > 0)
            throw new InvalidDataException($"{file}: the shim declares {mismatched.Count} field(s) with a width this kernel does not give them:\n"
                                           + string.Join("\n", mismatched));
    }
}
