// SPDX-License-Identifier: MIT
// Test helper. Turns a valid control message into a malformed one, each way chosen at random and each
// invalid by construction (so every result must be rejected): random bytes, truncation, a byte no
// UTF-8 JSON can hold, wrong types, numbers out of range, overlong strings, bad characters and formats,
// unknown fields, unknown enum values, deep nesting, duplicates, missing and forbidden fields,
// trailing content, a wrong descriptor count.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LinuxShim.Shim.Tests.Protocol;

/// <summary>A valid message, what it needs and what it must not carry.</summary>
/// <param name="Json">The message (compact JSON).</param>
/// <param name="Descriptors">The descriptors it travels with.</param>
/// <param name="Required">Top-level fields it cannot lose.</param>
/// <param name="Forbidden">Members (JSON text) its case does not allow.</param>
public sealed record ControlSeed(string Json, int Descriptors, string[] Required, string[] Forbidden);

public enum Mutation
{
    RandomBytes, Truncate, BadByte, WrongType, OutOfRange, Overlong, BadCharacters, UnknownField,
    BadEnum, DeepNesting, Duplicate, Missing, Forbidden, Trailing, Descriptors,
}

public sealed class ControlMutator(int seed)
{
    private const string Raw = "@@raw@@";
    private static readonly HashSet<string> Maps = ["statistics", "driver_statistics", "netif", "progress"];
    private static readonly HashSet<string> Enums = ["op", "type", "duplex"];
    private static readonly HashSet<string> IfNames = ["interface", "name", "interfaces[]"];
    private static readonly string[] InterfaceFields =
        ["name", "mac", "mtu", "link", "driver", "version", "firmware", "bus_info", "attached", "statistics", "driver_statistics", "netif"];
    private static readonly string[] LinkFields = ["up", "carrier", "duplex"];
    private static readonly byte[] BadBytes = [0x00, 0x01, 0x1f, 0x80, 0xc0, 0xfe, 0xff];
    private static readonly Mutation[] All = Enum.GetValues<Mutation>();
    private readonly Random random = new(seed);

    public static int KindCount => All.Length;

    /// <summary>One malformed message: its kind, its bytes and the descriptor count it claims.</summary>
    public (Mutation Kind, byte[] Body, int Descriptors) Next(ControlSeed seed, bool nonEmpty = false)
    {
        var kind = All[random.Next(All.Length)];
        var body = Apply(kind, seed, ref kind, out int descriptors);
        if (nonEmpty && body.Length == 0)
            body = [(byte)'{'];
        return (kind, body, descriptors);
    }

    private byte[] Apply(Mutation kind, ControlSeed seed, ref Mutation applied, out int descriptors)
    {
        descriptors = seed.Descriptors;
        byte[] valid = Encoding.UTF8.GetBytes(seed.Json);
        switch (kind)
        {
            case Mutation.RandomBytes:
            {
                var b = new byte[random.Next(1, 200)];
                random.NextBytes(b);
                return b;
            }
            case Mutation.Truncate:
                return valid[..random.Next(0, valid.Length)];
            case Mutation.BadByte:
            {
                var b = (byte[])valid.Clone();
                b[random.Next(b.Length)] = BadBytes[random.Next(BadBytes.Length)];
                return b;
            }
            case Mutation.Trailing:
                return Encoding.UTF8.GetBytes(seed.Json + Pick(" {}", "x", ",", "]", "}", "null", seed.Json, "\"\""));
            case Mutation.Descriptors:
                descriptors = seed.Descriptors + random.Next(1, 8) * (seed.Descriptors > 0 && random.Next(2) == 0 ? -1 : 1);
                if (descriptors < 0)
                    descriptors = seed.Descriptors + 1;
                return valid;
            case Mutation.Duplicate:
            {
                // A top-level member given twice (the writer's output has no whitespace to trip over).
                var root = JsonNode.Parse(seed.Json)!.AsObject();
                var member = root.ElementAt(random.Next(root.Count));
                return Encoding.UTF8.GetBytes(seed.Json[..^1] + $",\"{member.Key}\":{member.Value!.ToJsonString()}}}");
            }
            case Mutation.Forbidden when seed.Forbidden.Length > 0:
                return Encoding.UTF8.GetBytes(seed.Json[..^1] + "," + seed.Forbidden[random.Next(seed.Forbidden.Length)] + "}");
            case Mutation.Missing:
                return Missing(seed);
            default:
                return Structural(kind, seed, ref applied);
        }
    }

    private byte[] Missing(ControlSeed seed)
    {
        var root = JsonNode.Parse(seed.Json)!.AsObject();
        var nested = Places(root).Where(p => p.Field is "interfaces[]" or "link" && p.Value is JsonObject).ToList();
        if (nested.Count > 0 && random.Next(2) == 0)
        {
            var o = nested[random.Next(nested.Count)].Value!.AsObject();
            var names = o.ContainsKey("link") ? InterfaceFields : LinkFields;
            o.Remove(names[random.Next(names.Length)]);
        }
        else
            root.Remove(seed.Required[random.Next(seed.Required.Length)]);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    // Mutations of one value somewhere in the tree; a raw placeholder lets any text (invalid JSON,
    // huge numbers, lone surrogates) stand in for it once the tree is written.
    private byte[] Structural(Mutation kind, ControlSeed seed, ref Mutation applied)
    {
        var root = JsonNode.Parse(seed.Json)!.AsObject();
        var places = Places(root);
        string? raw = null;
        Place? Choose(Func<Place, bool> where)
        {
            var fit = places.Where(where).ToList();
            return fit.Count == 0 ? null : fit[random.Next(fit.Count)];
        }
        switch (kind)
        {
            case Mutation.WrongType:
            {
                var p = Choose(_ => true)!;
                var have = p.Value?.GetValueKind();
                var options = new (JsonValueKind Kind, string Text)[]
                {
                    (JsonValueKind.String, "\"12\""), (JsonValueKind.Number, "12"), (JsonValueKind.True, "true"),
                    (JsonValueKind.False, "false"), (JsonValueKind.Null, "null"), (JsonValueKind.Array, "[]"),
                    (JsonValueKind.Object, "{}"), (JsonValueKind.Array, "[\"eth0\"]"), (JsonValueKind.Number, "-1.5e3"),
                }.Where(o => o.Kind != have && !(have is JsonValueKind.True or JsonValueKind.False && o.Kind is JsonValueKind.True or JsonValueKind.False)).ToList();
                p.Set(JsonValue.Create(Raw));
                raw = options[random.Next(options.Count)].Text;
                break;
            }
            case Mutation.OutOfRange when Choose(p => p.Value?.GetValueKind() == JsonValueKind.Number) is { } p:
                p.Set(JsonValue.Create(Raw));
                raw = Pick([.. OutOfRange(p.Field), .. p.Parent == root && p.Field == "mtu" ? ["67", "0"] : Array.Empty<string>(), "1e30", "-1e30", "1e400", "123456789012345678901234567890", "-123456789012345678901234567890"]);
                break;
            case Mutation.Overlong when Choose(p => p.Value?.GetValueKind() == JsonValueKind.String || p.Key is not null && p.IsMapEntry) is { } p:
            {
                int length = IfNames.Contains(p.Field) && random.Next(2) == 0 ? random.Next(16, 64) : random.Next(16_385, 40_000);
                string s = new((char)('a' + random.Next(26)), length);
                if (p.IsMapEntry && random.Next(2) == 0)
                    p.Rename(s[..Math.Min(s.Length, random.Next(97, 2000))]);
                else
                    p.Set(JsonValue.Create(s));
                break;
            }
            case Mutation.BadCharacters when Choose(p => p.Value?.GetValueKind() == JsonValueKind.String) is { } p:
                p.Set(JsonValue.Create(Raw));
                raw = Pick([.. BadStrings(p.Field), "\"\\ud800\"", "\"a\\udc00b\"", "\"\\u0001\"", "\"x\\u007f\""]);
                break;
            case Mutation.UnknownField when Choose(p => p.Value is JsonObject && !Maps.Contains(p.Field)) is { } p:
                p.Value!.AsObject()[$"x{random.Next():x}"] = random.Next(2) == 0 ? 1 : "v";
                break;
            case Mutation.UnknownField:
                root[$"x{random.Next():x}"] = 1;
                break;
            case Mutation.BadEnum when Choose(p => Enums.Contains(p.Field)) is { } p:
            {
                string now = p.Value!.GetValue<string>();
                p.Set(JsonValue.Create(Pick(now.ToUpperInvariant(), now + " ", " " + now, "launch", "", $"e{random.Next()}", now + "\u00e9", "ok")));
                break;
            }
            case Mutation.DeepNesting:
            {
                int depth = random.Next(2, 5000);
                raw = random.Next(2) == 0
                    ? new string('[', depth) + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                if (random.Next(10) == 0)
                    return Encoding.UTF8.GetBytes(raw);
                Choose(_ => true)!.Set(JsonValue.Create(Raw));
                break;
            }
            default:
                // The chosen kind has nothing to work on in this message: a wrong type always does.
                applied = Mutation.WrongType;
                return Structural(Mutation.WrongType, seed, ref applied);
        }
        string text = root.ToJsonString();
        if (raw is not null)
            text = text.Replace($"\"{Raw}\"", raw);
        return Encoding.UTF8.GetBytes(text);
    }

    private static string[] OutOfRange(string field) => field switch
    {
        "mtu" => ["65536", "-1", "1500.5", "2147483648"],
        "memory_mib" => ["3", "4097", "0"],
        "pid" => ["0", "-5", "4194305"],
        "speed_mbps" => ["-1", "10000001", "100.5"],
        "init" => ["4096", "-4096"],
        "seq" or "heap_used" or "heap_size" or "netif{}" => ["-1", "9223372036854775808", "1.5"],
        "statistics{}" or "driver_statistics{}" => ["-1", "18446744073709551616", "0.5"],
        "probe_ms" => ["-0.5", "3600000.1"],
        _ => ["1e30"],
    };

    private static string[] BadStrings(string field) => field switch
    {
        "interface" or "name" or "interfaces[]" => ["\"eth/0\"", "\"a b\"", "\"a:b\"", "\".\"", "\"..\"", "\"\"", "\"\\u00e9th0\"", "\"eth\\t0\""],
        "mac" => ["\"52:54:00:12:34\"", "\"zz:54:00:12:34:56\"", "\"52-54-00-12-34-56\"", "\"52:54:00:12:34:5\""],
        "parameters[]" => ["\"debug\"", "\"=1\"", "\"bad-name=1\"", "\"1x=2\""],
        "library" or "error" => ["\"\"", "\"a\\u0001b\"", "\"a\\u001bb\""],
        _ => ["\"\\u0000\""],
    };

    private string Pick(params string[] options) => options[random.Next(options.Length)];

    /// <summary>Where a value sits: a member of an object (a message's field or a map's entry) or a list item.</summary>
    private sealed record Place(JsonNode Parent, string? Key, int Index, string Field, JsonNode? Value, bool IsMapEntry)
    {
        public void Set(JsonNode? value)
        {
            if (Key is not null)
                Parent.AsObject()[Key] = value;
            else
                Parent.AsArray()[Index] = value;
        }

        public void Rename(string name)
        {
            var o = Parent.AsObject();
            var v = o[Key!];
            o.Remove(Key!);
            o[name] = v?.DeepClone();
        }
    }

    // Every value in the message, named by its field ("mtu"), list ("interfaces[]") or map ("netif{}").
    private static List<Place> Places(JsonObject root)
    {
        var all = new List<Place>();
        void Visit(JsonObject o, bool map, string mapName)
        {
            foreach (var (key, value) in o.ToList())
            {
                string field = map ? mapName + "{}" : key;
                all.Add(new Place(o, key, -1, field, value, map));
                if (value is JsonObject child)
                    Visit(child, Maps.Contains(key), key);
                else if (value is JsonArray array)
                {
                    for (int i = 0; i < array.Count; i++)
                    {
                        all.Add(new Place(array, null, i, key + "[]", array[i], false));
                        if (array[i] is JsonObject item)
                            Visit(item, false, "");
                    }
                }
            }
        }
        Visit(root, false, "");
        return all;
    }
}
