// SPDX-License-Identifier: MIT
// A configuration fragment (CONFIG_X=value and "# CONFIG_X is not set" lines) that a port lays over a base
// configuration, and the check that Kconfig kept what it asked for: olddefconfig silently drops a value whose
// dependencies are not met, so each requested value is compared with the resulting .config.
using System.Text;
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Kbuild;

public sealed partial class ConfigFragment
{
    private ConfigFragment(IReadOnlyList<(string Symbol, string? Value)> settings, string sourceName)
    {
        Settings = settings;
        SourceName = sourceName;
    }

    /// <summary>Each setting in file order: the symbol (CONFIG_ prefix) and its value as .config writes it (null: not set).</summary>
    public IReadOnlyList<(string Symbol, string? Value)> Settings { get; }

    /// <summary>Where it was read from.</summary>
    public string SourceName { get; }

    /// <summary>The settings as .config lines, one per symbol (the last setting of a symbol wins, as in Kconfig).</summary>
    public string ToConfigText()
    {
        var text = new StringBuilder();
        foreach (var (symbol, value) in Effective())
            text.Append(value is null ? $"# {symbol} is not set\n" : $"{symbol}={value}\n");
        return text.ToString();
    }

    public static ConfigFragment Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read configuration fragment {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses fragment text; any line that is neither a setting, a comment nor blank is an error naming it.</summary>
    public static ConfigFragment Parse(string text, string sourceName)
    {
        var settings = new List<(string, string?)>();
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r').Trim();
            if (line.Length == 0)
                continue;
            if (NotSetRegex().Match(line) is { Success: true } off)
            {
                settings.Add((off.Groups[1].Value, null));
                continue;
            }
            if (line.StartsWith('#'))
                continue;
            var m = SettingRegex().Match(line);
            if (!m.Success)
                throw new ImportException($"{sourceName}:{i + 1}: not a configuration line: '{line}' (expected CONFIG_NAME=y|m|n|NUMBER|\"STRING\" or '# CONFIG_NAME is not set')");
            string value = m.Groups[2].Value;
            if (value == "n")
            {
                settings.Add((m.Groups[1].Value, null));
                continue;
            }
            if (value is not ("y" or "m") && !NumberRegex().IsMatch(value) && !(value.Length >= 2 && value[0] == '"' && value[^1] == '"'))
                throw new ImportException($"{sourceName}:{i + 1}: {m.Groups[1].Value} has the value '{value}': expected y, m, n, a number or a quoted string");
            settings.Add((m.Groups[1].Value, value));
        }
        if (settings.Count == 0)
            throw new ImportException($"{sourceName}: the configuration fragment sets nothing");
        return new ConfigFragment(settings, sourceName);
    }

    /// <summary>
    /// What Kconfig did not keep: for each requested value the resulting .config (<paramref name="dotConfig"/>)
    /// holds otherwise, "CONFIG_X=y requested, the configuration has it not set". Empty when everything held.
    /// </summary>
    public IReadOnlyList<string> NotKept(string dotConfig)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var raw in dotConfig.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (NotSetRegex().Match(line) is { Success: true } off)
                result[off.Groups[1].Value] = null;
            else if (SettingRegex().Match(line) is { Success: true } m)
                result[m.Groups[1].Value] = m.Groups[2].Value;
        }
        var lost = new List<string>();
        foreach (var (symbol, wanted) in Effective())
        {
            bool known = result.TryGetValue(symbol, out var got);
            if (wanted is null ? got is null : got == wanted)
                continue;
            string asked = wanted is null ? $"{symbol} not set" : $"{symbol}={wanted}";
            lost.Add(!known && wanted is not null
                ? $"{asked} requested, but this kernel has no such option (or one it depends on is off)"
                : $"{asked} requested, the configuration has {(got is null ? "it not set" : $"{symbol}={got}")} (its dependencies decide)");
        }
        return lost;
    }

    private IEnumerable<(string Symbol, string? Value)> Effective()
    {
        var last = new Dictionary<string, string?>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var (symbol, value) in Settings)
        {
            if (!last.ContainsKey(symbol))
                order.Add(symbol);
            last[symbol] = value;
        }
        return order.Select(s => (s, last[s]));
    }

    [GeneratedRegex(@"^#\s*(CONFIG_[A-Za-z0-9_]+) is not set\s*$")]
    private static partial Regex NotSetRegex();

    [GeneratedRegex(@"^(CONFIG_[A-Za-z0-9_]+)=(.*?)\s*$")]
    private static partial Regex SettingRegex();

    [GeneratedRegex(@"^-?(?:0x[0-9A-Fa-f]+|[0-9]+)$")]
    private static partial Regex NumberRegex();
}
