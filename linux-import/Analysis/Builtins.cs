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

    /// <summary>A library function GCC knows as a builtin (memcpy, strlen…): expanded, folded or called, never a call
    /// that may not return, so not one that starts a block's calls (Reachability.Likelihood).</summary>
    public static bool IsLibraryBuiltin(string name) => SizedStringOps.ContainsKey(name) || StringFunctions.Contains(name) || OtherLibraryBuiltins.Contains(name);

    // The rest of GCC's library builtins a driver calls (gcc-12: sprintf, snprintf, strlen and abs before a cold call
    // leave its block unlikely, as no call there does).
    private static readonly HashSet<string> OtherLibraryBuiltins = new(StringComparer.Ordinal)
    {
        "sprintf", "snprintf", "vsprintf", "vsnprintf", "sscanf", "vsscanf", "abs", "labs", "llabs",
    };

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
    /// <param name="literals">For each argument, the text of the string literal it points to, if known.</param>
    public static string? LibraryCallOf(string builtin, long?[] args, string?[] literals, bool zeroTested = false, long?[]? upper = null,
        bool sizeOptimized = false)
    {
        string name = builtin["__builtin_".Length..];
        if (!SizedStringOps.ContainsKey(name) && !StringFunctions.Contains(name))
            return null;
        return CallEmitted(name, args, literals, zeroTested, upper, sizeOptimized: sizeOptimized);
    }

    /// <summary>
    /// True for the library calls GCC expands inline, whatever their size, in a function it optimizes for size: memcpy
    /// and memset become rep movs and rep stos there (a size not known, or beyond <see cref="InlineStringOpLimit"/>, too),
    /// where elsewhere they are calls. memmove stays a call, and memcmp does but for an equality compare of 1, 2, 4 or 8 bytes. gcc-12 -O2, the kernel's flags.
    /// </summary>
    public static bool InlineWhenSizeOptimized(string name) => SizedStringOps.ContainsKey(name);

    /// <summary>
    /// The library function GCC calls for a call of <paramref name="name"/> (itself, or the one it rewrites
    /// the call into), or null when the call folds or expands inline.
    /// </summary>
    /// <param name="zeroTested">The call's value is only compared with zero.</param>
    /// <param name="upper">For arguments of unknown value, the largest value GCC's value ranges give them.</param>
    /// <param name="valueUnused">The call stands as a statement.</param>
    /// <param name="sizeOptimized">The call is in a function GCC optimizes for size (a cold one, Reachability.SizeOptimized).</param>
    public static string? CallEmitted(string name, long?[] args, string?[] literals, bool zeroTested = false, long?[]? upper = null,
        bool valueUnused = true, bool sizeOptimized = false)
    {
        if (sizeOptimized && InlineWhenSizeOptimized(name))
            return null;
        // memcpy(d, s, min(n, 64)): a size GCC bounds expands inline as a constant one does (gcc-12 -O2, kernel flags).
        if (upper is not null && SizedStringOps.TryGetValue(name, out int sized) && sized < upper.Length
            && Bound.Magnitude(upper[sized]) is long bound && bound <= InlineStringOpLimit)
            return null;
        // Optimized for size, an equality compare is inline only as one load of each side (1, 2, 4 or 8 bytes).
        if (name is "memcmp" or "bcmp" && args.Length == 3 && args[2] is long size
            && (size <= 1 || zeroTested && (sizeOptimized ? size is 2 or 4 or 8 : ComparedInRegisters(size))))
            return null;
        if (PrintsLiteral(name, args, literals) is { } literal)
        {
            // A literal whose length GCC knows: sprintf(d, "text"), snprintf(d, n, "text") that fits, and either with
            // "%s" and a literal, are strcpy(d, "text") (gimple-fold.cc), their value that length. In a function
            // optimized for size (cold: __init, __exit, __cold, and a static called only from those; see
            // Reachability.SizeOptimized) that strcpy stays a call; elsewhere it is a copy of known size, inline.
            // gcc-12 -O2, the kernel's flags.
            if (literal)
                return sizeOptimized ? "strcpy" : null;
            // sprintf(d, "%s", s) is strcpy(d, s), when its value (the length) is not used (usblp's
            // "return sprintf(buf, "%s", …)" stays sprintf).
            if (name == "sprintf")
                return valueUnused ? "strcpy" : name;
        }
        if (name is "strcmp" or "strncmp" && literals.Length >= 2)
            return StringCompare(name, args, literals);
        if (LiteralRewrite(name, args, literals) is { } rewritten)
            return rewritten.Length == 0 ? null : rewritten;
        return LibraryFunctionInlined(name, args, literals) ? null : name;
    }

    /// <summary>
    /// For sprintf(d, FORMAT…) and snprintf(d, n, FORMAT…), which GCC may turn into strcpy: true when what they print
    /// is a literal (a format without conversions, or "%s" and a literal) that snprintf's constant n holds with its
    /// terminator; false for sprintf's "%s" of anything else; null for every other call.
    /// </summary>
    private static bool? PrintsLiteral(string name, long?[] args, string?[] literals)
    {
        int format = name switch { "sprintf" => 1, "snprintf" => 2, _ => -1 };
        if (format < 0 || literals.Length < format + 1 || literals[format] is not { } text)
            return null;
        string? printed = !text.Contains('%') && literals.Length == format + 1 ? text
            : text == "%s" && literals.Length == format + 2 ? literals[format + 1]
            : null;
        if (printed is null)
            return name == "sprintf" && text == "%s" && literals.Length == format + 2 ? false : null;
        if (name == "snprintf" && !(args[1] is long n && n > System.Text.Encoding.UTF8.GetByteCount(printed)))
            return null;
        return true;
    }

    /// <summary>
    /// GCC's folds of string functions whose second argument is a literal (gimple-fold.cc), for a first
    /// argument it does not know: strpbrk(s, ":") and strstr(s, ":") are strchr(s, ':'), strpbrk/strstr/strspn
    /// with "" and strcat(d, "") fold away, strcspn(s, "") is strlen(s), strchr(s, 0) and strrchr(s, 0) are
    /// s + strlen(s), strcat(d, " Switch") is strlen(d) and a copy of known size. "" for folded, null for no
    /// rewrite. Each checked with gcc-12 -O2 and the kernel's x86-64 flags (aloop's strpbrk(str, ":")).
    /// </summary>
    private static string? LiteralRewrite(string name, long?[] args, string?[] literals)
    {
        if (literals.Length < 2 || literals[0] is not null)
            return null;
        if (name is "strchr" or "strrchr" && args[1] == 0)
            return "strlen";
        if (literals[1] is not { } literal)
            return null;
        int length = System.Text.Encoding.UTF8.GetByteCount(literal);
        return (name, length) switch
        {
            ("strpbrk" or "strstr" or "strspn" or "strcat", 0) => "",
            ("strpbrk" or "strstr", 1) => "strchr",
            ("strcspn", 0) => "strlen",
            ("strcat", _) => "strlen",
            _ => null,
        };
    }

    /// <summary>
    /// A memcmp whose value is only compared with zero that gcc-12 -O2 expands inline with the kernel's x86-64 flags
    /// (-mno-sse -mcmodel=kernel): one it compares in at most four loads of each side, 8, 4, 2 and 1 bytes wide and
    /// not overlapping (size / 8 + the set bits of size % 8), so !memcmp(a, b, 32), (…, 28) and (…, 22) compare in
    /// registers while (…, 23), (…, 29), (…, 31) and (…, 33) call memcmp (hid-lenovo's 29-byte report descriptor
    /// check); a memcmp whose sign is used is a call from 2 bytes on. Checked by compiling every size from 1 to 64.
    /// </summary>
    private static bool ComparedInRegisters(long size) =>
        size >= 0 && size / 8 + System.Numerics.BitOperations.PopCount((ulong)(size % 8)) <= 4;

    /// <summary>
    /// strcmp and strncmp against a literal, as gcc-12 -O2 compiles them (gimple-fold.cc's
    /// gimple_fold_builtin_string_compare): strncmp with a bound beyond the literal's length is strcmp.
    /// Checked with gcc-12: strncmp(s, "abcdef", 10) calls strcmp, strncmp(s, "abcdef", 6) strncmp.
    /// GCC also expands comparisons of up to 3 bytes inline in plain C (strcmp(s, "ab")), but in the kernel it
    /// kept sunhme's strncmp(dev->name, "eth", 3): without evidence of when it does, the call is kept.
    /// </summary>
    private static string? StringCompare(string name, long?[] args, string?[] literals)
    {
        if (Array.TrueForAll(args, a => a is not null) && literals[0] is not null && literals[1] is not null)
            return null;
        long? shortest = null;
        foreach (var literal in literals.Take(2))
            if (literal is not null)
            {
                long length = System.Text.Encoding.UTF8.GetByteCount(literal);
                shortest = shortest is long s ? Math.Min(s, length) : length;
            }
        if (shortest is not long stringLength)
            return name;
        if (name == "strncmp" && args.Length >= 3 && args[2] is long bound && bound > stringLength)
            return "strcmp";
        return name;
    }

    /// <summary>True when a call of a C library function is folded or expanded inline by the compiler.</summary>
    public static bool LibraryFunctionInlined(string name, long?[] args, string?[] literals)
    {
        if (SizedStringOps.TryGetValue(name, out int sizeIndex))
            return sizeIndex < args.Length && args[sizeIndex] is long size && size <= InlineStringOpLimit;
        if (!StringFunctions.Contains(name))
            return false;
        // Copying a literal of known length is a memcpy of known size; the length of a literal is a constant.
        if (name is "strcpy" or "stpcpy" && literals.Length == 2 && literals[1] is not null)
            return true;
        if (name == "strncpy" && literals.Length == 3 && literals[1] is not null && args[2] is not null)
            return true;
        if (name is "strlen" && literals.Length == 1 && literals[0] is not null)
            return true;
        return Array.TrueForAll(args, a => a is not null) && Array.TrueForAll(literals, l => l is not null);
    }
}
