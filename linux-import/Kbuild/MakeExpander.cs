// SPDX-License-Identifier: MIT
// Holds make variables and expands $(VAR), ${VAR}, $X, $(VAR:a=b) and function calls in text.
using System.Text;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// The variable table of one Makefile evaluation and make's expansion rules.
/// Undefined variables expand to empty; CONFIG_* names fall back to the kernel configuration.
/// </summary>
internal sealed class MakeExpander
{
    private const int MaxDepth = 200;
    private readonly Dictionary<string, MakeVariable> _vars = new(StringComparer.Ordinal);
    private readonly Func<string, string?> _fallback;
    private readonly Action<string> _warn;
    private readonly HashSet<string> _expanding = new(StringComparer.Ordinal);
    private readonly MakeFunctions _functions;
    private int _depth;

    public MakeExpander(Func<string, string?> fallback, Action<string> warn)
    {
        _fallback = fallback;
        _warn = warn;
        _functions = new MakeFunctions(this);
    }

    /// <summary>"file:line" of the text being evaluated, used to prefix warnings and errors.</summary>
    public string Location { get; set; } = "";

    public IEnumerable<string> Names => _vars.Keys;

    public void Warn(string message) => _warn($"{Location}: {message}");

    public ImportException Error(string message) => new($"{Location}: {message}");

    public void Set(string name, string value, bool recursive) => _vars[name] = new MakeVariable(value, recursive);

    public void Undefine(string name) => _vars.Remove(name);

    /// <summary>Looks a variable up without expanding it (CONFIG_* from the configuration count as simple variables).</summary>
    public bool TryGet(string name, out MakeVariable variable)
    {
        if (_vars.TryGetValue(name, out variable))
            return true;
        if (name.StartsWith("CONFIG_", StringComparison.Ordinal) && _fallback(name) is { } v)
        {
            variable = new MakeVariable(v, false);
            return true;
        }
        return false;
    }

    /// <summary>The expanded value of a variable; empty when undefined.</summary>
    public string ValueOf(string name)
    {
        if (!TryGet(name, out var v))
            return "";
        if (!v.Recursive)
            return v.Value;
        if (!_expanding.Add(name))
        {
            Warn($"recursive variable {name} references itself; expanded to empty");
            return "";
        }
        try
        {
            return Expand(v.Value);
        }
        finally
        {
            _expanding.Remove(name);
        }
    }

    /// <summary>Expands every reference in <paramref name="text"/>.</summary>
    public string Expand(string text)
    {
        if (!text.Contains('$'))
            return text;
        if (++_depth > MaxDepth)
            throw Error("variable expansion nested too deeply");
        try
        {
            var sb = new StringBuilder(text.Length);
            int i = 0;
            while (i < text.Length)
            {
                char c = text[i];
                if (c != '$')
                {
                    sb.Append(c);
                    i++;
                    continue;
                }
                if (i + 1 >= text.Length)
                    break;
                char n = text[i + 1];
                if (n == '$')
                {
                    sb.Append('$');
                    i += 2;
                }
                else if (n == '(' || n == '{')
                {
                    char close = n == '(' ? ')' : '}';
                    int end = FindClose(text, i + 2, n, close);
                    if (end < 0)
                        throw Error($"unterminated variable reference in '{Shorten(text)}'");
                    sb.Append(ExpandReference(text.Substring(i + 2, end - i - 2), n, close));
                    i = end + 1;
                }
                else
                {
                    sb.Append(ValueOf(n.ToString()));
                    i += 2;
                }
            }
            return sb.ToString();
        }
        finally
        {
            _depth--;
        }
    }

    /// <summary>Index of the <paramref name="close"/> that balances an already opened <paramref name="open"/>, or -1.</summary>
    public static int FindClose(string text, int start, char open, char close)
    {
        int depth = 1;
        for (int i = start; i < text.Length; i++)
        {
            if (text[i] == open)
                depth++;
            else if (text[i] == close && --depth == 0)
                return i;
        }
        return -1;
    }

    private string ExpandReference(string inner, char open, char close)
    {
        int ws = inner.IndexOfAny([' ', '\t']);
        if (ws > 0 && MakeFunctions.IsFunction(inner[..ws]))
            return _functions.Call(inner[..ws], inner[(ws + 1)..].TrimStart(' ', '\t'), open, close);

        int colon = MakeWords.IndexOfTopLevel(inner, ':');
        if (colon >= 0)
        {
            int eq = MakeWords.IndexOfTopLevel(inner, '=', colon + 1);
            if (eq >= 0)
            {
                string value = ValueOf(Expand(inner[..colon]));
                return MakeWords.SubstitutionReference(value, Expand(inner[(colon + 1)..eq]), Expand(inner[(eq + 1)..]));
            }
        }
        return ValueOf(Expand(inner));
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
