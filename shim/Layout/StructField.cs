// SPDX-License-Identifier: MIT
// Managed side. A field of a kernel structure the shim reads or writes. Its offset is not known when
// the shim is compiled: the port build reads it from the configured headers with libclang, gcc
// checks it with a static assert, and the host loads it (KernelLayout.Load) before any driver runs.
namespace LinuxShim.Shim.Layout;

public sealed class StructField
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

    internal void Resolve(long offsetBits, long size, int bitWidth)
    {
        _offset = (int)(offsetBits / 8);
        _bitOffset = (int)(offsetBits % 8);
        _size = (int)size;
        _bitWidth = bitWidth;
    }

    public override string ToString() => $"struct {Struct}.{Path}";
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
