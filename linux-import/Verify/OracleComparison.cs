// SPDX-License-Identifier: MIT
// Managed side. Compares the importer's requires of each module with the Kbuild oracle: recall and precision.
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Verify;

public sealed record ModuleComparison(string Module, int Truth, int Predicted, IReadOnlyList<string> Missing, IReadOnlyList<string> Extra)
{
    public int Correct => Truth - Missing.Count;
    public double Recall => Truth == 0 ? 1 : (double)Correct / Truth;
    public double Precision => Predicted == 0 ? 1 : (double)Correct / Predicted;
}

public static class OracleComparison
{
    public static List<ModuleComparison> Compare(ImportModel model, IReadOnlyDictionary<string, SortedSet<string>> oracle)
    {
        var list = new List<ModuleComparison>();
        foreach (var module in model.Modules)
        {
            var predicted = module.Requires.Select(r => r.Symbol).ToHashSet(StringComparer.Ordinal);
            if (!oracle.TryGetValue(module.Name, out var truth))
            {
                list.Add(new ModuleComparison(module.Name, 0, predicted.Count, [], ["(Kbuild built no " + module.Name + ".ko)"]));
                continue;
            }
            list.Add(new ModuleComparison(module.Name, truth.Count, predicted.Count,
                truth.Where(s => !predicted.Contains(s)).ToList(),
                predicted.Where(s => !truth.Contains(s)).Order(StringComparer.Ordinal).ToList()));
        }
        foreach (var name in oracle.Keys.Where(k => model.Modules.All(m => m.Name != k)))
            list.Add(new ModuleComparison(name, oracle[name].Count, 0, oracle[name].ToList(), []));
        return list;
    }
}
