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

    public static bool IsOverflowCheck(string name) =>
        name is "__builtin_add_overflow" or "__builtin_sub_overflow" or "__builtin_mul_overflow";

    // Library functions GCC treats as builtins (the x86-64 kernel is not built -ffreestanding),
    // with the index of their size argument.
    private static readonly Dictionary<string, int> SizedStringOps = new(StringComparer.Ordinal)
    {
        ["memcpy"] = 2,
        ["memset"] = 2,
    };

    // String functions GCC folds only when every argument is a compile-time constant.
    private static readonly HashSet<string> StringFunctions = new(StringComparer.Ordinal)
    {
        "memmove", "memcmp", "bcmp", "memchr", "strlen", "strnlen", "strcpy", "strncpy", "strcat", "strncat",
        "strcmp", "strncmp", "strchr", "strrchr", "strstr", "strspn", "strcspn", "strpbrk", "stpcpy",
    };

    /// <summary>The library function a __builtin_X call compiles to, or null when it folds or expands inline.</summary>
    public static string? LibraryCallOf(string builtin, long?[] args)
    {
        string name = builtin["__builtin_".Length..];
        if (!SizedStringOps.ContainsKey(name) && !StringFunctions.Contains(name))
            return null;
        return LibraryFunctionInlined(name, args) ? null : name;
    }

    /// <summary>True when a call of a C library function is folded or expanded inline by the compiler.</summary>
    public static bool LibraryFunctionInlined(string name, long?[] args)
    {
        if (SizedStringOps.TryGetValue(name, out int sizeIndex))
            return sizeIndex < args.Length && args[sizeIndex] is long size && size <= InlineStringOpLimit;
        return StringFunctions.Contains(name) && Array.TrueForAll(args, a => a is not null);
    }
}
