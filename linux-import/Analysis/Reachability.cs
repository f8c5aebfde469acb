// SPDX-License-Identifier: MIT
// Managed side. Which code of one translation unit survives compilation, and so which external
// symbols its object file references. Starts at the roots the compiler must emit and follows
// references, folding the constants an optimising compiler folds (config switches, sizeof,
// __builtin_constant_p of inline-function arguments) so that compiled-out code adds nothing.
using System.Text.RegularExpressions;
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    private const int MaxContextsPerFunction = 32;
    private const int MaxFoldDepth = 16;

    private readonly UnitIndex _index;
    private readonly Dictionary<Symbol, HashSet<string>> _contexts = new();
    private readonly Queue<(Symbol Symbol, long?[]? Args)> _work = new();
    private int _quiet;
    private int _foldDepth;

    /// <summary>Symbols referenced from surviving code that this unit does not define.</summary>
    public HashSet<Symbol> External { get; } = [];

    /// <summary>Names called from inline assembly templates ("call name").</summary>
    public HashSet<string> AsmReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>Functions the compiler turns into library calls (memcpy for a struct copy of unknown size…).</summary>
    public HashSet<string> LibraryCalls { get; } = new(StringComparer.Ordinal);

    /// <summary>For each external symbol, the definition whose code first referenced it (for explanations).</summary>
    public Dictionary<Symbol, Symbol> Origins { get; } = new();

    private Symbol? _current;

    /// <summary>Definitions reached (in any context).</summary>
    public IEnumerable<Symbol> Reached => _contexts.Keys;

    public Reachability(UnitIndex index) => _index = index;

    public void Run()
    {
        foreach (var root in _index.Roots)
            Visit(root, null);
        while (_work.Count > 0)
        {
            var (symbol, args) = _work.Dequeue();
            _index.EnsureBody(symbol);
            if (symbol.Body is null)
                continue;
            var frame = new Frame(symbol, args);
            _current = symbol;
            Eval(symbol.Body, frame);
        }
    }

    private sealed class Frame(Symbol function, long?[]? args)
    {
        public readonly long?[] Params = args ?? new long?[function.ParamCount];
        public readonly long?[] Locals = new long?[Math.Max(function.LocalCount, 0)];

        /// <summary>Control cannot reach the next statement (after return, or an if whose taken branches all return).</summary>
        public bool Returned;
    }

    private void Visit(Symbol symbol, long?[]? args)
    {
        if (_quiet > 0)
            return;
        if (!_contexts.TryGetValue(symbol, out var seen))
            _contexts[symbol] = seen = new HashSet<string>(StringComparer.Ordinal);
        if (seen.Count >= MaxContextsPerFunction)
            args = null;
        string key = args is null || Array.TrueForAll(args, a => a is null) ? "" : string.Join(',', args);
        if (key.Length == 0)
            args = null;
        if (seen.Add(key))
            _work.Enqueue((symbol, args));
    }

    private void Touch(Symbol symbol)
    {
        if (_quiet > 0)
            return;
        if (symbol.Definition is not null)
            Visit(symbol, null);
        else
            AddExternal(symbol);
    }

    private void AddExternal(Symbol symbol)
    {
        if (External.Add(symbol) && _current is not null)
            Origins[symbol] = _current;
    }

    private long? Eval(IrNode n, Frame f)
    {
        switch (n.Kind)
        {
            case IrKind.Constant:
                return n.Value;
            case IrKind.Pass:
            {
                long? v = null;
                foreach (var k in n.Kids)
                    v = Eval(k, f);
                return v;
            }
            case IrKind.Compound:
            case IrKind.StmtExpr:
            {
                long? v = null;
                foreach (var k in n.Kids)
                {
                    if (f.Returned)
                    {
                        // Dead after a return, unless a goto can land on a later label.
                        if (k.Kind != IrKind.Label)
                            continue;
                        f.Returned = false;
                    }
                    v = Eval(k, f);
                }
                return v;
            }
            case IrKind.Return:
                EvalAll(n, f);
                f.Returned = true;
                return null;
            case IrKind.SymbolRef:
                Touch(n.Target!);
                return null;
            case IrKind.ParamRef:
                return n.Index < f.Params.Length ? f.Params[n.Index] : null;
            case IrKind.LocalRef:
                return n.Index < f.Locals.Length ? f.Locals[n.Index] : null;
            case IrKind.LocalDecl:
            {
                long? v = n.Kids.Length > 0 ? Eval(n.Kids[0], f) : null;
                if (n.Op == 0 && n.Index < f.Locals.Length)
                    f.Locals[n.Index] = v;
                return null;
            }
            case IrKind.Call:
                return EvalCall(n, f);
            case IrKind.Binary:
                return EvalBinary(n, f);
            case IrKind.Unary:
                return EvalUnary(n, f);
            case IrKind.Conditional:
            {
                if (n.Kids.Length < 3)
                    return EvalAll(n, f);
                long? c = Eval(n.Kids[0], f);
                if (c is long cv)
                    return Eval(n.Kids[cv != 0 ? 1 : 2], f);
                long? a = Eval(n.Kids[1], f), b = Eval(n.Kids[2], f);
                return a == b ? a : null;
            }
            case IrKind.If:
            {
                if (n.Kids.Length < 2)
                    return EvalAll(n, f);
                long? c = Eval(n.Kids[0], f);
                if (c is long cv)
                {
                    if (cv != 0)
                        Eval(n.Kids[1], f);
                    else if (n.Kids.Length > 2)
                        Eval(n.Kids[2], f);
                    return null;
                }
                Eval(n.Kids[1], f);
                bool thenReturned = f.Returned;
                f.Returned = false;
                if (n.Kids.Length > 2)
                    Eval(n.Kids[2], f);
                f.Returned = thenReturned && f.Returned && n.Kids.Length > 2;
                return null;
            }
            case IrKind.Loop:
            {
                if (n.Index >= 0 && n.Index < n.Kids.Length && Eval(n.Kids[n.Index], f) == 0)
                    return null;
                for (int i = 0; i < n.Kids.Length; i++)
                    if (i != n.Index)
                        Eval(n.Kids[i], f);
                f.Returned = false;
                return null;
            }
            case IrKind.Switch:
                EvalSwitch(n, f);
                f.Returned = false;
                return null;
            case IrKind.Case:
                for (int i = 1; i < n.Kids.Length; i++)
                    Eval(n.Kids[i], f);
                return null;
            case IrKind.Asm:
                if (_quiet == 0 && n.Text is { } text)
                    foreach (Match m in AsmCallPattern().Matches(text))
                        AsmReferences.Add(m.Groups[1].Value);
                return EvalAll(n, f);
            case IrKind.Unevaluated:
            case IrKind.Break:
                return null;
            default:
                return EvalAll(n, f);
        }
    }

    [GeneratedRegex(@"\b(?:call|jmp)\s+([A-Za-z_][A-Za-z0-9_]*)\b")]
    private static partial Regex AsmCallPattern();

    private long? EvalAll(IrNode n, Frame f)
    {
        foreach (var k in n.Kids)
            Eval(k, f);
        return null;
    }

    private long? EvalQuiet(IrNode n, Frame f)
    {
        _quiet++;
        try
        {
            return Eval(n, f);
        }
        finally
        {
            _quiet--;
        }
    }

    private long? EvalBinary(IrNode n, Frame f)
    {
        if (n.Kids.Length != 2)
            return EvalAll(n, f);
        var op = (BinaryOp)n.Op;
        if (op == BinaryOp.LAnd)
        {
            long? l = Eval(n.Kids[0], f);
            if (l == 0)
                return 0;
            long? r = Eval(n.Kids[1], f);
            if (r == 0)
                return 0;
            return l is not null && r is not null ? 1 : null;
        }
        if (op == BinaryOp.LOr)
        {
            long? l = Eval(n.Kids[0], f);
            if (l is long lv && lv != 0)
                return 1;
            long? r = Eval(n.Kids[1], f);
            if (r is long rv && rv != 0)
                return 1;
            return l is not null && r is not null ? 0 : null;
        }
        long? a = Eval(n.Kids[0], f);
        long? b = Eval(n.Kids[1], f);
        if (op == BinaryOp.Comma)
            return b;
        if (a is not long x || b is not long y)
            return null;
        return op switch
        {
            BinaryOp.Mul => x * y,
            BinaryOp.Div => y == 0 ? null : x / y,
            BinaryOp.Rem => y == 0 ? null : x % y,
            BinaryOp.Add => x + y,
            BinaryOp.Sub => x - y,
            BinaryOp.Shl => y is >= 0 and < 64 ? x << (int)y : null,
            BinaryOp.Shr => y is >= 0 and < 64 ? x >> (int)y : null,
            BinaryOp.LT => x < y ? 1 : 0,
            BinaryOp.GT => x > y ? 1 : 0,
            BinaryOp.LE => x <= y ? 1 : 0,
            BinaryOp.GE => x >= y ? 1 : 0,
            BinaryOp.EQ => x == y ? 1 : 0,
            BinaryOp.NE => x != y ? 1 : 0,
            BinaryOp.And => x & y,
            BinaryOp.Xor => x ^ y,
            BinaryOp.Or => x | y,
            _ => null,
        };
    }

    private long? EvalUnary(IrNode n, Frame f)
    {
        if (n.Kids.Length != 1)
            return EvalAll(n, f);
        long? v = Eval(n.Kids[0], f);
        return (UnaryOp)n.Op switch
        {
            UnaryOp.Plus or UnaryOp.Extension => v,
            UnaryOp.Minus => -v,
            UnaryOp.Not => ~v,
            UnaryOp.LNot => v is long x ? (x == 0 ? 1 : 0) : null,
            _ => null,
        };
    }

    private long? EvalSwitch(IrNode n, Frame f)
    {
        if (n.Kids.Length != 2)
            return EvalAll(n, f);
        long? c = Eval(n.Kids[0], f);
        var body = n.Kids[1];
        if (c is not long value || body.Kind != IrKind.Compound)
        {
            Eval(body, f);
            return null;
        }
        // Constant switch (sizeof dispatch in uaccess/percpu helpers): run from the matching label to the first break.
        int start = -1, fallback = -1;
        for (int i = 0; i < body.Kids.Length && start < 0; i++)
        {
            for (var label = body.Kids[i]; label.Kind is IrKind.Case or IrKind.Default; label = label.Kids.Length > 0 ? label.Kids[^1] : label)
            {
                if (label.Kind == IrKind.Default)
                    fallback = i;
                else if (label.Kids.Length > 0 && EvalQuiet(label.Kids[0], f) == value)
                {
                    start = i;
                    break;
                }
                if (label.Kids.Length == 0)
                    break;
            }
        }
        if (start < 0)
            start = fallback;
        if (start < 0)
            return null;
        for (int i = start; i < body.Kids.Length; i++)
        {
            var stmt = body.Kids[i];
            while (stmt.Kind is IrKind.Case or IrKind.Default && stmt.Kids.Length > 0)
                stmt = stmt.Kids[^1];
            if (stmt.Kind == IrKind.Break)
                break;
            Eval(stmt, f);
            if (stmt.Kind == IrKind.Return)
                break;
        }
        return null;
    }

    private long? EvalCall(IrNode n, Frame f)
    {
        var target = n.Target!;
        if (Builtins.IsBuiltin(target.Name))
            return EvalBuiltin(target.Name, n, f);
        var args = new long?[n.Kids.Length];
        for (int i = 0; i < args.Length; i++)
            args[i] = Eval(n.Kids[i], f);
        if (target.Definition is null)
        {
            if (_quiet == 0)
            {
                if (Builtins.LibraryFunctionInlined(target.Name, args))
                    return null;
                AddExternal(target);
            }
            return null;
        }
        Visit(target, target.IsInline ? args : null);
        if (target.IsInline && _foldDepth < MaxFoldDepth)
        {
            _index.EnsureBody(target);
            if (target.ReturnExpression is { } ret)
            {
                _foldDepth++;
                try
                {
                    return EvalQuiet(ret, new Frame(target, args));
                }
                finally
                {
                    _foldDepth--;
                }
            }
        }
        return null;
    }

    private long? EvalBuiltin(string name, IrNode n, Frame f)
    {
        switch (name)
        {
            case "__builtin_unreachable":
            case "__builtin_trap":
                f.Returned = true;
                return null;
            case "__builtin_constant_p":
                return n.Kids.Length == 1 && EvalQuiet(n.Kids[0], f) is not null ? 1 : 0;
            case "__builtin_expect":
            case "__builtin_expect_with_probability":
            {
                long? v = null;
                for (int i = 0; i < n.Kids.Length; i++)
                {
                    long? a = Eval(n.Kids[i], f);
                    if (i == 0)
                        v = a;
                }
                return v;
            }
            default:
            {
                var args = new long?[n.Kids.Length];
                for (int i = 0; i < args.Length; i++)
                    args[i] = Eval(n.Kids[i], f);
                if (_quiet == 0 && Builtins.LibraryCallOf(name, args) is { } call)
                    LibraryCalls.Add(call);
                return null;
            }
        }
    }
}
