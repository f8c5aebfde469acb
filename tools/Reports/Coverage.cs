// SPDX-License-Identifier: MIT
// Managed side. Computes a scan's coverage against the shim's implemented symbols, and the greedy
// plan: repeatedly take the module that needs the fewest symbols not yet planned.
using LinuxShim.Import.Model;

namespace LinuxShim.Tools.Reports;

public static class Coverage
{
    public const int MaxPlanSteps = 100;

    public static CoverageReport Compute(ImportModel model, IReadOnlySet<string> implemented)
    {
        var modules = model.Modules.Select(m =>
        {
            var missing = m.Requires.Select(r => r.Symbol).Where(s => !implemented.Contains(s)).ToList();
            return new ModuleCoverage(m.Name, m.Directory, m.Requires.Count, m.Requires.Count - missing.Count, missing,
                missing.Count == 0 && m.Status == "ok");
        }).ToList();

        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in model.Modules.SelectMany(m => m.Requires))
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
        };
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
