// SPDX-License-Identifier: MIT
// Evaluates the Makefile subset Kbuild files use: assignments, conditionals, define, include (ignored), rules (skipped).
using System.Text;
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// Runs a Makefile's text against a <see cref="MakeExpander"/>: handles comments, backslash
/// continuations, =, :=, ::=, +=, ?=, ifeq/ifneq/ifdef/ifndef/else/endif, define/endef,
/// export/override prefixes and undefine. Rules and their recipes are skipped; include lines
/// are ignored with a warning.
/// </summary>
internal sealed partial class MakefileEvaluator
{
    private readonly MakeExpander _x;
    private readonly string _source;
    private readonly Stack<ConditionalFrame> _conditionals = new();

    public MakefileEvaluator(MakeExpander expander, string sourceName)
    {
        _x = expander;
        _source = sourceName;
    }

    /// <summary>Called after an assignment to a variable for which <see cref="Track"/> returns true:
    /// (unexpanded left-hand side, variable name, expanded right-hand side, CONFIG_ symbol of the innermost condition).</summary>
    public Action<string, string, string, string?>? Assigned { get; set; }

    public Func<string, bool> Track { get; set; } = _ => false;

    private bool Active => _conditionals.Count == 0 || _conditionals.Peek().Active;

    public void Run(string text)
    {
        bool inRule = false;
        string? defineName = null;
        bool defineActive = false, defineRecursive = true;
        int defineDepth = 0, defineLine = 0;
        var defineBody = new StringBuilder();

        foreach (var (raw, lineNumber) in LogicalLines(text))
        {
            _x.Location = $"{_source}:{lineNumber}";
            if (defineName != null)
            {
                string word = FirstWord(raw.Trim());
                if (word == "define")
                    defineDepth++;
                if (word == "endef" && defineDepth-- == 0)
                {
                    if (defineActive)
                    {
                        string body = defineBody.Length > 0 ? defineBody.ToString(0, defineBody.Length - 1) : "";
                        _x.Set(defineName, defineRecursive ? body : _x.Expand(body), defineRecursive);
                    }
                    defineName = null;
                    continue;
                }
                defineBody.Append(raw).Append('\n');
                continue;
            }

            if (inRule && raw.StartsWith('\t'))
                continue; // recipe line
            string line = StripComment(raw).Trim();
            if (line.Length == 0)
                continue;

            string directive = FirstWord(line);
            string rest = line[directive.Length..].Trim();
            switch (directive)
            {
                case "ifeq" or "ifneq" or "ifdef" or "ifndef":
                    bool taken = Active && Evaluate(directive, rest);
                    _conditionals.Push(new ConditionalFrame(Active, taken, taken, false, SymbolIn(rest), lineNumber));
                    continue;
                case "else":
                    Else(rest);
                    continue;
                case "endif":
                    if (_conditionals.Count == 0)
                        throw _x.Error("endif without a matching if");
                    _conditionals.Pop();
                    continue;
                case "define":
                    (defineName, defineRecursive) = DefineHeader(rest);
                    defineActive = Active;
                    defineDepth = 0;
                    defineLine = lineNumber;
                    defineBody.Clear();
                    continue;
                case "endef":
                    throw _x.Error("endef without a matching define");
            }
            if (!Active)
                continue;
            inRule = Statement(line, directive, rest, inRule);
        }
        if (defineName != null)
            throw new ImportException($"{_source}:{defineLine}: define {defineName} has no matching endef");
        if (_conditionals.Count > 0)
            throw new ImportException($"{_source}:{_conditionals.Peek().Line}: conditional has no matching endif");
    }

    /// <summary>Handles a non-conditional line; returns whether a rule (and so a recipe) is open.</summary>
    private bool Statement(string line, string directive, string rest, bool inRule)
    {
        switch (directive)
        {
            case "include" or "-include" or "sinclude":
                _x.Warn($"'{line}' ignored (include is not followed)");
                return inRule;
            case "vpath":
                return inRule;
            case "undefine":
                _x.Undefine(_x.Expand(rest).Trim());
                return false;
            case "override" or "export" or "unexport" or "private":
                if (rest.Length == 0)
                    return false;
                if (FindOperator(rest, out _, out _, out _) || directive == "override" || directive == "private")
                    return Statement(rest, FirstWord(rest), rest[FirstWord(rest).Length..].Trim(), inRule);
                return false; // "export VAR": nothing to evaluate
        }

        if (!FindOperator(line, out int at, out int length, out string op))
        {
            // A line with neither assignment nor rule: only a bare function call such as $(info ...) makes sense.
            if (_x.Expand(line).Trim().Length > 0)
                _x.Warn($"line not understood, ignored: {line}");
            return inRule;
        }
        if (op == ":")
            return true; // a rule (or target-specific variable); its recipe follows

        string rawName = line[..at].Trim();
        string name = _x.Expand(rawName).Trim();
        string value = line[(at + length)..].TrimStart();
        if (name.Length == 0)
            throw _x.Error("assignment to an empty variable name");
        switch (op)
        {
            case "=":
                _x.Set(name, value, recursive: true);
                break;
            case ":=" or "::=" or ":::=":
                _x.Set(name, _x.Expand(value), recursive: false);
                break;
            case "?=":
                if (!_x.TryGet(name, out _))
                    _x.Set(name, value, recursive: true);
                break;
            case "+=":
                if (!_x.TryGet(name, out var old))
                    _x.Set(name, value, recursive: true);
                else if (old.Recursive)
                    _x.Set(name, old.Value.Length == 0 ? value : old.Value + " " + value, recursive: true);
                else
                {
                    string added = _x.Expand(value);
                    _x.Set(name, old.Value.Length == 0 ? added : old.Value + " " + added, recursive: false);
                }
                break;
            case "!=":
                _x.Warn($"shell assignment to {name} is not supported; set to empty");
                _x.Set(name, "", recursive: false);
                break;
        }
        if (Assigned != null && Track(name))
            Assigned(rawName, name, _x.Expand(value), InnermostSymbol());
        return false;
    }

    private void Else(string rest)
    {
        if (_conditionals.Count == 0)
            throw _x.Error("else without a matching if");
        var f = _conditionals.Pop();
        if (f.SeenElse && rest.Length == 0)
            throw _x.Error("only one plain else is allowed per conditional");
        bool taken;
        if (rest.Length == 0)
        {
            taken = f.ParentActive && !f.AnyTaken;
        }
        else
        {
            string word = FirstWord(rest);
            if (word is not ("ifeq" or "ifneq" or "ifdef" or "ifndef"))
                throw _x.Error($"unexpected text after else: {rest}");
            taken = f.ParentActive && !f.AnyTaken && Evaluate(word, rest[word.Length..].Trim());
        }
        _conditionals.Push(f with { Taken = taken, AnyTaken = f.AnyTaken || taken, SeenElse = rest.Length == 0, Symbol = null });
    }

    private bool Evaluate(string directive, string rest)
    {
        if (directive is "ifdef" or "ifndef")
        {
            string name = _x.Expand(rest).Trim();
            bool defined = _x.TryGet(name, out var v) && v.Value.Length > 0;
            return defined == (directive == "ifdef");
        }
        var (a, b) = ComparisonArguments(rest);
        return (_x.Expand(a) == _x.Expand(b)) == (directive == "ifeq");
    }

    /// <summary>Splits "(a,b)", "'a' 'b'" or "\"a\" \"b\"" into its two unexpanded arguments.</summary>
    private (string, string) ComparisonArguments(string rest)
    {
        if (rest.StartsWith('('))
        {
            int end = MakeExpander.FindClose(rest, 1, '(', ')');
            int comma = end < 0 ? -1 : MakeWords.IndexOfTopLevel(rest[1..end], ',');
            if (end < 0 || comma < 0 || rest[(end + 1)..].Trim().Length > 0)
                throw _x.Error($"malformed conditional arguments: {rest}");
            return (rest[1..(comma + 1)].Trim(), rest[(comma + 2)..end].Trim());
        }
        var m = QuotedArgumentsRegex().Match(rest);
        if (!m.Success)
            throw _x.Error($"malformed conditional arguments: {rest}");
        return (m.Groups["a"].Value, m.Groups["b"].Value);
    }

    private (string, bool) DefineHeader(string rest)
    {
        string name = rest;
        bool recursive = true;
        foreach (string op in new[] { ":::=", "::=", ":=", "+=", "?=", "=" })
        {
            if (rest.EndsWith(op, StringComparison.Ordinal))
            {
                name = rest[..^op.Length];
                recursive = !op.StartsWith(':');
                break;
            }
        }
        name = _x.Expand(name).Trim();
        if (name.Length == 0)
            throw _x.Error("define without a variable name");
        return (name, recursive);
    }

    /// <summary>Finds the first assignment operator or rule colon outside of references.</summary>
    private static bool FindOperator(string line, out int at, out int length, out string op)
    {
        int depth = 0;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '(' || c == '{')
                depth++;
            else if (c == ')' || c == '}')
                depth--;
            else if (depth > 0)
                continue;
            else if (c == '=')
            {
                char prev = i > 0 ? line[i - 1] : ' ';
                (at, length, op) = prev is '+' or '?' or '!' ? (i - 1, 2, prev + "=") : (i, 1, "=");
                return true;
            }
            else if (c == ':')
            {
                foreach (string candidate in new[] { ":::=", "::=", ":=" })
                {
                    if (string.CompareOrdinal(line, i, candidate, 0, candidate.Length) == 0)
                    {
                        (at, length, op) = (i, candidate.Length, candidate);
                        return true;
                    }
                }
                (at, length, op) = (i, 1, ":");
                return true;
            }
        }
        (at, length, op) = (-1, 0, "");
        return false;
    }

    private string? InnermostSymbol()
    {
        foreach (var f in _conditionals)
        {
            if (f.Symbol != null)
                return f.Symbol;
        }
        return null;
    }

    private static string? SymbolIn(string condition)
    {
        var m = ConfigSymbolRegex().Match(condition);
        return m.Success ? m.Value : null;
    }

    private static string FirstWord(string line)
    {
        int i = 0;
        while (i < line.Length && !char.IsWhiteSpace(line[i]) && line[i] != '(' && line[i] != '\'' && line[i] != '"')
            i++;
        return line[..i];
    }

    /// <summary>Removes a # comment that is not escaped and not inside a reference; unescapes \#.</summary>
    private static string StripComment(string line)
    {
        if (!line.Contains('#'))
            return line;
        var sb = new StringBuilder(line.Length);
        int depth = 0;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] == '#')
            {
                sb.Append('#');
                i++;
                continue;
            }
            if (c == '#' && depth == 0)
                break;
            if (c == '$' && i + 1 < line.Length && (line[i + 1] == '(' || line[i + 1] == '{'))
            {
                depth++;
                sb.Append(c).Append(line[++i]);
                continue;
            }
            if (depth > 0 && (c == ')' || c == '}'))
                depth--;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Joins backslash-continued lines (the backslash and surrounding blanks become one space).</summary>
    private static IEnumerable<(string Text, int Line)> LogicalLines(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int start = i + 1;
            string current = lines[i];
            while (EndsWithContinuation(current) && i + 1 < lines.Length)
                current = current[..^1].TrimEnd(' ', '\t') + " " + lines[++i].TrimStart(' ', '\t');
            if (EndsWithContinuation(current))
                current = current[..^1];
            yield return (current, start);
        }
    }

    private static bool EndsWithContinuation(string line)
    {
        int n = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
            n++;
        return n % 2 == 1;
    }

    [GeneratedRegex("""^(?<qa>['"])(?<a>.*?)\k<qa>\s+(?<qb>['"])(?<b>.*?)\k<qb>$""")]
    private static partial Regex QuotedArgumentsRegex();

    [GeneratedRegex(@"CONFIG_[A-Za-z0-9_]+")]
    private static partial Regex ConfigSymbolRegex();
}
