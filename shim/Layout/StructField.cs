// SPDX-License-Identifier: MIT
// Managed side. A field of a kernel structure the shim reads or writes. Its offset is not known when
// the shim is compiled: the port build reads it from the configured headers with libclang, gcc
// checks it with a static assert, and the host loads it (KernelLayout.Load) before any driver runs.
// A field read as a value is declared with its C# type (StructField<uint>), which the accessors
// (Access.U32…) require and the load checks against the field's size in this kernel, once; a bit-field
// is a BitField; a plain StructField (an embedded struct, an array, a bitmap) is only ever addressed.
namespace LinuxShim.Shim.Layout;

public class StructField
{
    internal StructField(string header, string structName, string path)
    {
        Header = header;
        Struct = structName;
        Path = path;
    }

    public string Header { get; }
    public string Struct { get; }

    /// <summary>Field name, dotted through embedded structs (e.g. "dev.driver_data").</summary>
    public string Path { get; }

    private int _offset = -1;
    private int _size;
    private int _bitOffset, _bitWidth;

    /// <summary>Byte offset in the struct (for a bit-field, of the byte holding its first bit).</summary>
    public int Offset => _offset >= 0 ? _offset : throw new InvalidOperationException($"layout of struct {Struct}.{Path} not loaded");

    /// <summary>Size in bytes (for an array: the whole array).</summary>
    public int Size => _size;

    /// <summary>For a bit-field: bit position within the byte at <see cref="Offset"/>, and width; else 0, 0.</summary>
    public int BitOffset => _bitOffset;
    public int BitWidth => _bitWidth;

    /// <summary>Why the field as this kernel lays it out cannot be accessed as declared, or null.</summary>
    internal virtual string? Mismatch(LaidOutField field) => null;

    /// <summary>The layout this declaration accesses of the kernel's field (the same, but for <see cref="BitField"/>'s low bits of an integer).</summary>
    internal virtual LaidOutField Accessed(LaidOutField field) => field;

    internal void Resolve(long offsetBits, long size, int bitWidth)
    {
        _offset = (int)(offsetBits / 8);
        _bitOffset = (int)(offsetBits % 8);
        _size = (int)size;
        _bitWidth = bitWidth;
    }

    public override string ToString() => $"struct {Struct}.{Path}";
}

/// <summary>A field read and written as a <typeparamref name="T"/>: loading checks that it is no bit-field and has T's size.</summary>
public sealed class StructField<T> : StructField where T : unmanaged
{
    internal StructField(string header, string structName, string path) : base(header, structName, path)
    {
    }

    internal override unsafe string? Mismatch(LaidOutField field) =>
        field.BitWidth != 0 ? $"{this} is a {field.BitWidth}-bit bit-field, but the shim reads it as {typeof(T).Name} ({sizeof(T)} bytes)"
        : field.Size != sizeof(T) ? $"{this} is {field.Size} bytes in this kernel, but the shim reads it as {typeof(T).Name} ({sizeof(T)} bytes)"
        : null;
}

/// <summary>
/// A bit-field (Access.Bits): loading checks that it is one. Declared with <see cref="LowBits"/>, the low LowBits bits
/// of a field that is a bit-field of that width in one kernel and a wider integer in another (net_device.priv_flags:
/// unsigned long long in 6.1, unsigned long priv_flags:32 in 6.12).
/// </summary>
public sealed class BitField : StructField
{
    internal BitField(string header, string structName, string path, int? lowBits = null) : base(header, structName, path) => LowBits = lowBits;

    public int? LowBits { get; }

    internal override string? Mismatch(LaidOutField field) => LowBits switch
    {
        null when field.BitWidth == 0 => $"{this} is no bit-field in this kernel ({field.Size} bytes), but the shim reads it as one",
        { } n when field.BitWidth != 0 && field.BitWidth != n => $"{this} is a {field.BitWidth}-bit bit-field in this kernel, but the shim reads its low {n} bits",
        { } n when field.BitWidth == 0 && field.Size * 8 < n => $"{this} is {field.Size} bytes in this kernel, but the shim reads its low {n} bits",
        _ => null,
    };

    internal override LaidOutField Accessed(LaidOutField field) =>
        LowBits is { } n && field.BitWidth == 0 ? field with { BitWidth = n } : field;
}

/// <summary>The size of a kernel structure, as the configured headers define it.</summary>
public sealed class StructSize
{
    internal StructSize(string header, string structName)
    {
        Header = header;
        Struct = structName;
    }

    public string Header { get; }
    public string Struct { get; }
    private int _size = -1;

    public int Size => _size >= 0 ? _size : throw new InvalidOperationException($"layout of struct {Struct} not loaded");

    internal void Resolve(long size) => _size = (int)size;

    public override string ToString() => $"sizeof(struct {Struct})";
}
