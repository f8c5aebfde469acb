// SPDX-License-Identifier: MIT
// Generator side (runs inside the compiler). The shared part of every generated parser, emitted once
// into the schema's namespace: the message interface, the error with its field path, and the token
// readers and value checks the per-field code calls. It is text here so the generated assembly needs
// nothing from the generator at run time.
namespace LinuxShim.ProtocolGenerator;

internal static class Runtime
{
    public static string Source(string ns, int maxDepth) => Template
        .Replace("NAMESPACE", ns)
        .Replace("MAXDEPTH", maxDepth.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private const string Template = """
namespace NAMESPACE
{
    /// <summary>A message of the control protocol schema: parsed and checked by TryParse, written by WriteTo.</summary>
    public interface IControlMessage<TSelf> where TSelf : class, IControlMessage<TSelf>
    {
        /// <summary>
        /// Parses one message (UTF-8 JSON) that arrived with <paramref name="descriptors"/> descriptors;
        /// false, with an error naming the field, when any field breaks the schema.
        /// </summary>
        static abstract bool TryParse(global::System.ReadOnlySpan<byte> json, int descriptors,
            [global::System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TSelf? message,
            [global::System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error);

        /// <summary>Writes the message as one JSON object (optional fields left out when null).</summary>
        void WriteTo(global::System.Text.Json.Utf8JsonWriter writer);

        /// <summary>Null when the message, sent with this many descriptors, satisfies the schema; else what is wrong.</summary>
        string? Validate(int descriptors);
    }

    /// <summary>Serialises control messages.</summary>
    public static class ControlMessage
    {
        /// <summary>The limit on nesting the parsers give the JSON reader.</summary>
        public const int MaxDepth = MAXDEPTH;

        public static byte[] ToJson<T>(T message) where T : class, IControlMessage<T>
        {
            var buffer = new global::System.Buffers.ArrayBufferWriter<byte>(256);
            using (var writer = new global::System.Text.Json.Utf8JsonWriter(buffer))
                message.WriteTo(writer);
            return buffer.WrittenSpan.ToArray();
        }
    }

    /// <summary>What is wrong, and where: a path of fields and indices below the message.</summary>
    internal sealed class ControlError(string path, string message)
    {
        public string Path { get; } = path;
        public string Message { get; } = message;

        public ControlError In(string segment) =>
            new(Path.Length == 0 ? segment : Path[0] == '[' ? segment + Path : segment + "." + Path, Message);

        public string For(string type) => Path.Length == 0 ? $"{type}: {Message}" : $"{type}.{Path}: {Message}";

        public static ControlError? Of(string? message) => message is null ? null : new ControlError("", message);
    }

    internal enum ControlChars { Any, Printable, Text, Ascii, IfName }

    internal enum ControlFormat { None, Mac, UnicastMac, Parameter }

    /// <summary>Token readers and value checks; each returns null when fine, else a message.</summary>
    internal static class ControlJson
    {
        private const int QuoteChars = 40;

        public static global::System.Text.Json.JsonReaderOptions Options => new() { MaxDepth = ControlMessage.MaxDepth };

        public static string? ReadString(ref global::System.Text.Json.Utf8JsonReader reader, int maxBytes, out string value)
        {
            value = "";
            if (reader.TokenType != global::System.Text.Json.JsonTokenType.String)
                return Expected("a string", reader.TokenType);
            return Decode(ref reader, maxBytes, out value);
        }

        public static string? ReadName(ref global::System.Text.Json.Utf8JsonReader reader, int maxBytes, out string value)
        {
            value = "";
            if (reader.TokenType != global::System.Text.Json.JsonTokenType.PropertyName)
                return Expected("a name", reader.TokenType);
            return Decode(ref reader, maxBytes, out value);
        }

        // An escape is at most 6 bytes for one, so a raw token over 6 × the limit is too long before decoding.
        private static string? Decode(ref global::System.Text.Json.Utf8JsonReader reader, int maxBytes, out string value)
        {
            value = "";
            long raw = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
            if (raw > 6L * maxBytes)
                return $"longer than {maxBytes} bytes";
            try
            {
                value = reader.GetString() ?? "";
            }
            catch (global::System.InvalidOperationException)
            {
                return "not valid UTF-8";
            }
            return null;
        }

        public static string? ReadInteger(ref global::System.Text.Json.Utf8JsonReader reader, out long value)
        {
            value = 0;
            if (reader.TokenType != global::System.Text.Json.JsonTokenType.Number)
                return Expected("an integer", reader.TokenType);
            return reader.TryGetInt64(out value) ? null : $"{QuoteRaw(reader.ValueSpan)} is not a 64-bit integer";
        }

        public static string? ReadUnsigned(ref global::System.Text.Json.Utf8JsonReader reader, out ulong value)
        {
            value = 0;
            if (reader.TokenType != global::System.Text.Json.JsonTokenType.Number)
                return Expected("an integer", reader.TokenType);
            return reader.TryGetUInt64(out value) ? null : $"{QuoteRaw(reader.ValueSpan)} is not an unsigned 64-bit integer";
        }

        public static string? ReadNumber(ref global::System.Text.Json.Utf8JsonReader reader, out double value)
        {
            value = 0;
            if (reader.TokenType != global::System.Text.Json.JsonTokenType.Number)
                return Expected("a number", reader.TokenType);
            return reader.TryGetDouble(out value) && double.IsFinite(value) ? null : $"{QuoteRaw(reader.ValueSpan)} is not a finite number";
        }

        public static string? ReadBoolean(ref global::System.Text.Json.Utf8JsonReader reader, out bool value)
        {
            value = reader.TokenType == global::System.Text.Json.JsonTokenType.True;
            return reader.TokenType is global::System.Text.Json.JsonTokenType.True or global::System.Text.Json.JsonTokenType.False
                ? null : Expected("true or false", reader.TokenType);
        }

        public static string? CheckRange(long value, long min, long max) =>
            value < min || value > max ? $"{value} is out of range {min}..{max}" : null;

        public static string? CheckRange(ulong value, ulong min, ulong max) =>
            value < min || value > max ? $"{value} is out of range {min}..{max}" : null;

        public static string? CheckRange(double value, double min, double max) =>
            !double.IsFinite(value) ? "not a finite number"
            : value < min || value > max ? $"{value.ToString(global::System.Globalization.CultureInfo.InvariantCulture)} is out of range {min.ToString(global::System.Globalization.CultureInfo.InvariantCulture)}..{max.ToString(global::System.Globalization.CultureInfo.InvariantCulture)}"
            : null;

        public static string? CheckCount(int count, int min, int max) =>
            count > max ? $"{count} items, at most {max}" : count < min ? $"{count} items, at least {min}" : null;

        public static string? CheckString(string value, int minBytes, int maxBytes, ControlChars chars, ControlFormat format)
        {
            if (value.Length > maxBytes)
                return $"longer than {maxBytes} bytes";
            int bytes = global::System.Text.Encoding.UTF8.GetByteCount(value);
            if (bytes > maxBytes)
                return $"{bytes} bytes, at most {maxBytes}";
            if (bytes < minBytes)
                return minBytes == 1 ? "empty" : $"{bytes} bytes, at least {minBytes}";
            for (int i = 0; i < value.Length; i++)
            {
                char c = value[i];
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    if (chars is ControlChars.Ascii or ControlChars.IfName)
                        return $"{Quote(value)} has a character outside {Describe(chars)}";
                    i++;
                    continue;
                }
                if (char.IsSurrogate(c))
                    return "not valid Unicode (a lone surrogate)";
                if (!Allowed(c, chars))
                    return $"{Quote(value)} has a character outside {Describe(chars)} (U+{(int)c:X4})";
            }
            if (chars == ControlChars.IfName && value is "." or "..")
                return $"'{value}' is not an interface name";
            return format switch
            {
                ControlFormat.Mac or ControlFormat.UnicastMac => CheckMac(value, format == ControlFormat.UnicastMac),
                ControlFormat.Parameter => CheckParameter(value),
                _ => null,
            };
        }

        private static bool Allowed(char c, ControlChars chars) => chars switch
        {
            ControlChars.Any => true,
            ControlChars.Printable => !char.IsControl(c),
            ControlChars.Text => !char.IsControl(c) || c is '\n' or '\t',
            ControlChars.Ascii => c is >= ' ' and <= '~',
            ControlChars.IfName => c is > ' ' and <= '~' and not '/' and not ':',
            _ => false,
        };

        private static string Describe(ControlChars chars) => chars switch
        {
            ControlChars.Printable => "printable characters",
            ControlChars.Text => "printable characters, tab and newline",
            ControlChars.Ascii => "printable ASCII",
            ControlChars.IfName => "an interface name's (printable ASCII but space, '/' and ':')",
            _ => "any",
        };

        // xx:xx:xx:xx:xx:xx in hex; a unicast one is not a group address and not all zeros.
        private static string? CheckMac(string value, bool unicast)
        {
            const string Shape = "not a MAC address like 52:54:00:12:34:56";
            if (value.Length != 17)
                return Shape;
            bool zero = true;
            int first = 0;
            for (int i = 0; i < 6; i++)
            {
                if (i > 0 && value[i * 3 - 1] != ':')
                    return Shape;
                int hi = Hex(value[i * 3]), lo = Hex(value[i * 3 + 1]);
                if (hi < 0 || lo < 0)
                    return Shape;
                int b = hi << 4 | lo;
                if (i == 0)
                    first = b;
                zero &= b == 0;
            }
            if (unicast && ((first & 1) != 0 || zero))
                return $"{value} is not a unicast address";
            return null;
        }

        private static int Hex(char c) => c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;

        // A module parameter: name=value, the name a C identifier (as module_param declares it).
        private static string? CheckParameter(string value)
        {
            int eq = value.IndexOf('=');
            if (eq <= 0)
                return $"{Quote(value)} is not name=value";
            for (int i = 0; i < eq; i++)
            {
                char c = value[i];
                if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '_' || (i > 0 && c is >= '0' and <= '9')))
                    return $"{Quote(value[..eq])} is not a parameter name";
            }
            return null;
        }

        public static string NotOneOf(string value, string allowed) => $"{Quote(value)} is not one of {allowed}";

        public static string Expected(string what, global::System.Text.Json.JsonTokenType got)
        {
            string token = got switch
            {
                global::System.Text.Json.JsonTokenType.String => "a string",
                global::System.Text.Json.JsonTokenType.Number => "a number",
                global::System.Text.Json.JsonTokenType.True or global::System.Text.Json.JsonTokenType.False => "a boolean",
                global::System.Text.Json.JsonTokenType.Null => "null",
                global::System.Text.Json.JsonTokenType.StartObject => "an object",
                global::System.Text.Json.JsonTokenType.StartArray => "an array",
                _ => got.ToString(),
            };
            return $"expected {what}, got {token}";
        }

        public static string Unknown(ref global::System.Text.Json.Utf8JsonReader reader) =>
            $"unknown field {QuoteRaw(reader.HasValueSequence ? global::System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan)}";

        public static string NotJson(global::System.Text.Json.JsonException e) => "not valid JSON: " + Clean(e.Message, 160);

        public static string Key(string key) => $"[{Quote(key)}]";

        /// <summary>A value for an error message: at most 40 characters, control characters as '?', in quotes.</summary>
        public static string Quote(string value) =>
            "'" + Clean(value, QuoteChars) + "'";

        private static string QuoteRaw(global::System.ReadOnlySpan<byte> raw) =>
            Quote(global::System.Text.Encoding.UTF8.GetString(raw[..global::System.Math.Min(raw.Length, QuoteChars * 4)]));

        private static string Clean(string value, int max)
        {
            var sb = new global::System.Text.StringBuilder(global::System.Math.Min(value.Length, max) + 1);
            for (int i = 0; i < value.Length && i < max; i++)
            {
                char c = value[i];
                sb.Append(char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
            }
            if (value.Length > max)
                sb.Append('…');
            return sb.ToString();
        }
    }
}
""";
}
