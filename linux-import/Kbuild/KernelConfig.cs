// SPDX-License-Identifier: MIT
// Parses a kernel build's include/config/auto.conf (CONFIG_X=value lines) into a lookup table.
using System.Security.Cryptography;
using System.Text;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// The configuration of a kernel build as written by Kconfig to <c>include/config/auto.conf</c>.
/// Symbols that are not set (=n) do not appear. Values are stored without surrounding quotes:
/// kernels since 5.18 write strings unquoted, older ones quote them (both are accepted).
/// </summary>
public sealed class KernelConfig
{
    private const string Prefix = "CONFIG_";
    private readonly Dictionary<string, string> _values;

    private KernelConfig(Dictionary<string, string> values, string sourceName)
    {
        _values = values;
        SourceName = sourceName;
        Hash = ComputeHash(values);
    }

    /// <summary>Where the configuration was read from (a path or a test's name).</summary>
    public string SourceName { get; }

    /// <summary>Every set symbol (with its CONFIG_ prefix) and its value.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>Lower-case hex SHA-256 of the sorted NAME=value lines; stable across comment and order changes.</summary>
    public string Hash { get; }

    /// <summary>The value of a symbol ("y", "m", a string or a number), or null when it is not set.
    /// The name normally carries the CONFIG_ prefix; a bare name is accepted too.</summary>
    public string? this[string name] => _values.TryGetValue(Normalize(name), out var v) ? v : null;

    /// <summary>True when the symbol is set to y.</summary>
    public bool IsBuiltIn(string name) => this[name] == "y";

    /// <summary>True when the symbol is set to m.</summary>
    public bool IsModule(string name) => this[name] == "m";

    /// <summary>Reads and parses an auto.conf file.</summary>
    public static KernelConfig Load(string autoConfPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(autoConfPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read kernel configuration {autoConfPath}: {e.Message}", e);
        }
        return Parse(text, autoConfPath);
    }

    /// <summary>Parses auto.conf text; <paramref name="sourceName"/> is used in error messages.</summary>
    public static KernelConfig Parse(string text, string sourceName)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
                continue;
            int eq = trimmed.IndexOf('=');
            string name = eq < 0 ? trimmed : trimmed[..eq];
            if (eq < 0 || !IsSymbolName(name))
                throw new ImportException($"{sourceName}:{i + 1}: malformed configuration line (expected CONFIG_NAME=value): {Shorten(trimmed)}");
            string raw = trimmed[(eq + 1)..];
            values[name] = raw.StartsWith('"') ? Unquote(raw, sourceName, i + 1) : raw;
        }
        return new KernelConfig(values, sourceName);
    }

    private static string Normalize(string name) =>
        name.StartsWith(Prefix, StringComparison.Ordinal) ? name : Prefix + name;

    private static bool IsSymbolName(string name)
    {
        if (name.Length <= Prefix.Length || !name.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                return false;
        }
        return true;
    }

    private static string Unquote(string raw, string sourceName, int lineNumber)
    {
        var sb = new StringBuilder(raw.Length);
        for (int i = 1; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c == '\\' && i + 1 < raw.Length)
            {
                sb.Append(raw[++i]);
            }
            else if (c == '"')
            {
                if (i != raw.Length - 1)
                    break;
                return sb.ToString();
            }
            else
            {
                sb.Append(c);
            }
        }
        throw new ImportException($"{sourceName}:{lineNumber}: malformed quoted string value: {Shorten(raw)}");
    }

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..77] + "...";

    private static string ComputeHash(Dictionary<string, string> values)
    {
        var sb = new StringBuilder();
        foreach (var key in values.Keys.OrderBy(k => k, StringComparer.Ordinal))
            sb.Append(key).Append('=').Append(values[key]).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
