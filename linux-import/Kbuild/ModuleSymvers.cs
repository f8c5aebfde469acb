// SPDX-License-Identifier: MIT
// Parses Module.symvers (crc, symbol, module, export type, namespace; tab-separated) into a lookup table.
using System.Globalization;

namespace LinuxShim.Import.Kbuild;

/// <summary>The symbols a kernel build exports, read from its Module.symvers.</summary>
public sealed class ModuleSymvers
{
    private readonly Dictionary<string, SymbolExport> _exports;

    private ModuleSymvers(Dictionary<string, SymbolExport> exports, string sourceName)
    {
        _exports = exports;
        SourceName = sourceName;
    }

    /// <summary>Where the table was read from.</summary>
    public string SourceName { get; }

    /// <summary>Number of exported symbols.</summary>
    public int Count => _exports.Count;

    /// <summary>All exports, keyed by symbol name.</summary>
    public IReadOnlyDictionary<string, SymbolExport> Exports => _exports;

    /// <summary>Looks a symbol up.</summary>
    public bool TryGet(string symbol, out SymbolExport export)
    {
        if (_exports.TryGetValue(symbol, out var found))
        {
            export = found;
            return true;
        }
        export = null!;
        return false;
    }

    /// <summary>Reads and parses a Module.symvers file.</summary>
    public static ModuleSymvers Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses Module.symvers text; <paramref name="sourceName"/> is used in error messages.</summary>
    public static ModuleSymvers Parse(string text, string sourceName)
    {
        var exports = new Dictionary<string, SymbolExport>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
                continue;
            var fields = line.Split('\t');
            if (fields.Length is < 4 or > 5)
                throw Malformed(sourceName, i + 1, $"expected 4 or 5 tab-separated fields, found {fields.Length}");
            string crcText = fields[0];
            if (!crcText.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                || !uint.TryParse(crcText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint crc))
                throw Malformed(sourceName, i + 1, $"CRC '{crcText}' is not a 32-bit hex number");
            string symbol = fields[1], module = fields[2], type = fields[3];
            string ns = fields.Length == 5 ? fields[4] : "";
            if (symbol.Length == 0 || symbol.Any(char.IsWhiteSpace))
                throw Malformed(sourceName, i + 1, "empty or invalid symbol name");
            if (module.Length == 0)
                throw Malformed(sourceName, i + 1, $"symbol {symbol} has no module");
            if (!type.StartsWith("EXPORT_", StringComparison.Ordinal))
                throw Malformed(sourceName, i + 1, $"export type '{type}' of symbol {symbol} does not start with EXPORT_");
            exports[symbol] = new SymbolExport(symbol, module, type, ns) { Crc = crc };
        }
        return new ModuleSymvers(exports, sourceName);
    }

    private static ImportException Malformed(string sourceName, int line, string why) =>
        new($"{sourceName}:{line}: malformed Module.symvers line: {why}");
}
