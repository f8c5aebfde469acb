// SPDX-License-Identifier: MIT
// Generator side (runs inside the compiler). A small JSON reader for the schema file: netstandard2.0
// has no System.Text.Json, and an analyzer cannot bring package dependencies along.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace LinuxShim.ProtocolGenerator;

/// <summary>A JSON object that keeps its members in file order (fields are emitted in that order).</summary>
internal sealed class JsonObject
{
    public List<KeyValuePair<string, object?>> Members { get; } = [];

    public bool TryGet(string name, out object? value)
    {
        foreach (var m in Members)
        {
            if (m.Key == name)
            {
                value = m.Value;
                return true;
            }
        }
        value = null;
        return false;
    }
}

/// <summary>A number as written, so integers keep their full range.</summary>
internal sealed class JsonNumber(string text)
{
    public string Text { get; } = text;

    public bool TryGetLong(out long value) => long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public bool TryGetULong(out ulong value) => ulong.TryParse(Text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    public double ToDouble() => double.Parse(Text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

internal sealed class SchemaJsonException(string message) : Exception(message);

/// <summary>Parses RFC 8259 JSON into JsonObject, List&lt;object?&gt;, string, JsonNumber, bool and null.</summary>
internal sealed class SchemaJson
{
    private readonly string text;
    private int at;

    private SchemaJson(string text) => this.text = text;

    public static object? Parse(string text)
    {
        var p = new SchemaJson(text);
        p.Space();
        var value = p.Value(0);
        p.Space();
        if (p.at != text.Length)
            throw p.Error("trailing content");
        return value;
    }

    private SchemaJsonException Error(string what)
    {
        int line = 1;
        for (int i = 0; i < at && i < text.Length; i++)
        {
            if (text[i] == '\n')
                line++;
        }
        return new SchemaJsonException($"line {line}: {what}");
    }

    private void Space()
    {
        while (at < text.Length && (text[at] == ' ' || text[at] == '\t' || text[at] == '\n' || text[at] == '\r'))
            at++;
    }

    private object? Value(int depth)
    {
        if (depth > 64)
            throw Error("nested too deeply");
        if (at >= text.Length)
            throw Error("unexpected end");
        char c = text[at];
        switch (c)
        {
            case '{':
                return Object(depth);
            case '[':
                return Array(depth);
            case '"':
                return String();
            case 't':
                return Literal("true", true);
            case 'f':
                return Literal("false", false);
            case 'n':
                return Literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                    return Number();
                throw Error($"unexpected '{c}'");
        }
    }

    private object? Literal(string word, object? value)
    {
        if (string.CompareOrdinal(text, at, word, 0, word.Length) != 0)
            throw Error($"expected {word}");
        at += word.Length;
        return value;
    }

    private JsonObject Object(int depth)
    {
        var o = new JsonObject();
        at++;
        Space();
        if (Peek() == '}')
        {
            at++;
            return o;
        }
        while (true)
        {
            Space();
            if (Peek() != '"')
                throw Error("expected a member name");
            string name = String();
            Space();
            Expect(':');
            Space();
            if (o.TryGet(name, out _))
                throw Error($"duplicate member '{name}'");
            o.Members.Add(new KeyValuePair<string, object?>(name, Value(depth + 1)));
            Space();
            if (Peek() == ',')
            {
                at++;
                continue;
            }
            Expect('}');
            return o;
        }
    }

    private List<object?> Array(int depth)
    {
        var list = new List<object?>();
        at++;
        Space();
        if (Peek() == ']')
        {
            at++;
            return list;
        }
        while (true)
        {
            Space();
            list.Add(Value(depth + 1));
            Space();
            if (Peek() == ',')
            {
                at++;
                continue;
            }
            Expect(']');
            return list;
        }
    }

    private string String()
    {
        at++;
        var sb = new StringBuilder();
        while (true)
        {
            if (at >= text.Length)
                throw Error("unterminated string");
            char c = text[at++];
            if (c == '"')
                return sb.ToString();
            if (c < ' ')
                throw Error("control character in a string");
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (at >= text.Length)
                throw Error("unterminated escape");
            char e = text[at++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (at + 4 > text.Length || !int.TryParse(text.Substring(at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code))
                        throw Error("bad \\u escape");
                    sb.Append((char)code);
                    at += 4;
                    break;
                default:
                    throw Error($"bad escape '\\{e}'");
            }
        }
    }

    private JsonNumber Number()
    {
        int start = at;
        if (Peek() == '-')
            at++;
        while (at < text.Length && "0123456789.eE+-".IndexOf(text[at]) >= 0)
            at++;
        string n = text.Substring(start, at - start);
        if (!double.TryParse(n, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            throw Error($"bad number '{n}'");
        return new JsonNumber(n);
    }

    private char Peek() => at < text.Length ? text[at] : '\0';

    private void Expect(char c)
    {
        if (Peek() != c)
            throw Error($"expected '{c}'");
        at++;
    }
}
