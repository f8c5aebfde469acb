// SPDX-License-Identifier: MIT
// Managed side. Which symbols a module stopped requiring were renamed to ones it started requiring.
// A pair must share call sites (a function of the module that calls the old name on the old kernel
// calls the new name on the new one) and be the same kind of symbol, and then also either have related
// names (strscpy → sized_strscpy, __kmalloc → __kmalloc_noprof, system_wq → system_percpu_wq) or be the
// only candidate for each other with exactly the same call sites and parameter count. Pairs are taken
// best first, each symbol at most once.
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Diff;

public static class RenameMatcher
{
    public static List<SymbolRename> Match(IReadOnlyList<RequiredSymbol> removed, IReadOnlyList<RequiredSymbol> added)
    {
        var candidates = new List<(double Score, RequiredSymbol Old, RequiredSymbol New, string Evidence, IReadOnlyList<string> Shared)>();
        var partners = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var o in removed)
            foreach (var n in added)
            {
                var shared = o.Callers.Intersect(n.Callers, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                if (shared.Count == 0 || IsFunction(o) != IsFunction(n))
                    continue;
                partners[o.Symbol] = partners.GetValueOrDefault(o.Symbol) + 1;
                partners["\u0001" + n.Symbol] = partners.GetValueOrDefault("\u0001" + n.Symbol) + 1;
                double callers = (double)shared.Count / o.Callers.Union(n.Callers, StringComparer.Ordinal).Count();
                double names = NameSimilarity(o.Symbol, n.Symbol);
                int? po = ParameterCount(o.Prototype), pn = ParameterCount(n.Prototype);
                bool arity = po is not null && po == pn;
                var evidence = new List<string> { shared.Count == 1 ? "1 shared call site" : $"{shared.Count} shared call sites" };
                if (callers == 1)
                    evidence[0] = "same call sites";
                if (names >= RelatedNames)
                    evidence.Add("related names");
                if (arity)
                    evidence.Add($"same parameter count ({po})");
                candidates.Add((callers + names + (arity ? 0.5 : 0), o, n, string.Join(", ", evidence), shared));
            }

        var taken = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<SymbolRename>();
        foreach (var c in candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Old.Symbol, StringComparer.Ordinal).ThenBy(c => c.New.Symbol, StringComparer.Ordinal))
        {
            if (taken.Contains(c.Old.Symbol) || taken.Contains("\u0001" + c.New.Symbol))
                continue;
            bool related = NameSimilarity(c.Old.Symbol, c.New.Symbol) >= RelatedNames;
            bool alone = partners[c.Old.Symbol] == 1 && partners["\u0001" + c.New.Symbol] == 1
                         && c.Old.Callers.SequenceEqual(c.New.Callers, StringComparer.Ordinal)
                         && ParameterCount(c.Old.Prototype) is { } p && p == ParameterCount(c.New.Prototype);
            if (!related && !alone)
                continue;
            taken.Add(c.Old.Symbol);
            taken.Add("\u0001" + c.New.Symbol);
            result.Add(new SymbolRename(c.Old.Symbol, c.New.Symbol, c.Old.Prototype, c.New.Prototype, c.Shared, c.Evidence));
        }
        return result.OrderBy(r => r.Old, StringComparer.Ordinal).ToList();
    }

    /// <summary>Names whose similarity reaches this are related.</summary>
    public const double RelatedNames = 0.5;

    /// <summary>1 when one name (of 4 letters or more), leading underscores aside, contains the other (__kmalloc, __kmalloc_noprof);
    /// else the share of their '_'-separated words in common (system_wq, system_percpu_wq: 2 of 3).</summary>
    public static double NameSimilarity(string a, string b)
    {
        string x = a.TrimStart('_'), y = b.TrimStart('_');
        if (Math.Min(x.Length, y.Length) >= 4 && (x.Contains(y, StringComparison.Ordinal) || y.Contains(x, StringComparison.Ordinal)))
            return 1;
        var wx = x.Split('_', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var wy = y.Split('_', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        int union = wx.Union(wy).Count();
        return union == 0 ? 0 : (double)wx.Intersect(wy).Count() / union;
    }

    /// <summary>A function's type as libclang spells it ("void *(size_t, gfp_t)"), not a variable's.</summary>
    public static bool IsFunction(RequiredSymbol s) => s.Prototype is null || s.Prototype.EndsWith(')') && s.Prototype.Contains('(');

    /// <summary>The parameter count of a function type spelling: "int (void)" 0, "void (const char *, ...)" 2
    /// (the ellipsis counts); null for a variable or an unknown prototype.</summary>
    public static int? ParameterCount(string? prototype)
    {
        if (prototype is null || !prototype.EndsWith(')'))
            return null;
        // The parameter list is the last parenthesised group at depth 0.
        int depth = 0, open = -1;
        for (int i = prototype.Length - 1; i >= 0; i--)
        {
            if (prototype[i] == ')')
                depth++;
            else if (prototype[i] == '(' && --depth == 0)
            {
                open = i;
                break;
            }
        }
        if (open < 0)
            return null;
        string list = prototype[(open + 1)..^1].Trim();
        if (list.Length == 0 || list == "void")
            return 0;
        int count = 1;
        depth = 0;
        foreach (char ch in list)
        {
            if (ch is '(' or '[')
                depth++;
            else if (ch is ')' or ']')
                depth--;
            else if (ch == ',' && depth == 0)
                count++;
        }
        return count;
    }
}
