// SPDX-License-Identifier: MIT
// Word-list helpers shared by the make expander: splitting, joining and %-pattern matching.
namespace LinuxShim.Import.Kbuild;

/// <summary>Make's word-level helpers (whitespace-separated lists and % patterns).</summary>
internal static class MakeWords
{
    private static readonly char[] Blanks = [' ', '\t', '\n', '\r', '\v', '\f'];

    public static string[] Split(string text) => text.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);

    public static string Join(IEnumerable<string> words) => string.Join(' ', words);

    /// <summary>True when <paramref name="word"/> matches <paramref name="pattern"/> (at most one %, which matches anything).</summary>
    public static bool Matches(string pattern, string word) => TryMatch(pattern, word, out _);

    /// <summary>Matches a % pattern and returns the text the % stood for.</summary>
    public static bool TryMatch(string pattern, string word, out string stem)
    {
        int p = pattern.IndexOf('%');
        if (p < 0)
        {
            stem = "";
            return pattern == word;
        }
        string prefix = pattern[..p], suffix = pattern[(p + 1)..];
        if (word.Length >= prefix.Length + suffix.Length
            && word.StartsWith(prefix, StringComparison.Ordinal)
            && word.EndsWith(suffix, StringComparison.Ordinal))
        {
            stem = word.Substring(prefix.Length, word.Length - prefix.Length - suffix.Length);
            return true;
        }
        stem = "";
        return false;
    }

    /// <summary>$(patsubst): replaces each word matching <paramref name="pattern"/>; the replacement's % is the stem.</summary>
    public static string PatSubst(string pattern, string replacement, string text)
    {
        var result = new List<string>();
        foreach (string w in Split(text))
        {
            if (TryMatch(pattern, w, out string stem))
            {
                int r = pattern.Contains('%') ? replacement.IndexOf('%') : -1;
                result.Add(r < 0 ? replacement : replacement[..r] + stem + replacement[(r + 1)..]);
            }
            else
            {
                result.Add(w);
            }
        }
        return Join(result);
    }

    /// <summary>A substitution reference $(var:a=b): without % it replaces the suffix a of each word.</summary>
    public static string SubstitutionReference(string value, string from, string to) =>
        from.Contains('%') ? PatSubst(from, to, value) : PatSubst("%" + from, "%" + to, value);

    /// <summary>Index of the first <paramref name="target"/> outside $(...)/${...} at or after <paramref name="start"/>, or -1.</summary>
    public static int IndexOfTopLevel(string text, char target, int start = 0)
    {
        int depth = 0;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '$' && i + 1 < text.Length && (text[i + 1] == '(' || text[i + 1] == '{'))
            {
                depth++;
                i++;
            }
            else if (depth > 0 && (c == '(' || c == '{'))
            {
                depth++;
            }
            else if (depth > 0 && (c == ')' || c == '}'))
            {
                depth--;
            }
            else if (depth == 0 && c == target)
            {
                return i;
            }
        }
        return -1;
    }
}
