// SPDX-License-Identifier: MIT
// Managed side. Computes a scan's coverage against the shim's implemented symbols, and the greedy
// plan: repeatedly take the module that needs the fewest symbols not yet planned.
using LinuxShim.Import.Model;
using LinuxShim.Import.Port;

namespace LinuxShim.Import.Analysis;

public static class Coverage
{
    public const int MaxPlanSteps = 100;

    /// <summary>
    /// A module links when the shim implements what it takes from vmlinux and every module it takes exports from links
    /// too (a driver host loads them beside it, as ports/ne2k-pci loads 8390; DESIGN D12): a symbol another module
    /// exports is not missing, but what that module misses is missing for its users as well. The providers are the
    /// modules of the scan and <paramref name="outside"/>, upstream modules from elsewhere in the tree imported for
    /// the purpose (<see cref="ImportProviders"/>); a provider that is neither stays missing.
    /// </summary>
    public static CoverageReport Compute(ImportModel model, IReadOnlySet<string> implemented, IReadOnlyList<ModuleInfo>? outside = null)
    {
        outside ??= [];
        var byProvider = new Dictionary<string, ModuleInfo>(StringComparer.Ordinal);
        foreach (var m in model.Modules.Concat(outside))
            byProvider.TryAdd(ModuleLoadOrder.ProviderName(m), m);
        var modules = model.Modules.Select(m =>
        {
            var (missing, failed) = Missing(m, implemented, byProvider);
            int provided = m.Requires.Count(r => !implemented.Contains(r.Symbol) && r.Provider is not null && byProvider.ContainsKey(r.Provider));
            return new ModuleCoverage(m.Name, m.Directory, m.Requires.Count,
                m.Requires.Count(r => implemented.Contains(r.Symbol)) + provided, missing, missing.Count == 0 && !failed);
        }).ToList();

        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in model.Modules.Concat(outside).SelectMany(m => m.Requires))
            exports.TryAdd(r.Symbol, r.Export);
        var blocks = modules.SelectMany(m => m.Missing).GroupBy(s => s, StringComparer.Ordinal)
            .Select(g => new MissingSymbol(g.Key, exports[g.Key], g.Count()))
            .OrderByDescending(x => x.Blocks).ThenBy(x => x.Symbol, StringComparer.Ordinal).ToList();

        return new CoverageReport
        {
            ShimSymbols = implemented.Count,
            ModulesLinking = modules.Count(m => m.Links),
            Modules = modules,
            Missing = blocks,
            Plan = Plan(modules, model.Modules.Where(m => m.Status == "ok").Select(m => (m.Directory, m.Name)).ToHashSet()),
            Providers = outside.Select(p =>
            {
                var (missing, failed) = Missing(p, implemented, byProvider);
                string name = ModuleLoadOrder.ProviderName(p);
                var users = model.Modules.Concat(outside).Where(u => u != p && u.Requires.Any(r => r.Provider == name && !implemented.Contains(r.Symbol)))
                    .Select(u => u.Name).Order(StringComparer.Ordinal).ToList();
                return new ProviderCoverage(p.Name, p.Directory, missing, missing.Count == 0 && !failed, users);
            }).ToList(),
        };
    }

    /// <summary>
    /// The upstream modules outside <paramref name="model"/> that its modules take exports from, and those that these
    /// take exports from in turn, each imported once through <paramref name="import"/> (directory, module name; null
    /// when the tree cannot build it as a module). Only symbols the shim lacks pull a provider in: one whose exports
    /// the shim implements itself is not loaded. vmlinux is never a provider module (the shim stands for it).
    /// </summary>
    public static List<ModuleInfo> ImportProviders(ImportModel model, IReadOnlySet<string> implemented, Func<string, string, ModuleInfo?> import)
    {
        var known = model.Modules.Select(ModuleLoadOrder.ProviderName).ToHashSet(StringComparer.Ordinal);
        var outside = new List<ModuleInfo>();
        var pending = new Queue<ModuleInfo>(model.Modules);
        while (pending.TryDequeue(out var m))
        {
            foreach (var provider in m.Requires.Where(r => !implemented.Contains(r.Symbol) && r.Provider is { } p && p != "vmlinux" && p.Contains('/'))
                         .Select(r => r.Provider!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList())
            {
                if (!known.Add(provider))
                    continue;
                int slash = provider.LastIndexOf('/');
                if (import(provider[..slash], provider[(slash + 1)..]) is not { } imported)
                    continue;
                outside.Add(imported);
                pending.Enqueue(imported);
            }
        }
        return outside;
    }

    /// <summary>What <paramref name="module"/> misses from the shim, with what the modules of the scan it depends on
    /// miss (transitively); and whether one of them failed to parse.</summary>
    private static (List<string> Missing, bool Failed) Missing(ModuleInfo module, IReadOnlySet<string> implemented, Dictionary<string, ModuleInfo> byProvider)
    {
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        bool failed = false;
        var seen = new HashSet<ModuleInfo>();
        var pending = new Stack<ModuleInfo>([module]);
        while (pending.TryPop(out var m))
        {
            if (!seen.Add(m))
                continue;
            failed |= m.Status != "ok";
            foreach (var r in m.Requires)
            {
                if (implemented.Contains(r.Symbol))
                    continue;
                if (r.Provider is not null && byProvider.TryGetValue(r.Provider, out var provider))
                    pending.Push(provider);
                else
                    missing.Add(r.Symbol);
            }
        }
        // The module's own misses first, in its order, as before; then its providers'.
        var own = module.Requires.Select(r => r.Symbol).Where(missing.Contains).Distinct(StringComparer.Ordinal).ToList();
        return ([.. own, .. missing.Where(s => !own.Contains(s))], failed);
    }

    private static List<PlanStep> Plan(List<ModuleCoverage> modules, HashSet<(string, string)> parsed)
    {
        var planned = new HashSet<string>(StringComparer.Ordinal);
        // Modules that failed to parse have incomplete requirements: no plan can promise them.
        var remaining = modules.Where(m => !m.Links && parsed.Contains((m.Directory, m.Name))).ToList();
        var steps = new List<PlanStep>();
        int linked = 0;
        while (remaining.Count > 0 && steps.Count < MaxPlanSteps)
        {
            var next = remaining.OrderBy(m => m.Missing.Count(s => !planned.Contains(s)))
                .ThenBy(m => m.Directory, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal).First();
            var add = next.Missing.Where(planned.Add).Order(StringComparer.Ordinal).ToList();
            var done = remaining.Where(m => m.Missing.All(planned.Contains)).ToList();
            remaining.RemoveAll(done.Contains);
            linked += done.Count;
            steps.Add(new PlanStep(steps.Count + 1, add, done.Select(m => m.Name).Order(StringComparer.Ordinal).ToList(), planned.Count, linked));
        }
        return steps;
    }
}
