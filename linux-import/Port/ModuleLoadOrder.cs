// SPDX-License-Identifier: MIT
// Managed side. The order in which a port's modules are loaded, and which of their requirements one
// of them provides: as modprobe does from modules.dep, every module comes after the modules whose
// exports it uses (read from the Import Model: a requirement whose provider is another module), and
// as the kernel's loader does (kernel/module/main.c: verify_namespace_is_imported), a symbol exported
// into a namespace resolves only for a module that imports that namespace.
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Port;

public static class ModuleLoadOrder
{
    /// <summary>The path Module.symvers names a module by (drivers/net/ethernet/8390/8390), as the Import Model's providers do.</summary>
    public static string ProviderName(ModuleInfo module) => module.Directory + "/" + module.Name;

    /// <summary>
    /// <paramref name="modules"/> (the driver first, as the recipe lists them) in load order: providers before
    /// their users, otherwise the recipe's order reversed (the driver last). Fails naming the module to add when
    /// a requirement's provider is a module the port does not load, and on a dependency cycle (which the kernel
    /// refuses too).
    /// </summary>
    public static IReadOnlyList<ModuleInfo> Order(IReadOnlyList<ModuleInfo> modules)
    {
        var byProvider = modules.ToDictionary(ProviderName, StringComparer.Ordinal);
        var needs = new Dictionary<ModuleInfo, HashSet<ModuleInfo>>();
        var absent = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var m in modules)
        {
            needs[m] = [];
            foreach (var r in m.Requires)
            {
                if (r.Provider is null or "vmlinux")
                    continue;
                if (byProvider.TryGetValue(r.Provider, out var provider))
                {
                    if (provider != m)
                        needs[m].Add(provider);
                }
                else
                {
                    if (!absent.TryGetValue(r.Provider, out var symbols))
                        absent[r.Provider] = symbols = new SortedSet<string>(StringComparer.Ordinal);
                    symbols.Add(r.Symbol);
                }
            }
        }
        if (absent.Count > 0)
            throw new ImportException("the port's modules need exports of modules it does not load: "
                + string.Join("; ", absent.Select(a => $"{a.Key} ({string.Join(", ", a.Value.Take(6))}{(a.Value.Count > 6 ? ", …" : "")}):"
                    + $" add 'directory = {a.Key[..Math.Max(a.Key.LastIndexOf('/'), 0)]}' and 'module = {a.Key[(a.Key.LastIndexOf('/') + 1)..]}'")));

        var order = new List<ModuleInfo>();
        var pending = modules.Reverse().ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(m => needs[m].All(order.Contains))
                ?? throw new ImportException($"the port's modules depend on each other in a cycle: {string.Join(", ", pending.Select(m => m.Name))}");
            order.Add(next);
            pending.Remove(next);
        }
        return order;
    }

    /// <summary>
    /// The requirements of <paramref name="module"/> that another of the port's modules exports into a namespace
    /// <paramref name="imports"/> (the module's MODULE_IMPORT_NS, from its .modinfo) lacks: the kernel refuses to load it.
    /// </summary>
    public static IReadOnlyList<string> UnimportedNamespaces(ModuleInfo module, IReadOnlyList<ModuleInfo> modules, IReadOnlySet<string> imports)
    {
        var providers = modules.Select(ProviderName).ToHashSet(StringComparer.Ordinal);
        return module.Requires
            .Where(r => r.Provider is not null && providers.Contains(r.Provider) && !string.IsNullOrEmpty(r.Namespace) && !imports.Contains(r.Namespace))
            .Select(r => $"{r.Symbol} (namespace {r.Namespace})").ToList();
    }
}
