// SPDX-License-Identifier: MIT
// Managed side. Compares two Import Models of the same directory on two kernels, module by module
// (see KernelDiff), and adds up the changes across the tree.
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Diff;

public static class ModelDiffer
{
    /// <summary>A port as the diff needs it: its name, module and directory, and which kernels it names.</summary>
    public sealed record Port(string Name, string Module, string Directory, bool SupportsOld, bool SupportsNew);

    /// <param name="implemented">The kernel symbols the shim implements.</param>
    /// <param name="ports">Ports whose module to look up; <paramref name="portModules"/> gives a port's module
    /// on each kernel when the scans of <paramref name="old"/> and <paramref name="new"/> do not hold it.</param>
    /// <param name="companionExports">What the other modules a port loads beside its driver export on each kernel
    /// (8390 for ne2k-pci): not lacking, since the port brings them.</param>
    public static KernelDiff Compare(ImportModel old, ImportModel @new, IReadOnlySet<string> implemented,
        IReadOnlyList<Port>? ports = null, Func<Port, (ModuleInfo? Old, ModuleInfo? New)>? portModules = null,
        Func<Port, (IReadOnlySet<string> Old, IReadOnlySet<string> New)>? companionExports = null)
    {
        var pairs = Pair(old.Modules, @new.Modules, out var onlyOld, out var onlyNew);
        var diffs = new List<ModuleDiff>();
        foreach (var (o, n) in pairs)
            diffs.Add(CompareModule(o, n));
        var changed = diffs.Where(d => !d.IsEmpty).ToList();
        var changes = TreeChanges(changed);
        ChangeCounts Count(Func<string, int> of) =>
            new(of("added"), of("removed"), of("renamed"), of("prototype"), of("export"));

        var portDiffs = new List<PortDiff>();
        foreach (var port in ports ?? [])
        {
            var (po, pn) = (Find(old, port), Find(@new, port));
            if ((po is null || pn is null) && portModules is not null)
            {
                var (fo, fn) = portModules(port);
                po ??= fo;
                pn ??= fn;
            }
            var (providedOld, providedNew) = companionExports?.Invoke(port) ?? (new HashSet<string>(), new HashSet<string>());
            IReadOnlyList<string>? Lacks(ModuleInfo? m, IReadOnlySet<string> provided) =>
                m?.Requires.Select(r => r.Symbol).Where(s => !implemented.Contains(s) && !provided.Contains(s)).ToList();
            var renamed = po is not null && pn is not null
                ? CompareModule(po, pn).Renamed.Select(r => $"{r.Old} → {r.New}").ToList()
                : [];
            portDiffs.Add(new PortDiff(port.Name, port.Module, port.Directory, port.SupportsOld, port.SupportsNew, Lacks(po, providedOld), Lacks(pn, providedNew), renamed));
        }

        return new KernelDiff
        {
            Old = old.Kernel,
            New = @new.Kernel,
            Scope = @new.Scope,
            Modules = changed,
            ModulesAdded = onlyNew.Select(Id).Order(StringComparer.Ordinal).ToList(),
            ModulesRemoved = onlyOld.Select(Id).Order(StringComparer.Ordinal).ToList(),
            Changes = changes,
            Ports = portDiffs,
            Totals = new DiffTotals
            {
                ModulesOld = old.Modules.Count,
                ModulesNew = @new.Modules.Count,
                ModulesCompared = pairs.Count,
                ModulesChanged = changed.Count,
                ModulesAdded = onlyNew.Count,
                ModulesRemoved = onlyOld.Count,
                ModulesWithErrors = diffs.Count(d => d.Status != "ok"),
                PerModule = Count(kind => changes.Where(c => c.Kind == kind).Sum(c => c.Modules.Count)),
                Distinct = Count(kind => changes.Count(c => c.Kind == kind)),
            },
        };
    }

    private static string Id(ModuleInfo m) => m.Directory + "/" + m.Name;

    private static ModuleInfo? Find(ImportModel model, Port port) =>
        model.Modules.FirstOrDefault(m => m.Name == port.Module && m.Directory == port.Directory);

    /// <summary>Modules of both kernels: same directory and name first, then the same name once elsewhere (moved).</summary>
    private static List<(ModuleInfo Old, ModuleInfo New)> Pair(IReadOnlyList<ModuleInfo> old, IReadOnlyList<ModuleInfo> @new,
        out List<ModuleInfo> onlyOld, out List<ModuleInfo> onlyNew)
    {
        var byId = @new.GroupBy(Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var pairs = new List<(ModuleInfo, ModuleInfo)>();
        var used = new HashSet<ModuleInfo>(ReferenceEqualityComparer.Instance);
        var unmatched = new List<ModuleInfo>();
        foreach (var o in old)
        {
            if (byId.TryGetValue(Id(o), out var n) && used.Add(n))
                pairs.Add((o, n));
            else
                unmatched.Add(o);
        }
        onlyOld = [];
        foreach (var o in unmatched)
        {
            var moved = @new.Where(n => n.Name == o.Name && !used.Contains(n)).ToList();
            if (moved.Count == 1 && unmatched.Count(u => u.Name == o.Name) == 1)
            {
                used.Add(moved[0]);
                pairs.Add((o, moved[0]));
            }
            else
            {
                onlyOld.Add(o);
            }
        }
        onlyNew = @new.Where(n => !used.Contains(n)).ToList();
        return pairs.OrderBy(p => p.Item2.Directory, StringComparer.Ordinal).ThenBy(p => p.Item2.Name, StringComparer.Ordinal).ToList();
    }

    public static ModuleDiff CompareModule(ModuleInfo old, ModuleInfo @new)
    {
        var o = old.Requires.ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        var n = @new.Requires.ToDictionary(r => r.Symbol, StringComparer.Ordinal);
        var removed = old.Requires.Where(r => !n.ContainsKey(r.Symbol)).ToList();
        var added = @new.Requires.Where(r => !o.ContainsKey(r.Symbol)).ToList();
        var renamed = RenameMatcher.Match(removed, added);
        var renamedOld = renamed.Select(r => r.Old).ToHashSet(StringComparer.Ordinal);
        var renamedNew = renamed.Select(r => r.New).ToHashSet(StringComparer.Ordinal);

        var prototypes = new List<PrototypeChange>();
        var exports = new List<ExportChange>();
        foreach (var r in @new.Requires)
        {
            if (!o.TryGetValue(r.Symbol, out var before))
                continue;
            // Compared with typedefs resolved: u64 (void) is unsigned long long (void).
            if (before.Prototype is { } p0 && r.Prototype is { } p1
                && Normalize(before.CanonicalPrototype ?? p0) != Normalize(r.CanonicalPrototype ?? p1))
                prototypes.Add(new PrototypeChange(r.Symbol, p0, p1));
            if (before.Export != r.Export || before.Provider != r.Provider || before.Namespace != r.Namespace)
                exports.Add(new ExportChange(r.Symbol, before.Export, r.Export, before.Provider, r.Provider, before.Namespace, r.Namespace));
        }
        return new ModuleDiff
        {
            Name = @new.Name,
            Directory = @new.Directory,
            OldDirectory = old.Directory == @new.Directory ? null : old.Directory,
            Status = old.Status == "ok" && @new.Status == "ok" ? "ok" : "error",
            RequiresOld = old.Requires.Count,
            RequiresNew = @new.Requires.Count,
            Added = added.Select(r => r.Symbol).Where(s => !renamedNew.Contains(s)).ToList(),
            Removed = removed.Select(r => r.Symbol).Where(s => !renamedOld.Contains(s)).ToList(),
            Renamed = renamed,
            Prototypes = prototypes,
            Exports = exports,
        };
    }

    private static string Normalize(string prototype) => string.Join(' ', prototype.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The changes of every module, grouped by what changed: one row per symbol, rename, prototype or export change.</summary>
    private static List<TreeChange> TreeChanges(List<ModuleDiff> modules)
    {
        var rows = new Dictionary<(string Kind, string Symbol, string? Detail), List<string>>();
        void Add(string kind, string symbol, string? detail, ModuleDiff m)
        {
            if (!rows.TryGetValue((kind, symbol, detail), out var list))
                rows[(kind, symbol, detail)] = list = [];
            list.Add(m.Name);
        }
        foreach (var m in modules)
        {
            foreach (var s in m.Added)
                Add("added", s, null, m);
            foreach (var s in m.Removed)
                Add("removed", s, null, m);
            foreach (var r in m.Renamed)
                Add("renamed", r.Old, r.New, m);
            foreach (var p in m.Prototypes)
                Add("prototype", p.Symbol, $"{p.Old} → {p.New}", m);
            foreach (var e in m.Exports)
                Add("export", e.Symbol, $"{e.OldExport} ({e.OldProvider ?? "-"}) → {e.NewExport} ({e.NewProvider ?? "-"})", m);
        }
        return rows.Select(kv => new TreeChange(kv.Key.Kind, kv.Key.Symbol, kv.Key.Detail, kv.Value.Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(c => c.Modules.Count).ThenBy(c => c.Kind, StringComparer.Ordinal).ThenBy(c => c.Symbol, StringComparer.Ordinal)
            .ThenBy(c => c.Detail, StringComparer.Ordinal).ToList();
    }
}
