// SPDX-License-Identifier: MIT
// Managed side. Reads a translation unit's module metadata from its declarations: .modinfo strings
// (MODULE_LICENSE, MODULE_AUTHOR, module_param…), module_init/exit aliases, MODULE_DEVICE_TABLE
// PCI ids, driver and ops structures, and EXPORT_SYMBOL* of the unit.
using System.Text.RegularExpressions;
using LinuxShim.Import.Clang;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Analysis;

internal static partial class UnitMetadataReader
{
    private const CursorKind MemberRef = (CursorKind)47;

    // struct pci_device_id in field order (include/linux/mod_devicetable.h), for positional initializers.
    private static readonly string[] PciIdFields = ["vendor", "device", "subvendor", "subdevice", "class", "class_mask", "driver_data"];

    public static UnitMetadata Read(UnitIndex index)
    {
        var modinfo = new List<string>();
        var structures = new List<EntryStructure>();
        var pciIds = new List<PciId>();
        var variables = index.Variables.ToDictionary(v => v.Symbol.Name, v => v.Cursor, StringComparer.Ordinal);

        foreach (var (symbol, cursor) in index.Variables)
        {
            string file = cursor.Location.File;
            if (file.EndsWith(".h", StringComparison.Ordinal))
                continue;
            if (symbol.Name.StartsWith("__UNIQUE_ID_", StringComparison.Ordinal))
            {
                if (cursor.VarInitializer is { IsNull: false } value && value.EvaluateString() is { } info && info.Contains('='))
                    modinfo.Add(info);
                continue;
            }
            if (cursor.TypeSpelling.Contains("struct ", StringComparison.Ordinal) && ReadStructure(symbol.Name, cursor) is { } s)
                structures.Add(s);
        }

        string? init = null, exit = null;
        foreach (var (alias, target) in index.Aliases)
        {
            if (alias == "init_module")
                init = target;
            else if (alias == "cleanup_module")
                exit = target;
            else if (DeviceTablePattern().Match(alias) is { Success: true } m && m.Groups[1].Value == "pci"
                     && variables.TryGetValue(target, out var table))
                ReadPciTable(target, table, pciIds);
        }
        return new UnitMetadata
        {
            ModInfo = modinfo,
            Init = init,
            Exit = exit,
            Structures = structures,
            PciIds = pciIds,
            Exports = ReadExports(index.FileScopeAsm),
        };
    }

    [GeneratedRegex(@"^__mod_([a-z0-9_]+?)__.+_device_table$")]
    private static partial Regex DeviceTablePattern();

    /// <summary>Field path → initializer expression, for designated (.a.b = x) and positional initializers.</summary>
    private static List<(string Field, Cursor Value)> Fields(Cursor initList, string[]? positional = null)
    {
        var result = new List<(string, Cursor)>();
        int position = 0;
        foreach (var item in initList.Children())
        {
            var kids = item.Kind == CursorKind.UnexposedExpr ? item.Children() : [];
            if (kids.Count >= 2 && kids[0].Kind == MemberRef)
            {
                var path = kids.TakeWhile(k => k.Kind == MemberRef).Select(k => k.Spelling).ToList();
                result.Add((string.Join('.', path), kids[^1]));
                position = positional is null ? position : Array.IndexOf(positional, path[0]) + 1;
            }
            else
            {
                string name = positional is not null && position < positional.Length ? positional[position] : "#" + position;
                result.Add((name, item));
                position++;
            }
        }
        return result;
    }

    private static EntryStructure? ReadStructure(string variable, Cursor cursor)
    {
        var init = cursor.VarInitializer;
        if (init.IsNull || init.Kind != CursorKind.InitListExpr)
            return null;
        var callbacks = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (field, value) in Fields(init))
            if (FunctionNamed(value) is { } fn)
                callbacks[field] = fn;
        if (callbacks.Count == 0)
            return null;
        string type = cursor.TypeSpelling.Replace("const ", "", StringComparison.Ordinal).Trim();
        return new EntryStructure(variable, type, callbacks);
    }

    /// <summary>The function an initializer names (through casts and &amp;), or null.</summary>
    private static string? FunctionNamed(Cursor value)
    {
        for (int depth = 0; depth < 8; depth++)
        {
            if (value.Kind == CursorKind.DeclRefExpr)
            {
                var r = value.Referenced;
                return r.Kind == CursorKind.FunctionDecl ? r.Spelling : null;
            }
            var kids = value.Children();
            if (kids.Count == 0 || value.Kind is not (CursorKind.UnexposedExpr or CursorKind.ParenExpr or CursorKind.CStyleCastExpr or CursorKind.UnaryOperator))
                return null;
            value = kids[^1];
        }
        return null;
    }

    private static void ReadPciTable(string table, Cursor cursor, List<PciId> ids)
    {
        var init = cursor.VarInitializer;
        if (init.IsNull || init.Kind != CursorKind.InitListExpr)
            return;
        foreach (var entry in init.Children())
        {
            if (entry.Kind != CursorKind.InitListExpr)
                continue;
            var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
            foreach (var (field, value) in Fields(entry, PciIdFields))
                if (value.EvaluateInteger() is long v)
                    values[field] = unchecked((ulong)v);
            ulong Get(string f, ulong dflt = 0) => values.TryGetValue(f, out var v) ? v : dflt;
            if (Get("vendor") == 0 && Get("device") == 0 && Get("class") == 0)
                continue; // the terminating { }
            ids.Add(new PciId(table, (uint)Get("vendor"), (uint)Get("device"), (uint)Get("subvendor"), (uint)Get("subdevice"),
                (uint)Get("class"), (uint)Get("class_mask"), Get("driver_data")));
        }
    }

    // EXPORT_SYMBOL*(sym[, ns]) on x86 writes its entry in file-scope asm. Up to Linux 6.4: a section
    // "___ksymtab+sym" or "___ksymtab_gpl+sym", and the namespace string after __kstrtabns_sym. From 6.5 on
    // (include/linux/export.h): a label __export_symbol_sym in section .export_symbol, then the licence
    // (.asciz "GPL" or "") and the namespace (.ascii "NS" "\0"), which modpost reads from the object.
    private static List<ExportedSymbol> ReadExports(IEnumerable<string> fileScopeAsm)
    {
        var namespaces = new Dictionary<string, string>(StringComparer.Ordinal);
        var kinds = new List<(string Symbol, string Export)>();
        foreach (var text in fileScopeAsm)
        {
            foreach (Match m in NamespacePattern().Matches(text))
                namespaces[m.Groups[1].Value] = m.Groups[2].Value;
            foreach (Match m in KsymtabPattern().Matches(text))
                kinds.Add((m.Groups[2].Value, m.Groups[1].Success ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL"));
            foreach (Match m in ExportSymbolPattern().Matches(text))
            {
                string symbol = m.Groups[1].Value;
                kinds.Add((symbol, m.Groups[2].Value == "GPL" ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL"));
                namespaces[symbol] = m.Groups[3].Value;
            }
        }
        return kinds.Select(k => new ExportedSymbol(k.Symbol, k.Export, namespaces.GetValueOrDefault(k.Symbol, ""))).ToList();
    }

    [GeneratedRegex(@"___ksymtab(_gpl)?\+([A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex KsymtabPattern();

    // __export_symbol_sym: ; .asciz \"GPL\" ; .ascii \"NS\" \"\\0\" (the asm string as spelled, quotes escaped).
    [GeneratedRegex(@"__export_symbol_([A-Za-z_][A-Za-z0-9_]*):[^""]*?\\""([^""\\]*)\\""[^""]*?\\""([^""\\]*)\\""")]
    private static partial Regex ExportSymbolPattern();

    [GeneratedRegex(@"__kstrtabns_([A-Za-z_][A-Za-z0-9_]*):[^""]*""([^""\\]*)\\""")]
    private static partial Regex NamespacePattern();
}
