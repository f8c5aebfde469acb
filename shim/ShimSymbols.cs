// SPDX-License-Identifier: MIT
// Managed side. The kernel symbols the shim implements, read from its code: every [KernelSymbol]
// on a type or member of the shim's assemblies, and every SHIM_SYMBOL marker of its native C.
using System.Reflection;

namespace LinuxShim.Shim;

public static class ShimSymbols
{
    private const BindingFlags Members = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>Symbols implemented by <paramref name="assemblies"/> (default: the shim itself).</summary>
    public static SortedSet<string> Implemented(params Assembly[] assemblies)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (assemblies.Length == 0)
        {
            assemblies = [typeof(ShimSymbols).Assembly];
            names.UnionWith(NativeSources.Symbols());
        }
        foreach (var assembly in assemblies)
        {
            foreach (var type in assembly.GetTypes())
            {
                foreach (var a in type.GetCustomAttributes<KernelSymbolAttribute>())
                    names.Add(a.Name);
                foreach (var member in type.GetMembers(Members))
                    foreach (var a in member.GetCustomAttributes<KernelSymbolAttribute>())
                        names.Add(a.Name);
            }
        }
        return names;
    }
}
