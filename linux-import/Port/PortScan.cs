// SPDX-License-Identifier: MIT
// Managed side. The Import Model of a port: every module its recipe loads, as one scan of them, so
// coverage, licence reports and the build see the port as the modules it is made of.
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Port;

public static class PortScan
{
    /// <summary>The modules of <paramref name="recipe"/>, the driver first; scope "port NAME".</summary>
    public static ImportModel Scan(Importer importer, PortRecipe recipe, Action<string>? log = null)
    {
        ImportModel? first = null;
        var modules = new List<ModuleInfo>();
        foreach (var m in recipe.Modules)
        {
            log?.Invoke($"analysing {m.Directory} module {m.Name}");
            var model = importer.Scan(m.Directory, parallelism: 0, module: m.Name);
            first ??= model;
            modules.AddRange(model.Modules);
        }
        return first! with { Scope = "port " + recipe.Name, Modules = modules };
    }

    /// <summary>The modules of the port among <paramref name="modules"/> (a scan that holds them), the driver first.</summary>
    public static IReadOnlyList<ModuleInfo> Of(PortRecipe recipe, IEnumerable<ModuleInfo> modules) =>
        recipe.Modules.Select(p => modules.First(m => m.Name == p.Name && m.Directory == p.Directory)).ToList();

    /// <summary>True when <paramref name="modules"/> holds every module of the port.</summary>
    public static bool Holds(PortRecipe recipe, IEnumerable<ModuleInfo> modules) =>
        recipe.Modules.All(p => modules.Any(m => m.Name == p.Name && m.Directory == p.Directory));
}
