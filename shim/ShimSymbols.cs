// SPDX-License-Identifier: MIT
// Managed side. The kernel symbols the shim implements, read from its code: every [KernelSymbol]
// on a type or member of the shim's assemblies, and every SHIM_SYMBOL marker of its native C.
using System.Reflection;

namespace LinuxShim.Shim;

public static class ShimSymbols
{
    private const BindingFlags Members = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;

    /// <summary>Symbols implemented by <paramref name="assemblies"/> (default: the shim itself, with its native C).</summary>
    public static SortedSet<string> Implemented(params Assembly[] assemblies)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (assemblies.Length == 0)
        {
            assemblies = [typeof(ShimSymbols).Assembly];
            names.UnionWith(NativeSources.Symbols());
        }
        foreach (var assembly in assemblies)
            foreach (var mark in Marks(assembly))
                names.Add(mark.Name);
        return names;
    }

    /// <summary>
    /// Every [KernelSymbol] of <paramref name="assembly"/>: the symbol, the type that carries it or declares the
    /// member that does, and that member (null when the mark is on the type). The one reading of the marks that
    /// coverage, the licence inventory and the driver host's entry points share.
    /// </summary>
    public static IEnumerable<(string Name, Type Type, MemberInfo? Member)> Marks(Assembly assembly)
    {
        foreach (var type in assembly.GetTypes())
        {
            foreach (var a in type.GetCustomAttributes<KernelSymbolAttribute>())
                yield return (a.Name, type, null);
            foreach (var member in type.GetMembers(Members))
                foreach (var a in member.GetCustomAttributes<KernelSymbolAttribute>())
                    yield return (a.Name, type, member);
        }
    }

    /// <summary>
    /// Who implements each kernel symbol the shim provides: the C# class (its source file, from its namespace)
    /// or the native C file linked into every driver .so, which wins over a managed entry point of the same name.
    /// What the licence report's inventory lists.
    /// </summary>
    public static SortedDictionary<string, SymbolOwner> Owners()
    {
        var owners = new SortedDictionary<string, SymbolOwner>(StringComparer.Ordinal);
        var assembly = typeof(ShimSymbols).Assembly;
        foreach (var (symbol, type, _) in Marks(assembly))
        {
            var owner = type;
            while (owner.DeclaringType is { } outer)
                owner = outer;
            string ns = owner.Namespace ?? "";
            string file = "shim/" + (ns.Length > "LinuxShim.Shim".Length ? ns["LinuxShim.Shim.".Length..].Replace('.', '/') + "/" : "") + owner.Name + ".cs";
            owners[symbol] = new SymbolOwner($"{owner.FullName} ({assembly.GetName().Name}.dll)", file, Native: false);
        }
        foreach (var name in NativeSources.Names.Where(NativeSources.IsNativeSource))
            foreach (var symbol in NativeSources.Markers(NativeSources.Read(name)))
                owners[symbol] = new SymbolOwner("native runtime (linked into the driver .so)", "shim/" + name, Native: true);
        return owners;
    }
}

/// <summary>What implements a kernel symbol: a component's name, its source file in the repository, and whether it is native C.</summary>
public sealed record SymbolOwner(string Component, string File, bool Native);
