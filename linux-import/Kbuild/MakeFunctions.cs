// SPDX-License-Identifier: MIT
// Implements the GNU make text functions Kbuild Makefiles use ($(if), $(filter), $(patsubst), $(call), ...).
using System.Globalization;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// GNU make's built-in functions. Text functions are evaluated; functions that need a shell,
/// the file system or re-parsing ($(shell), $(wildcard), $(eval), ...) expand to empty with a warning.
/// </summary>
internal sealed class MakeFunctions
{
    // name -> maximum number of arguments (0 = unlimited); the last argument takes any further commas.
    private static readonly Dictionary<string, int> Known = new(StringComparer.Ordinal)
    {
        ["subst"] = 3, ["patsubst"] = 3, ["strip"] = 1, ["findstring"] = 2, ["filter"] = 2,
        ["filter-out"] = 2, ["sort"] = 1, ["word"] = 2, ["wordlist"] = 3, ["words"] = 1,
        ["firstword"] = 1, ["lastword"] = 1, ["dir"] = 1, ["notdir"] = 1, ["suffix"] = 1,
        ["basename"] = 1, ["addsuffix"] = 2, ["addprefix"] = 2, ["join"] = 2, ["if"] = 3,
        ["or"] = 0, ["and"] = 0, ["foreach"] = 3, ["call"] = 0, ["value"] = 1, ["origin"] = 1,
        ["flavor"] = 1, ["info"] = 1, ["warning"] = 1, ["error"] = 1,
        // Not modelled: expand to empty with a warning.
        ["shell"] = 1, ["wildcard"] = 1, ["eval"] = 1, ["realpath"] = 1, ["abspath"] = 1,
        ["file"] = 2, ["let"] = 3, ["intcmp"] = 5, ["guile"] = 1,
    };

    private readonly MakeExpander _x;

    public MakeFunctions(MakeExpander expander) => _x = expander;

    public static bool IsFunction(string name) => Known.ContainsKey(name);

    /// <summary>Evaluates $(name rawArgs); arguments are still unexpanded.</summary>
    public string Call(string name, string rawArgs, char open, char close)
    {
        var a = SplitArgs(rawArgs, Known[name], open, close);
        string Arg(int i) => i < a.Count ? _x.Expand(a[i]) : "";
        switch (name)
        {
            case "subst":
                string from = Arg(0);
                return from.Length == 0 ? Arg(2) : Arg(2).Replace(from, Arg(1), StringComparison.Ordinal);
            case "patsubst":
                return MakeWords.PatSubst(Arg(0), Arg(1), Arg(2));
            case "strip":
                return MakeWords.Join(MakeWords.Split(Arg(0)));
            case "findstring":
                string find = Arg(0);
                return Arg(1).Contains(find, StringComparison.Ordinal) ? find : "";
            case "filter":
            case "filter-out":
                var patterns = MakeWords.Split(Arg(0));
                bool keep = name == "filter";
                return MakeWords.Join(MakeWords.Split(Arg(1)).Where(w => patterns.Any(p => MakeWords.Matches(p, w)) == keep));
            case "sort":
                return MakeWords.Join(MakeWords.Split(Arg(0)).Distinct().Order(StringComparer.Ordinal));
            case "word":
                var ws = MakeWords.Split(Arg(1));
                int n = ParseIndex(Arg(0), name);
                return n <= ws.Length ? ws[n - 1] : "";
            case "wordlist":
                int s = ParseIndex(Arg(0), name), e = int.TryParse(Arg(1).Trim(), out int ev) ? ev : 0;
                return MakeWords.Join(MakeWords.Split(Arg(2)).Skip(s - 1).Take(Math.Max(0, e - s + 1)));
            case "words":
                return MakeWords.Split(Arg(0)).Length.ToString(CultureInfo.InvariantCulture);
            case "firstword":
                return MakeWords.Split(Arg(0)).FirstOrDefault() ?? "";
            case "lastword":
                return MakeWords.Split(Arg(0)).LastOrDefault() ?? "";
            case "dir":
                return Each(Arg(0), w => w.LastIndexOf('/') is int d and >= 0 ? w[..(d + 1)] : "./");
            case "notdir":
                return Each(Arg(0), w => w[(w.LastIndexOf('/') + 1)..]);
            case "suffix":
                return MakeWords.Join(MakeWords.Split(Arg(0)).Select(Suffix).Where(x => x.Length > 0));
            case "basename":
                return Each(Arg(0), w => w[..(w.Length - Suffix(w).Length)]);
            case "addsuffix":
                string suffix = Arg(0);
                return Each(Arg(1), w => w + suffix);
            case "addprefix":
                string prefix = Arg(0);
                return Each(Arg(1), w => prefix + w);
            case "join":
                var l = MakeWords.Split(Arg(0));
                var r = MakeWords.Split(Arg(1));
                return MakeWords.Join(Enumerable.Range(0, Math.Max(l.Length, r.Length))
                    .Select(i => (i < l.Length ? l[i] : "") + (i < r.Length ? r[i] : "")));
            case "if":
                return Arg(0).Trim().Length > 0 ? Arg(1) : Arg(2);
            case "or":
                for (int i = 0; i < a.Count; i++)
                {
                    string v = Arg(i);
                    if (v.Trim().Length > 0)
                        return v;
                }
                return "";
            case "and":
                string last = "";
                for (int i = 0; i < a.Count; i++)
                {
                    last = Arg(i);
                    if (last.Trim().Length == 0)
                        return "";
                }
                return last;
            case "foreach":
                return ForEach(Arg(0).Trim(), Arg(1), a.Count > 2 ? a[2] : "");
            case "call":
                return CallVariable(a);
            case "value":
                return _x.TryGet(Arg(0).Trim(), out var val) ? val.Value : "";
            case "origin":
                return _x.TryGet(Arg(0).Trim(), out _) ? "file" : "undefined";
            case "flavor":
                return !_x.TryGet(Arg(0).Trim(), out var fl) ? "undefined" : fl.Recursive ? "recursive" : "simple";
            case "info":
            case "warning":
                Arg(0);
                return "";
            case "error":
                _x.Warn($"$(error {Arg(0).Trim()}) reached; ignored");
                return "";
            default:
                _x.Warn($"make function $({name} ...) is not supported; expanded to empty");
                return "";
        }
    }

    private string ForEach(string variable, string list, string body)
    {
        bool had = _x.TryGet(variable, out var saved);
        var results = new List<string>();
        foreach (string w in MakeWords.Split(list))
        {
            _x.Set(variable, w, recursive: false);
            results.Add(_x.Expand(body));
        }
        Restore(variable, had, saved);
        return string.Join(' ', results);
    }

    private string CallVariable(List<string> rawArgs)
    {
        string name = rawArgs.Count > 0 ? _x.Expand(rawArgs[0]).Trim() : "";
        if (!_x.TryGet(name, out var function))
        {
            _x.Warn($"$(call {name},...) calls an undefined variable (Kbuild helpers such as cc-option are not modelled); expanded to empty");
            return "";
        }
        var args = rawArgs.Select(_x.Expand).ToList();
        args[0] = name;
        // Positional parameters $(0)..$(n); deeper levels of a nested call see empty higher parameters.
        int count = Math.Max(args.Count, 10);
        var saved = new (bool Had, MakeVariable Value)[count];
        for (int i = 0; i < count; i++)
        {
            string key = i.ToString(CultureInfo.InvariantCulture);
            saved[i] = (_x.TryGet(key, out var v), v);
            _x.Set(key, i < args.Count ? args[i] : "", recursive: false);
        }
        try
        {
            return function.Recursive ? _x.Expand(function.Value) : function.Value;
        }
        finally
        {
            for (int i = 0; i < count; i++)
                Restore(i.ToString(CultureInfo.InvariantCulture), saved[i].Had, saved[i].Value);
        }
    }

    private void Restore(string name, bool had, MakeVariable value)
    {
        if (had)
            _x.Set(name, value.Value, value.Recursive);
        else
            _x.Undefine(name);
    }

    private int ParseIndex(string text, string function)
    {
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
            return n;
        _x.Warn($"$({function} ...) needs a positive number, got '{text.Trim()}'");
        return int.MaxValue;
    }

    private static string Each(string text, Func<string, string> map) => MakeWords.Join(MakeWords.Split(text).Select(map));

    private static string Suffix(string word)
    {
        int dot = word.LastIndexOf('.');
        return dot > word.LastIndexOf('/') ? word[dot..] : "";
    }

    private static List<string> SplitArgs(string raw, int max, char open, char close)
    {
        var args = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c == open)
                depth++;
            else if (c == close)
                depth--;
            else if (c == ',' && depth == 0 && (max == 0 || args.Count < max - 1))
            {
                args.Add(raw[start..i]);
                start = i + 1;
            }
        }
        args.Add(raw[start..]);
        return args;
    }
}
