// SPDX-License-Identifier: MIT
// Managed side. What GCC does with its builtins at -O2 for x86-64 kernel code: which fold away,
// which expand inline, and which become calls to the C library function of the same name.
namespace LinuxShim.Import.Analysis;

internal static class Builtins
{
    /// <summary>Constant sizes up to this expand inline (rep movs/stos) rather than calling memcpy/memset.</summary>
    public const long InlineStringOpLimit = 8192;

    public static bool IsBuiltin(string name) =>
        name.StartsWith("__builtin_", StringComparison.Ordinal)
        || name.StartsWith("__atomic_", StringComparison.Ordinal)
        || name.StartsWith("__sync_", StringComparison.Ordinal);

    // Library functions GCC treats as builtins (the x86-64 kernel is not built -ffreestanding),
    // with the index of their size argument.
    private static readonly Dictionary<string, int> SizedStringOps = new(StringComparer.Ordinal)
    {
        ["memcpy"] = 2,
        ["memmove"] = 2,
        ["memset"] = 2,
    };

    /// <summary>The library function a __builtin_X call compiles to, or null when it folds or expands inline.</summary>
    public static string? LibraryCallOf(string builtin, long?[] args)
    {
        string name = builtin["__builtin_".Length..];
        if (!SizedStringOps.TryGetValue(name, out int sizeIndex))
            return null;
        return sizeIndex < args.Length && args[sizeIndex] is long size && size <= InlineStringOpLimit ? null : name;
    }

    /// <summary>True when a direct call of a library function is expanded inline by the compiler.</summary>
    public static bool LibraryFunctionInlined(string name, long?[] args) =>
        SizedStringOps.TryGetValue(name, out int sizeIndex)
        && sizeIndex < args.Length && args[sizeIndex] is long size && size <= InlineStringOpLimit;
}
