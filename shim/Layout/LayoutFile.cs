// SPDX-License-Identifier: MIT
// Managed side, shared by writer and reader. The layout file a port build writes next to the driver .so
// (MODULE.layout.json): the struct sizes, field offsets and sizes and the constants the shim uses, as libclang
// read them from the configured headers (linux-import/Port/LayoutProbe.cs). The host loads it into the
// declared fields (KernelLayout.Load), which check each field's size against the width they are read with.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LinuxShim.Shim.Layout;

/// <summary>A field: its offset in bits (a bit-field's need not be a whole byte), size in bytes, and bit-field width (0 for none).</summary>
public sealed record LaidOutField(
    [property: JsonPropertyName("offset_bits")] long OffsetBits,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("bit_width")] int BitWidth);

/// <summary>A struct: its size, and the fields the shim uses by dotted path ("dev.driver_data").</summary>
public sealed class LaidOutStruct
{
    [JsonPropertyName("size")]
    public required long Size { get; init; }

    [JsonPropertyName("fields")]
    public SortedDictionary<string, LaidOutField> Fields { get; init; } = new(StringComparer.Ordinal);
}

public sealed class LayoutFile
{
    /// <summary>Headers that define the structs and constants (for code that must see them, like the glue's asserts).</summary>
    [JsonPropertyName("headers")]
    public SortedSet<string> Headers { get; init; } = new(StringComparer.Ordinal);

    [JsonPropertyName("structs")]
    public SortedDictionary<string, LaidOutStruct> Structs { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The values of the constants read from the headers, by expression.</summary>
    [JsonPropertyName("constants")]
    public SortedDictionary<string, long> Constants { get; init; } = new(StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, LayoutFileJson.Default.LayoutFile);

    public static LayoutFile Parse(string json, string file)
    {
        var read = JsonSerializer.Deserialize(json, LayoutFileJson.Default.LayoutFile) ?? throw new InvalidDataException($"{file} is no layout file");
        // The serialiser's sorted collections order by the culture: back to ordinal order, so a file reads back as written.
        return new LayoutFile
        {
            Headers = new(read.Headers, StringComparer.Ordinal),
            Structs = new(read.Structs.ToDictionary(s => s.Key, s => new LaidOutStruct { Size = s.Value.Size, Fields = new(s.Value.Fields, StringComparer.Ordinal) }),
                StringComparer.Ordinal),
            Constants = new(read.Constants, StringComparer.Ordinal),
        };
    }

    public static LayoutFile Read(string file)
    {
        try
        {
            return Parse(File.ReadAllText(file), file);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file} is no layout file ({e.Message}): rebuild the port with this shim", e);
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(LayoutFile))]
internal sealed partial class LayoutFileJson : JsonSerializerContext;
