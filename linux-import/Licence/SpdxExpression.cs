// SPDX-License-Identifier: MIT
// Managed side. SPDX license expressions (SPDX 2.3 Annex D): identifiers (optionally "+"),
// LicenseRef-, "WITH" exceptions, AND / OR (AND binds tighter) and parentheses, parsed into a tree.
using System.Text;

namespace LinuxShim.Import.Licence;

/// <summary>A parsed SPDX license expression. <see cref="ToString"/> gives its canonical text.</summary>
public abstract record SpdxExpression
{
    /// <summary>Every licence identifier in the expression (with "+" when given), in order.</summary>
    public IEnumerable<SpdxLicense> Licenses() => this switch
    {
        SpdxLicense l => [l],
        SpdxWith w => [w.License],
        SpdxAnd a => a.Left.Licenses().Concat(a.Right.Licenses()),
        SpdxOr o => o.Left.Licenses().Concat(o.Right.Licenses()),
        _ => [],
    };

    /// <summary>Parses <paramref name="text"/>; a <see cref="SpdxSyntaxException"/> names the column of the problem.</summary>
    public static SpdxExpression Parse(string text) => new SpdxParser(text).ParseAll();

    public static bool TryParse(string text, out SpdxExpression? expression, out string? error)
    {
        try
        {
            expression = Parse(text);
            error = null;
            return true;
        }
        catch (SpdxSyntaxException e)
        {
            expression = null;
            error = e.Message;
            return false;
        }
    }
}

/// <summary>A licence: an SPDX identifier or a LicenseRef-; <see cref="OrLater"/> for a trailing "+".</summary>
public sealed record SpdxLicense(string Id, bool OrLater) : SpdxExpression
{
    public string Text => OrLater ? Id + "+" : Id;
    public override string ToString() => Text;
}

public sealed record SpdxWith(SpdxLicense License, string Exception) : SpdxExpression
{
    public override string ToString() => $"{License} WITH {Exception}";
}

public sealed record SpdxAnd(SpdxExpression Left, SpdxExpression Right) : SpdxExpression
{
    public override string ToString() => $"{Wrap(Left)} AND {Wrap(Right)}";
    private static string Wrap(SpdxExpression e) => e is SpdxOr ? $"({e})" : e.ToString()!;
}

public sealed record SpdxOr(SpdxExpression Left, SpdxExpression Right) : SpdxExpression
{
    public override string ToString() => $"{Left} OR {Right}";
}

public sealed class SpdxSyntaxException(string message, int column) : Exception(message)
{
    /// <summary>1-based column of the problem in the expression text.</summary>
    public int Column { get; } = column;
}

internal sealed class SpdxParser
{
    private readonly string _text;
    private readonly List<(string Token, int Column)> _tokens = [];
    private int _next;

    public SpdxParser(string text)
    {
        _text = text;
        Tokenize();
    }

    public SpdxExpression ParseAll()
    {
        if (_tokens.Count == 0)
            throw new SpdxSyntaxException("empty licence expression", 1);
        var e = ParseOr();
        if (_next < _tokens.Count)
            throw Error($"unexpected '{_tokens[_next].Token}' after a complete expression", _tokens[_next].Column);
        return e;
    }

    private SpdxExpression ParseOr()
    {
        var left = ParseAnd();
        while (Accept("OR"))
            left = new SpdxOr(left, ParseAnd());
        return left;
    }

    private SpdxExpression ParseAnd()
    {
        var left = ParseTerm();
        while (Accept("AND"))
            left = new SpdxAnd(left, ParseTerm());
        return left;
    }

    private SpdxExpression ParseTerm()
    {
        if (_next >= _tokens.Count)
            throw Error("expression ends where a licence identifier or '(' was expected", _text.Length + 1);
        if (_tokens[_next].Token == "(")
        {
            _next++;
            var inner = ParseOr();
            if (!Accept(")"))
                throw Error("missing ')'", _next < _tokens.Count ? _tokens[_next].Column : _text.Length + 1);
            return inner;
        }
        var license = ParseLicense();
        if (!Accept("WITH"))
            return license;
        if (_next >= _tokens.Count)
            throw Error("WITH must be followed by an exception identifier", _text.Length + 1);
        var (exception, exceptionColumn) = _tokens[_next];
        if (IsOperator(exception) || exception is "(" or ")" || exception.EndsWith('+'))
            throw Error($"'{exception}' is not an exception identifier", exceptionColumn);
        _next++;
        return new SpdxWith(license, exception);
    }

    private SpdxLicense ParseLicense()
    {
        var (token, column) = _tokens[_next];
        if (IsOperator(token) || token == ")")
            throw Error($"expected a licence identifier, found '{token}'", column);
        _next++;
        bool orLater = token.EndsWith('+');
        string id = orLater ? token[..^1] : token;
        if (id.Length == 0)
            throw Error("'+' must follow a licence identifier", column);
        if (id.StartsWith("DocumentRef-", StringComparison.Ordinal))
            throw Error("DocumentRef- references are not supported here", column);
        return new SpdxLicense(id, orLater);
    }

    private bool Accept(string token)
    {
        if (_next < _tokens.Count && _tokens[_next].Token == token)
        {
            _next++;
            return true;
        }
        // Operators are case-sensitive in SPDX; a lower-case one is a likely typo worth naming.
        if (_next < _tokens.Count && _tokens[_next].Token != token && string.Equals(_tokens[_next].Token, token, StringComparison.OrdinalIgnoreCase))
            throw Error($"operator '{_tokens[_next].Token}' must be written '{token}'", _tokens[_next].Column);
        return false;
    }

    private static bool IsOperator(string token) => token is "AND" or "OR" or "WITH";

    private void Tokenize()
    {
        int i = 0;
        while (i < _text.Length)
        {
            char c = _text[i];
            if (c is ' ' or '\t')
            {
                i++;
                continue;
            }
            if (c is '(' or ')')
            {
                _tokens.Add((c.ToString(), i + 1));
                i++;
                continue;
            }
            int start = i;
            var word = new StringBuilder();
            while (i < _text.Length && (char.IsAsciiLetterOrDigit(_text[i]) || _text[i] is '-' or '.' or ':'))
                word.Append(_text[i++]);
            if (i < _text.Length && _text[i] == '+')
                word.Append(_text[i++]);
            if (word.Length == 0)
                throw Error($"character '{c}' cannot appear in a licence expression", start + 1);
            if (i < _text.Length && _text[i] is not (' ' or '\t' or '(' or ')'))
                throw Error($"character '{_text[i]}' cannot appear in a licence identifier", i + 1);
            _tokens.Add((word.ToString(), start + 1));
        }
    }

    private SpdxSyntaxException Error(string message, int column) => new($"{message} (column {column} of '{_text}')", column);
}
