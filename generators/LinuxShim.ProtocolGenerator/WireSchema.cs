// SPDX-License-Identifier: MIT
// Generator side (runs inside the compiler). A binary protocol described as little-endian structs
// (*.wire.json): fixed fields with their constraints, an optional variable tail, the descriptors
// that may travel with the struct. Loading checks the description strictly (unknown keys, a tail
// bound to no field, an unbounded tail: each an error naming where).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LinuxShim.ProtocolGenerator;

internal sealed class WireSchema
{
    public string Namespace { get; set; } = "";
    public List<WireStruct> Structs { get; } = [];
}

internal sealed class WireStruct
{
    public string Name { get; set; } = "";
    public string Display { get; set; } = "";
    public string Doc { get; set; } = "";
    public List<WireField> Fields { get; } = [];

    /// <summary>null: no tail, the payload is exactly the fixed part.</summary>
    public WireTail? Tail { get; set; }

    /// <summary>Descriptor bounds; null: the struct does not travel with descriptors (no count checked).</summary>
    public (int Min, int Max)? Fds { get; set; }

    public int FixedSize => Fields.Sum(f => f.Width);
}

internal sealed class WireField
{
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string Doc { get; set; } = "";
    public ulong? Min { get; set; }
    public ulong? Max { get; set; }
    public ulong? Mask { get; set; }
    public List<ulong> OneOf { get; } = [];

    /// <summary>none, exact (the payload's length) or at_least (the fixed part's size).</summary>
    public string Argsz { get; set; } = "none";

    public int Width => Type switch { "u8" => 1, "u16" => 2, "u32" => 4, _ => 8 };

    public string CSharpType => Type switch { "u8" => "byte", "u16" => "ushort", "u32" => "uint", _ => "ulong" };

    public string Property => Pascal(Name);

    public static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));
}

internal sealed class WireTail
{
    public string Name { get; set; } = "";
    public string Doc { get; set; } = "";

    /// <summary>"rest" (everything after the fixed part, at most Max bytes) or a field's name (exactly that many).</summary>
    public string Length { get; set; } = "rest";

    public long Max { get; set; }
}

internal static class WireSchemaLoader
{
    private static readonly string[] Types = ["u8", "u16", "u32", "u64"];

    public static WireSchema Load(string text)
    {
        var root = SchemaJson.Parse(text) as JsonObject ?? throw new SchemaJsonException("the schema is not a JSON object");
        Keys(root, "schema", "$comment", "namespace", "structs");
        var schema = new WireSchema { Namespace = Str(root, "namespace", "schema") };
        var names = new HashSet<string>();
        foreach (var item in List(root, "structs", "schema"))
        {
            var o = item as JsonObject ?? throw new SchemaJsonException("structs: an entry is not an object");
            string name = Str(o, "name", "structs[]");
            string where = $"struct {name}";
            if (!names.Add(name))
                throw new SchemaJsonException($"{where}: defined twice");
            Keys(o, where, "name", "display", "doc", "fields", "tail", "fds");
            var s = new WireStruct { Name = name, Display = OptStr(o, "display") ?? name, Doc = OptStr(o, "doc") ?? "" };
            foreach (var fi in List(o, "fields", where))
                s.Fields.Add(Field(fi as JsonObject ?? throw new SchemaJsonException($"{where}: a field is not an object"), where));
            if (s.Fields.Select(f => f.Name).Distinct().Count() != s.Fields.Count)
                throw new SchemaJsonException($"{where}: a field name is used twice");
            if (o.TryGet("tail", out var t))
            {
                var to = t as JsonObject ?? throw new SchemaJsonException($"{where}.tail: not an object");
                Keys(to, $"{where}.tail", "name", "doc", "length", "max");
                var tail = new WireTail
                {
                    Name = Str(to, "name", $"{where}.tail"),
                    Doc = OptStr(to, "doc") ?? "",
                    Length = OptStr(to, "length") ?? "rest",
                    Max = (long)Num(to, "max", $"{where}.tail"),
                };
                if (tail.Length != "rest" && s.Fields.All(f => f.Name != tail.Length))
                    throw new SchemaJsonException($"{where}.tail: length names no field ({tail.Length})");
                if (tail.Max <= 0 || tail.Max > int.MaxValue)
                    throw new SchemaJsonException($"{where}.tail: max must be 1..{int.MaxValue}");
                s.Tail = tail;
            }
            if (o.TryGet("fds", out var fd))
            {
                var fo = fd as JsonObject ?? throw new SchemaJsonException($"{where}.fds: not an object");
                Keys(fo, $"{where}.fds", "min", "max");
                int min = fo.TryGet("min", out _) ? (int)Num(fo, "min", $"{where}.fds") : 0;
                int max = (int)Num(fo, "max", $"{where}.fds");
                if (min > max || max > 253)
                    throw new SchemaJsonException($"{where}.fds: bounds must satisfy 0 <= min <= max <= 253");
                s.Fds = (min, max);
            }
            schema.Structs.Add(s);
        }
        return schema;
    }

    private static WireField Field(JsonObject o, string where)
    {
        string name = Str(o, "name", $"{where}.fields[]");
        where = $"{where}.{name}";
        Keys(o, where, "name", "type", "doc", "min", "max", "mask", "one_of", "argsz");
        var f = new WireField { Name = name, Type = Str(o, "type", where), Doc = OptStr(o, "doc") ?? "" };
        if (!Types.Contains(f.Type))
            throw new SchemaJsonException($"{where}: type must be one of {string.Join(", ", Types)}");
        ulong limit = f.Width == 8 ? ulong.MaxValue : (1UL << (8 * f.Width)) - 1;
        if (o.TryGet("min", out _))
            f.Min = Num(o, "min", where);
        if (o.TryGet("max", out _))
            f.Max = Num(o, "max", where);
        if (o.TryGet("mask", out _))
            f.Mask = Num(o, "mask", where);
        if (o.TryGet("one_of", out var one))
        {
            foreach (var v in one as List<object?> ?? throw new SchemaJsonException($"{where}.one_of: not a list"))
                f.OneOf.Add(Parse(v, $"{where}.one_of"));
        }
        f.Argsz = OptStr(o, "argsz") ?? "none";
        if (f.Argsz is not ("none" or "exact" or "at_least"))
            throw new SchemaJsonException($"{where}.argsz: none, exact or at_least");
        if (f.Argsz != "none" && f.Type != "u32")
            throw new SchemaJsonException($"{where}: an argsz field is a u32");
        foreach (var v in new[] { f.Min, f.Max, f.Mask }.Where(x => x.HasValue).Select(x => x!.Value).Concat(f.OneOf))
        {
            if (v > limit)
                throw new SchemaJsonException($"{where}: {v} does not fit a {f.Type}");
        }
        return f;
    }

    private static ulong Num(JsonObject o, string key, string where)
    {
        if (!o.TryGet(key, out var v))
            throw new SchemaJsonException($"{where}: {key} is required");
        return Parse(v, $"{where}.{key}");
    }

    // A number, or a string holding one in hex ("0x3f"): masks read better in hex.
    private static ulong Parse(object? v, string where)
    {
        if (v is JsonNumber n && n.TryGetULong(out ulong u))
            return u;
        if (v is string s && s.StartsWith("0x", StringComparison.Ordinal)
            && ulong.TryParse(s.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out u))
            return u;
        throw new SchemaJsonException($"{where}: not an unsigned number (decimal, or a \"0x\" string)");
    }

    private static void Keys(JsonObject o, string where, params string[] allowed)
    {
        foreach (var m in o.Members)
        {
            if (!allowed.Contains(m.Key))
                throw new SchemaJsonException($"{where}: unknown key {m.Key}");
        }
    }

    private static List<object?> List(JsonObject o, string key, string where) =>
        o.TryGet(key, out var v) && v is List<object?> l ? l : throw new SchemaJsonException($"{where}: {key} must be a list");

    private static string Str(JsonObject o, string key, string where) =>
        o.TryGet(key, out var v) && v is string s && s.Length > 0 ? s : throw new SchemaJsonException($"{where}: {key} must be a non-empty string");

    private static string? OptStr(JsonObject o, string key) =>
        o.TryGet(key, out var v) ? v as string ?? throw new SchemaJsonException($"{key}: not a string") : null;
}
