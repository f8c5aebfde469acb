// SPDX-License-Identifier: MIT
// Managed side. Links the unit results of one module the way ld -r does (undefined minus defined)
// and gathers its metadata, export types and provenance into a ModuleInfo.
using System.Globalization;
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Model;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Analysis;

internal static class ModuleAssembler
{
    public static ModuleInfo Assemble(KbuildModule module, IReadOnlyList<UnitResult> units, IReadOnlyList<string> unitErrors,
        KernelTree tree, ModuleSymvers symvers)
    {
        var defined = new HashSet<string>(units.SelectMany(u => u.Defined), StringComparer.Ordinal);
        var from = new Dictionary<string, string>(StringComparer.Ordinal);
        var prototypes = new Dictionary<string, string>(StringComparer.Ordinal);
        var canonical = new Dictionary<string, string>(StringComparer.Ordinal);
        var callers = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var u in units)
        {
            foreach (var (s, f) in u.ReferencedFrom)
                from.TryAdd(s, f);
            foreach (var (s, p) in u.Prototypes)
                prototypes.TryAdd(s, p);
            foreach (var (s, p) in u.CanonicalPrototypes)
                canonical.TryAdd(s, p);
            foreach (var (s, list) in u.Callers)
            {
                if (!callers.TryGetValue(s, out var set))
                    callers[s] = set = new SortedSet<string>(StringComparer.Ordinal);
                set.UnionWith(list);
            }
        }
        var requires = units.SelectMany(u => u.Undefined).Where(s => !defined.Contains(s))
            .Distinct().Order(StringComparer.Ordinal)
            .Select(s => (symvers.TryGet(s, out var e)
                    ? new RequiredSymbol(s, e.ExportType, e.Namespace.Length == 0 ? null : e.Namespace, e.Module, from.GetValueOrDefault(s))
                    : new RequiredSymbol(s, "unexported", null, null, from.GetValueOrDefault(s)))
                with { Prototype = prototypes.GetValueOrDefault(s), CanonicalPrototype = canonical.GetValueOrDefault(s), Callers = callers.TryGetValue(s, out var c) ? c.ToList() : [] })
            .ToList();

        var modinfo = units.SelectMany(u => u.Metadata.ModInfo).ToList();
        string? Single(string tag) => Values(modinfo, tag).FirstOrDefault();
        var parmTypes = Values(modinfo, "parmtype").Select(SplitParam).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var parmDescs = Values(modinfo, "parm").Select(SplitParam).GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var parameters = parmTypes.Keys.Union(parmDescs.Keys).Order(StringComparer.Ordinal)
            .Select(n => new ModuleParameter(n, parmTypes.GetValueOrDefault(n), parmDescs.GetValueOrDefault(n))).ToList();

        var structures = units.SelectMany(u => u.Metadata.Structures).OrderBy(s => s.Variable, StringComparer.Ordinal).ToList();
        var entry = new EntryPoints
        {
            Init = units.Select(u => u.Metadata.Init).FirstOrDefault(x => x is not null),
            Exit = units.Select(u => u.Metadata.Exit).FirstOrDefault(x => x is not null),
            Drivers = structures.Where(IsDriver).ToList(),
            Ops = structures.Where(s => !IsDriver(s)).ToList(),
        };

        var errors = unitErrors.Concat(units.SelectMany(u => u.Errors.Select(e => e))).ToList();
        return new ModuleInfo
        {
            Name = module.Name,
            Directory = module.Directory,
            Config = module.ConfigSymbol,
            Status = errors.Count == 0 ? "ok" : "error",
            Errors = errors,
            Sources = Sources(module, units, tree),
            License = Single("license"),
            Authors = Values(modinfo, "author").ToList(),
            Description = Single("description"),
            Version = Single("version"),
            Firmware = Values(modinfo, "firmware").Distinct().Order(StringComparer.Ordinal).ToList(),
            Parameters = parameters,
            Requires = requires,
            Exports = units.SelectMany(u => u.Metadata.Exports).OrderBy(e => e.Symbol, StringComparer.Ordinal).ToList(),
            Entry = entry,
            PciIds = units.SelectMany(u => u.Metadata.PciIds).Select(Format).Distinct().ToList(),
        };
    }

    /// <summary>A module that could not be assembled: named, with the reason, and nothing claimed about it.</summary>
    public static ModuleInfo Failed(KbuildModule module, string error) => new()
    {
        Name = module.Name,
        Directory = module.Directory,
        Config = module.ConfigSymbol,
        Status = "error",
        Errors = [error],
        Sources = module.Sources.Select(s => new SourceFile(s, "source", null, "")).ToList(),
        Requires = [],
        Entry = new EntryPoints(),
    };

    private static bool IsDriver(EntryStructure s) =>
        s.Type.EndsWith("_driver", StringComparison.Ordinal) && !s.Type.EndsWith("device_driver", StringComparison.Ordinal)
        || s.Type == "struct device_driver";

    private static IEnumerable<string> Values(List<string> modinfo, string tag) =>
        modinfo.Where(m => m.StartsWith(tag + "=", StringComparison.Ordinal)).Select(m => m[(tag.Length + 1)..]);

    private static (string Name, string Value) SplitParam(string s)
    {
        int colon = s.IndexOf(':');
        return colon < 0 ? (s, "") : (s[..colon], s[(colon + 1)..]);
    }

    private static string Hex(uint v, int digits) => v == uint.MaxValue ? "any" : v.ToString("x" + digits, CultureInfo.InvariantCulture);

    private static PciDeviceId Format(PciId id) => new(
        Hex(id.Vendor, 4), Hex(id.Device, 4),
        id.Subvendor == uint.MaxValue ? null : Hex(id.Subvendor, 4),
        id.Subdevice == uint.MaxValue ? null : Hex(id.Subdevice, 4),
        id.ClassMask == 0 ? null : Hex(id.Class, 6) + "/" + Hex(id.ClassMask, 6),
        id.DriverData);

    /// <summary>Compiled sources, then the local headers they include (files under the module's directory).</summary>
    private static List<SourceFile> Sources(KbuildModule module, IReadOnlyList<UnitResult> units, KernelTree tree)
    {
        var list = new List<SourceFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in module.Sources)
            if (seen.Add(s))
                list.Add(Describe(s, "source", tree));
        string prefix = module.Directory.TrimEnd('/') + "/";
        foreach (var input in units.SelectMany(u => u.Inputs).Distinct().Order(StringComparer.Ordinal))
            if (input.StartsWith(prefix, StringComparison.Ordinal) && !Path.IsPathRooted(input) && seen.Add(input) && tree.FileExists(input))
                list.Add(Describe(input, input.EndsWith(".c", StringComparison.Ordinal) ? "source" : "header", tree));
        return list;
    }

    private static SourceFile Describe(string path, string role, KernelTree tree)
    {
        if (!tree.FileExists(path))
            return new SourceFile(path, role, null, "");
        return new SourceFile(path, role, SpdxReader.Read(tree.ReadFile(path)), tree.BlobId(path));
    }
}
