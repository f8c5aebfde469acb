// SPDX-License-Identifier: MIT
// Generator side (runs inside the compiler). The protocol schema as a model: enums, messages, fields
// with their constraints, and per-discriminator cases. Loading checks the schema itself strictly (an
// unknown key, an unbounded string or list, a case naming no field: each is an error naming where),
// so a field cannot reach the generated parser unchecked by accident.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace LinuxShim.ProtocolGenerator;

internal sealed class ProtocolSchema
{
    public string Namespace { get; set; } = "";
    public int MaxDepth { get; set; }
    public List<EnumDef> Enums { get; } = [];
    public List<MessageDef> Messages { get; } = [];
}

internal sealed class EnumDef
{
    public string Name { get; set; } = "";
    public string Namespace { get; set; } = "";
    public string Doc { get; set; } = "";
    public List<KeyValuePair<string, string>> Values { get; } = [];
}

internal sealed class MessageDef
{
    public string Name { get; set; } = "";
    public string Namespace { get; set; } = "";
    public string Doc { get; set; } = "";
    public List<FieldDef> Fields { get; } = [];
    public int Descriptors { get; set; }
    public FieldDef? CasesOn { get; set; }
    public List<CaseDef> Cases { get; } = [];
}

internal sealed class CaseDef
{
    public string Value { get; set; } = "";
    public List<FieldDef> Required { get; } = [];
    public List<FieldDef> Optional { get; } = [];
    public int Descriptors { get; set; }
}

/// <summary>A value's type and constraints: a field's, a list item's, a map key's or value's.</summary>
internal class ValueDef
{
    /// <summary>string, int, long, ulong, double, bool, list, map, or a message's name.</summary>
    public string Type { get; set; } = "";
    public MessageDef? Message { get; set; }
    public EnumDef? Enum { get; set; }
    public List<string> OneOf { get; } = [];
    public int MinBytes { get; set; }
    public int MaxBytes { get; set; }
    public string Chars { get; set; } = "any";
    public string Format { get; set; } = "none";
    public JsonNumber? Min { get; set; }
    public JsonNumber? Max { get; set; }
    public int MinItems { get; set; }
    public int MaxItems { get; set; }
    public ValueDef? Items { get; set; }
    public ValueDef? Keys { get; set; }
    public ValueDef? Values { get; set; }

    public bool IsScalar => Type is "string" or "int" or "long" or "ulong" or "double" or "bool";
    public bool IsValueType => Type is "int" or "long" or "ulong" or "double" or "bool";

    /// <summary>The allowed string values (a named enum's or an inline list), empty when any.</summary>
    public IEnumerable<string> AllowedValues => Enum is not null ? Enum.Values.Select(v => v.Value) : OneOf;
}

internal sealed class FieldDef : ValueDef
{
    /// <summary>The JSON name (snake_case); the C# property is its PascalCase.</summary>
    public string Name { get; set; } = "";
    public string Property { get; set; } = "";
    public bool Optional { get; set; }
    public string? Default { get; set; }
    public string Doc { get; set; } = "";
    public int Index { get; set; }
}

internal static class SchemaLoader
{
    private static readonly string[] Charsets = ["any", "printable", "text", "ascii", "ifname"];
    private static readonly string[] Formats = ["none", "mac", "unicast_mac", "parameter"];

    public static ProtocolSchema Load(string text)
    {
        var root = SchemaJson.Parse(text) as JsonObject ?? throw new SchemaJsonException("the schema is not a JSON object");
        Keys(root, "schema", "$comment", "namespace", "max_depth", "enums", "messages");
        var schema = new ProtocolSchema
        {
            Namespace = Str(root, "namespace", "schema"),
            MaxDepth = (int)Int(root, "max_depth", "schema", 2, 64),
        };
        foreach (var e in List(root, "enums", "schema"))
        {
            var o = Obj(e, "an enum");
            Keys(o, "enum", "name", "namespace", "doc", "values");
            var def = new EnumDef { Name = Ident(o, "name", "enum") };
            string where = $"enum {def.Name}";
            def.Namespace = OptStr(o, "namespace", where) ?? schema.Namespace;
            def.Doc = OptStr(o, "doc", where) ?? "";
            var values = Obj(Need(o, "values", where), where + ".values");
            foreach (var m in values.Members)
            {
                if (!IsIdentifier(m.Key))
                    throw new SchemaJsonException($"{where}.values: '{m.Key}' is not a C# identifier");
                def.Values.Add(new KeyValuePair<string, string>(m.Key, m.Value as string ?? throw new SchemaJsonException($"{where}.values.{m.Key}: not a string")));
            }
            if (def.Values.Count == 0)
                throw new SchemaJsonException($"{where}: no values");
            schema.Enums.Add(def);
        }
        var bodies = new List<(MessageDef Def, JsonObject Json)>();
        foreach (var m in List(root, "messages", "schema"))
        {
            var o = Obj(m, "a message");
            Keys(o, "message", "name", "namespace", "doc", "fields", "descriptors", "cases");
            var def = new MessageDef { Name = Ident(o, "name", "message") };
            string where = $"message {def.Name}";
            def.Namespace = OptStr(o, "namespace", where) ?? schema.Namespace;
            def.Doc = OptStr(o, "doc", where) ?? "";
            def.Descriptors = o.TryGet("descriptors", out _) ? (int)Int(o, "descriptors", where, 0, 16) : 0;
            if (schema.Messages.Any(x => x.Name == def.Name))
                throw new SchemaJsonException($"{where}: declared twice");
            schema.Messages.Add(def);
            bodies.Add((def, o));
        }
        foreach (var (def, o) in bodies)
            LoadBody(schema, def, o);
        return schema;
    }

    private static void LoadBody(ProtocolSchema schema, MessageDef def, JsonObject o)
    {
        string where = $"message {def.Name}";
        foreach (var f in List(o, "fields", where))
        {
            var fo = Obj(f, where + ": a field");
            var field = new FieldDef { Name = Str(fo, "name", where + ": a field") };
            string fw = $"{def.Name}.{field.Name}";
            if (!IsSnake(field.Name))
                throw new SchemaJsonException($"{fw}: a field name is snake_case ASCII");
            field.Property = Pascal(field.Name);
            field.Optional = fo.TryGet("optional", out var opt) && (opt as bool? ?? throw new SchemaJsonException($"{fw}.optional: not a boolean"));
            field.Default = OptStr(fo, "default", fw);
            field.Doc = OptStr(fo, "doc", fw) ?? "";
            field.Index = def.Fields.Count;
            LoadValue(schema, field, fo, fw, ["name", "optional", "default", "doc"]);
            if (field.Default is not null && field.Type != "string")
                throw new SchemaJsonException($"{fw}: only strings take a default (lists and maps start empty)");
            if (def.Fields.Any(x => x.Name == field.Name))
                throw new SchemaJsonException($"{fw}: declared twice");
            def.Fields.Add(field);
        }
        if (def.Fields.Count is 0 or > 64)
            throw new SchemaJsonException($"{where}: 1 to 64 fields");
        if (!o.TryGet("cases", out var cases))
            return;
        var co = Obj(cases, where + ".cases");
        Keys(co, where + ".cases", "on", "of");
        string on = Str(co, "on", where + ".cases");
        def.CasesOn = def.Fields.FirstOrDefault(x => x.Name == on) ?? throw new SchemaJsonException($"{where}.cases.on: no field '{on}'");
        if (def.CasesOn.Optional || !(def.CasesOn.Type == "bool" || def.CasesOn.AllowedValues.Any()))
            throw new SchemaJsonException($"{where}.cases.on: '{on}' must be a required enum or bool field");
        foreach (var c in Obj(Need(co, "of", where + ".cases"), where + ".cases.of").Members)
        {
            string cw = $"{where}.cases.{c.Key}";
            var body = Obj(c.Value, cw);
            Keys(body, cw, "required", "optional", "descriptors", "doc");
            var def2 = new CaseDef { Value = c.Key, Descriptors = body.TryGet("descriptors", out _) ? (int)Int(body, "descriptors", cw, 0, 16) : 0 };
            foreach (var (key, into) in new[] { ("required", def2.Required), ("optional", def2.Optional) })
            {
                if (!body.TryGet(key, out _))
                    continue;
                foreach (var n in List(body, key, cw))
                {
                    var field = def.Fields.FirstOrDefault(x => x.Name == (n as string)) ?? throw new SchemaJsonException($"{cw}.{key}: no field '{n}'");
                    if (!field.Optional)
                        throw new SchemaJsonException($"{cw}.{key}: '{field.Name}' is always required; cases govern optional fields only");
                    into.Add(field);
                }
            }
            def.Cases.Add(def2);
        }
        var expected = def.CasesOn.Type == "bool" ? ["true", "false"] : def.CasesOn.AllowedValues.ToList();
        var given = def.Cases.Select(x => x.Value).ToList();
        if (!new HashSet<string>(expected).SetEquals(given))
            throw new SchemaJsonException($"{where}.cases: one case per value of '{on}' ({string.Join(", ", expected)}), got {string.Join(", ", given)}");
    }

    private static void LoadValue(ProtocolSchema schema, ValueDef v, JsonObject o, string where, string[] extra)
    {
        string[] common = ["type"];
        v.Type = Str(o, "type", where);
        string[] allowed;
        switch (v.Type)
        {
            case "string":
                allowed = ["enum", "one_of", "min_bytes", "max_bytes", "chars", "format"];
                break;
            case "int" or "long" or "ulong" or "double":
                allowed = ["min", "max"];
                break;
            case "bool":
                allowed = [];
                break;
            case "list":
                allowed = ["items", "min_items", "max_items"];
                break;
            case "map":
                allowed = ["keys", "values", "max_items"];
                break;
            default:
                v.Message = schema.Messages.FirstOrDefault(m => m.Name == v.Type) ?? throw new SchemaJsonException($"{where}.type: '{v.Type}' is neither a type nor a message");
                allowed = [];
                break;
        }
        Keys(o, where, common.Concat(allowed).Concat(extra).ToArray());
        if (v.Type == "string")
        {
            if (OptStr(o, "enum", where) is { } e)
                v.Enum = schema.Enums.FirstOrDefault(x => x.Name == e) ?? throw new SchemaJsonException($"{where}.enum: no enum '{e}'");
            if (o.TryGet("one_of", out _))
                v.OneOf.AddRange(List(o, "one_of", where).Select(x => x as string ?? throw new SchemaJsonException($"{where}.one_of: not a string")));
            var values = v.AllowedValues.ToList();
            if (values.Count > 0)
            {
                // An enumerated string is bounded by its longest value.
                v.MaxBytes = values.Max(x => Encoding.UTF8.GetByteCount(x));
                v.MinBytes = values.Min(x => Encoding.UTF8.GetByteCount(x));
                v.Chars = "printable";
                if (o.TryGet("max_bytes", out _) || o.TryGet("chars", out _) || o.TryGet("format", out _))
                    throw new SchemaJsonException($"{where}: an enumerated string takes no other constraint");
                return;
            }
            if (!o.TryGet("max_bytes", out _))
                throw new SchemaJsonException($"{where}: every string needs max_bytes");
            v.MaxBytes = (int)Int(o, "max_bytes", where, 1, 1 << 20);
            v.MinBytes = o.TryGet("min_bytes", out _) ? (int)Int(o, "min_bytes", where, 0, v.MaxBytes) : 0;
            v.Chars = OptStr(o, "chars", where) ?? "any";
            if (Array.IndexOf(Charsets, v.Chars) < 0)
                throw new SchemaJsonException($"{where}.chars: '{v.Chars}' is not one of {string.Join(", ", Charsets)}");
            v.Format = OptStr(o, "format", where) ?? "none";
            if (Array.IndexOf(Formats, v.Format) < 0)
                throw new SchemaJsonException($"{where}.format: '{v.Format}' is not one of {string.Join(", ", Formats)}");
        }
        else if (v.Type is "int" or "long" or "ulong" or "double")
        {
            v.Min = OptNum(o, "min", where);
            v.Max = OptNum(o, "max", where);
            foreach (var (n, name) in new[] { (v.Min, "min"), (v.Max, "max") })
            {
                if (n is null)
                    continue;
                bool fits = v.Type switch
                {
                    "int" => n.TryGetLong(out long i) && i >= int.MinValue && i <= int.MaxValue,
                    "long" => n.TryGetLong(out _),
                    "ulong" => n.TryGetULong(out _),
                    _ => true,
                };
                if (!fits)
                    throw new SchemaJsonException($"{where}.{name}: {n.Text} is not a {v.Type}");
            }
        }
        else if (v.Type == "list")
        {
            if (!o.TryGet("max_items", out _))
                throw new SchemaJsonException($"{where}: every list needs max_items");
            v.MaxItems = (int)Int(o, "max_items", where, 1, 1 << 16);
            v.MinItems = o.TryGet("min_items", out _) ? (int)Int(o, "min_items", where, 0, v.MaxItems) : 0;
            v.Items = new ValueDef();
            LoadValue(schema, v.Items, Obj(Need(o, "items", where), where + ".items"), where + ".items", []);
            if (v.Items.Type is "list" or "map")
                throw new SchemaJsonException($"{where}.items: a list holds scalars or messages");
        }
        else if (v.Type == "map")
        {
            if (!o.TryGet("max_items", out _))
                throw new SchemaJsonException($"{where}: every map needs max_items");
            v.MaxItems = (int)Int(o, "max_items", where, 1, 1 << 16);
            v.Keys = new ValueDef();
            LoadValue(schema, v.Keys, Obj(Need(o, "keys", where), where + ".keys"), where + ".keys", []);
            if (v.Keys.Type != "string")
                throw new SchemaJsonException($"{where}.keys: map keys are strings");
            v.Values = new ValueDef();
            LoadValue(schema, v.Values, Obj(Need(o, "values", where), where + ".values"), where + ".values", []);
            if (!v.Values.IsScalar)
                throw new SchemaJsonException($"{where}.values: a map holds scalars");
        }
    }

    public static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

    private static bool IsSnake(string s) => s.Length > 0 && s.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') && s[0] >= 'a';

    private static bool IsIdentifier(string s) => s.Length > 0 && (char.IsLetter(s[0]) || s[0] == '_') && s.All(c => char.IsLetterOrDigit(c) || c == '_');

    private static void Keys(JsonObject o, string where, params string[] allowed)
    {
        foreach (var m in o.Members)
        {
            if (Array.IndexOf(allowed, m.Key) < 0)
                throw new SchemaJsonException($"{where}: unknown key '{m.Key}' (allowed: {string.Join(", ", allowed)})");
        }
    }

    private static object? Need(JsonObject o, string key, string where) =>
        o.TryGet(key, out var v) ? v : throw new SchemaJsonException($"{where}: '{key}' is missing");

    private static JsonObject Obj(object? v, string where) => v as JsonObject ?? throw new SchemaJsonException($"{where}: not an object");

    private static List<object?> List(JsonObject o, string key, string where) =>
        Need(o, key, where) as List<object?> ?? throw new SchemaJsonException($"{where}.{key}: not a list");

    private static string Str(JsonObject o, string key, string where) =>
        Need(o, key, where) as string ?? throw new SchemaJsonException($"{where}.{key}: not a string");

    private static string? OptStr(JsonObject o, string key, string where) =>
        o.TryGet(key, out var v) ? v as string ?? throw new SchemaJsonException($"{where}.{key}: not a string") : null;

    private static JsonNumber? OptNum(JsonObject o, string key, string where) =>
        o.TryGet(key, out var v) ? v as JsonNumber ?? throw new SchemaJsonException($"{where}.{key}: not a number") : null;

    private static string Ident(JsonObject o, string key, string where)
    {
        string s = Str(o, key, where);
        return IsIdentifier(s) ? s : throw new SchemaJsonException($"{where}.{key}: '{s}' is not a C# identifier");
    }

    private static long Int(JsonObject o, string key, string where, long min, long max)
    {
        var n = Need(o, key, where) as JsonNumber;
        if (n is null || !n.TryGetLong(out long v) || v < min || v > max)
            throw new SchemaJsonException($"{where}.{key}: an integer in {min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}");
        return v;
    }
}
