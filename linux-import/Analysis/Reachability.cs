// SPDX-License-Identifier: MIT
// Managed side. Which code of one translation unit survives compilation, and so which external
// symbols its object file references. Starts at the roots the compiler must emit and follows
// references, folding what an optimising compiler folds: configuration switches, sizeof,
// __builtin_constant_p and __builtin_object_size of inline-function arguments, locals assigned
// constants, code after return, arguments an inline function never reads.
using System.Text.RegularExpressions;
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    private const int MaxContextsPerFunction = 32;
    private const int MaxInlineDepth = 48;

    private readonly UnitIndex _index;
    private readonly Dictionary<Symbol, HashSet<string>> _contexts = new();
    private readonly Queue<(Symbol Symbol, Binding? Args)> _work = new();
    private Symbol? _current;
    private int _quiet;
    private readonly Dictionary<(Symbol, string), long?> _returns = new();
    private readonly HashSet<(Symbol, string)> _inlining = new();

    /// <summary>Symbols referenced from surviving code that this unit does not define.</summary>
    public HashSet<Symbol> External { get; } = [];

    /// <summary>Names called from inline assembly templates ("call name") or library calls the compiler emits (memcpy…).</summary>
    public HashSet<string> NamedReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>Link name → the definition whose code first referenced it (for explanations).</summary>
    public Dictionary<string, string> Origins { get; } = new(StringComparer.Ordinal);

    public Reachability(UnitIndex index) => _index = index;

    /// <summary>LINUXSHIM_TRACE=1 prints every definition walked, with its calling context.</summary>
    private static readonly bool Trace = Environment.GetEnvironmentVariable("LINUXSHIM_TRACE") == "1";

    /// <summary>What is known of a call's arguments: values and, for pointers, the size of the object.</summary>
    private sealed record Binding(long?[] Values, long?[] Size0, long?[] Size1)
    {
        public string Key()
        {
            if (Array.TrueForAll(Values, v => v is null) && Array.TrueForAll(Size0, v => v is null) && Array.TrueForAll(Size1, v => v is null))
                return "";
            return string.Join(',', Values) + "|" + string.Join(',', Size0) + "|" + string.Join(',', Size1);
        }
    }

    private sealed class Frame
    {
        public readonly long?[] Slots;
        public readonly long?[] Size0;
        public readonly long?[] Size1;
        public readonly bool[] Opaque;

        /// <summary>Slots whose address has been taken: from then on anything may write them.</summary>
        public readonly bool[] Escaped;

        /// <summary>Control cannot reach the next statement (after return, or an if whose branches all return).</summary>
        public bool Returned;

        /// <summary>The value every return reached so far gave, while they agree.</summary>
        public long? ReturnValue;
        private bool _anyReturn, _returnsDisagree;

        public bool ReturnKnown => _anyReturn && !_returnsDisagree && ReturnValue is not null;

        public void NoteReturn(long? value)
        {
            if (!_anyReturn)
            {
                _anyReturn = true;
                ReturnValue = value;
            }
            else if (ReturnValue != value)
            {
                _returnsDisagree = true;
            }
        }

        public Frame(Symbol function, Binding? args)
        {
            Slots = new long?[function.SlotCount];
            Size0 = new long?[function.ParamCount];
            Size1 = new long?[function.ParamCount];
            Opaque = function.Opaque.Length == function.SlotCount ? function.Opaque : new bool[function.SlotCount];
            Escaped = new bool[function.SlotCount];
            if (args is null)
                return;
            for (int i = 0; i < function.ParamCount && i < args.Values.Length; i++)
            {
                if (!Opaque[i])
                    Slots[i] = args.Values[i];
                Size0[i] = args.Size0[i];
                Size1[i] = args.Size1[i];
            }
        }
    }

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
            _current = symbol;
            if (Trace)
                Console.Error.WriteLine($"trace: {symbol.Name} [{args?.Key()}]");
            Eval(symbol.Body, new Frame(symbol, args));
        }
    }

    private void Visit(Symbol symbol, Binding? args)
    {
        if (_quiet > 0)
            return;
        if (!_contexts.TryGetValue(symbol, out var seen))
            _contexts[symbol] = seen = new HashSet<string>(StringComparer.Ordinal);
        if (seen.Count >= MaxContextsPerFunction)
            args = null;
        string key = args?.Key() ?? "";
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
            Origins.TryAdd(symbol.LinkName, _current.Name);
    }

    private void AddNamed(string name)
    {
        if (NamedReferences.Add(name) && _current is not null)
            Origins.TryAdd(name, _current.Name);
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
                        // Dead after a return, unless a goto or a switch can land on a later label.
                        if (k.Kind is not (IrKind.Label or IrKind.Case or IrKind.Default))
                            continue;
                        f.Returned = false;
                    }
                    v = Eval(k, f);
                }
                return v;
            }
            case IrKind.Label:
                // Reached by goto from elsewhere: what the locals hold is no longer known.
                Array.Clear(f.Slots);
                return EvalAll(n, f);
            case IrKind.Return:
            {
                long? v = null;
                foreach (var k in n.Kids)
                    v = Eval(k, f);
                f.NoteReturn(n.Kids.Length > 0 ? v : null);
                f.Returned = true;
                return null;
            }
            case IrKind.SymbolRef:
                Touch(n.Target!);
                return null;
            case IrKind.Slot:
                return n.Index < f.Slots.Length ? f.Slots[n.Index] : null;
            case IrKind.LocalDecl:
            {
                long? v = n.Kids.Length > 0 ? Eval(n.Kids[0], f) : null;
                Assign(n.Index, v, f);
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
                long? a = null, b = null;
                Branches(f, () => a = Eval(n.Kids[1], f), () => b = Eval(n.Kids[2], f));
                return a == b ? a : null;
            }
            case IrKind.If:
            {
                if (n.Kids.Length < 2)
                    return EvalAll(n, f);
                long? c = Eval(n.Kids[0], f);
                if (Trace)
                    Console.Error.WriteLine($"trace:   if -> {c}");
                if (c is long cv)
                {
                    if (cv != 0)
                        Eval(n.Kids[1], f);
                    else if (n.Kids.Length > 2)
                        Eval(n.Kids[2], f);
                    return null;
                }
                Branches(f, () => Eval(n.Kids[1], f), n.Kids.Length > 2 ? () => Eval(n.Kids[2], f) : null);
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
                        AddNamed(m.Groups[1].Value);
                EvalAll(n, f);
                for (int i = 0; i < n.Index && i < n.Kids.Length; i++)
                    if (n.Kids[i].Unwrapped is { Kind: IrKind.Slot } written)
                        Assign(written.Index, null, f);
                return null;
            case IrKind.Unevaluated:
            case IrKind.Break:
                return null;
            default:
                return EvalAll(n, f);
        }
    }

    [GeneratedRegex(@"\b(?:call|jmp)\s+([A-Za-z_][A-Za-z0-9_]*)\b")]
    private static partial Regex AsmCallPattern();

    /// <summary>Runs two paths from the same state and joins them: a local keeps a value only if both agree.</summary>
    private static void Branches(Frame f, Action first, Action? second)
    {
        var before = (long?[])f.Slots.Clone();
        first();
        var afterFirst = (long?[])f.Slots.Clone();
        bool firstReturned = f.Returned;
        Array.Copy(before, f.Slots, before.Length);
        f.Returned = false;
        second?.Invoke();
        bool secondReturned = f.Returned;
        if (firstReturned && !secondReturned)
        {
            // Only the second path continues: its state stands.
        }
        else if (secondReturned && !firstReturned)
            Array.Copy(afterFirst, f.Slots, afterFirst.Length);
        else
            for (int i = 0; i < f.Slots.Length; i++)
                if (f.Slots[i] != afterFirst[i])
                    f.Slots[i] = null;
        f.Returned = firstReturned && secondReturned && second is not null;
    }

    private static void Assign(int slot, long? value, Frame f)
    {
        if (Trace)
            Console.Error.WriteLine($"trace:   slot {slot} = {value}");
        if (slot >= 0 && slot < f.Slots.Length)
            f.Slots[slot] = f.Opaque[slot] || f.Escaped[slot] ? null : value;
    }

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
        if (op is >= BinaryOp.Assign and <= BinaryOp.OrAssign)
        {
            var target = n.Kids[0].Unwrapped;
            long? old = target.Kind == IrKind.Slot ? Eval(target, f) : EvalLValue(n.Kids[0], f);
            long? value = Eval(n.Kids[1], f);
            if (op != BinaryOp.Assign)
                value = Arithmetic(CompoundOperator(op), old, value, n.Flag);
            if (target.Kind == IrKind.Slot)
                Assign(target.Index, value, f);
            return value;
        }
        long? a = Eval(n.Kids[0], f);
        long? b = Eval(n.Kids[1], f);
        return op == BinaryOp.Comma ? b : Arithmetic(op, a, b, n.Flag);
    }

    /// <summary>The arithmetic of a compound assignment: *= → *, |= → |…</summary>
    private static BinaryOp CompoundOperator(BinaryOp op) => op switch
    {
        BinaryOp.MulAssign => BinaryOp.Mul,
        BinaryOp.DivAssign => BinaryOp.Div,
        BinaryOp.RemAssign => BinaryOp.Rem,
        BinaryOp.AddAssign => BinaryOp.Add,
        BinaryOp.SubAssign => BinaryOp.Sub,
        BinaryOp.ShlAssign => BinaryOp.Shl,
        BinaryOp.ShrAssign => BinaryOp.Shr,
        BinaryOp.AndAssign => BinaryOp.And,
        BinaryOp.XorAssign => BinaryOp.Xor,
        BinaryOp.OrAssign => BinaryOp.Or,
        _ => BinaryOp.Invalid,
    };

    /// <summary>The left side of an assignment to memory: evaluated for its references, no value.</summary>
    private long? EvalLValue(IrNode n, Frame f)
    {
        Eval(n, f);
        return null;
    }

    private static long? Arithmetic(BinaryOp op, long? a, long? b, bool unsigned)
    {
        if (a is not long x || b is not long y)
        {
            // x & 0 and x * 0 are 0 whatever x is.
            if (op is BinaryOp.And or BinaryOp.Mul && (a == 0 || b == 0))
                return 0;
            return null;
        }
        ulong ux = unchecked((ulong)x), uy = unchecked((ulong)y);
        return op switch
        {
            BinaryOp.Mul => unchecked(x * y),
            BinaryOp.Div => y == 0 ? null : unsigned ? unchecked((long)(ux / uy)) : x / y,
            BinaryOp.Rem => y == 0 ? null : unsigned ? unchecked((long)(ux % uy)) : x % y,
            BinaryOp.Add => unchecked(x + y),
            BinaryOp.Sub => unchecked(x - y),
            BinaryOp.Shl => y is >= 0 and < 64 ? x << (int)y : null,
            BinaryOp.Shr => y is >= 0 and < 64 ? (unsigned ? unchecked((long)(ux >> (int)y)) : x >> (int)y) : null,
            BinaryOp.LT => (unsigned ? ux < uy : x < y) ? 1 : 0,
            BinaryOp.GT => (unsigned ? ux > uy : x > y) ? 1 : 0,
            BinaryOp.LE => (unsigned ? ux <= uy : x <= y) ? 1 : 0,
            BinaryOp.GE => (unsigned ? ux >= uy : x >= y) ? 1 : 0,
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
        var op = (UnaryOp)n.Op;
        long? v = Eval(n.Kids[0], f);
        switch (op)
        {
            case UnaryOp.PostInc or UnaryOp.PostDec or UnaryOp.PreInc or UnaryOp.PreDec:
            {
                long? updated = v is long x ? x + (op is UnaryOp.PostInc or UnaryOp.PreInc ? 1 : -1) : null;
                if (n.Kids[0].Unwrapped is { Kind: IrKind.Slot } slot)
                    Assign(slot.Index, updated, f);
                return op is UnaryOp.PreInc or UnaryOp.PreDec ? updated : v;
            }
            case UnaryOp.Plus or UnaryOp.Extension:
                return v;
            case UnaryOp.AddrOf:
                if (_quiet == 0 && n.Kids[0].Unwrapped is { Kind: IrKind.Slot } escaped && escaped.Index < f.Escaped.Length)
                {
                    f.Escaped[escaped.Index] = true;
                    f.Slots[escaped.Index] = null;
                }
                return null;
            case UnaryOp.Minus:
                return -v;
            case UnaryOp.Not:
                return ~v;
            case UnaryOp.LNot:
                return v is long b ? (b == 0 ? 1 : 0) : null;
            default:
                return null;
        }
    }

    private void EvalSwitch(IrNode n, Frame f)
    {
        if (n.Kids.Length != 2)
        {
            EvalAll(n, f);
            return;
        }
        long? c = Eval(n.Kids[0], f);
        var body = n.Kids[1];
        if (c is not long value || body.Kind != IrKind.Compound)
        {
            var before = (long?[])f.Slots.Clone();
            Eval(body, f);
            for (int i = 0; i < f.Slots.Length; i++)
                if (f.Slots[i] != before[i])
                    f.Slots[i] = null;
            return;
        }
        // Constant switch (sizeof dispatch in uaccess/percpu helpers): run from the matching label to the first break.
        int start = -1, fallback = -1;
        for (int i = 0; i < body.Kids.Length && start < 0; i++)
        {
            for (var label = body.Kids[i]; label.Kind is IrKind.Case or IrKind.Default; label = label.Kids[^1])
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
            return;
        for (int i = start; i < body.Kids.Length; i++)
        {
            var stmt = body.Kids[i];
            while (stmt.Kind is IrKind.Case or IrKind.Default && stmt.Kids.Length > 0)
                stmt = stmt.Kids[^1];
            if (stmt.Kind == IrKind.Break)
                break;
            Eval(stmt, f);
            if (f.Returned)
                break;
        }
    }

    private long? EvalCall(IrNode n, Frame f)
    {
        var target = n.Target!;
        if (Builtins.IsBuiltin(target.Name))
            return EvalBuiltin(target.Name, n, f);
        bool inline = target.Definition is not null && target.IsInline;
        if (inline)
            _index.EnsureBody(target);
        var binding = new Binding(new long?[n.Kids.Length], new long?[n.Kids.Length], new long?[n.Kids.Length]);
        for (int i = 0; i < n.Kids.Length; i++)
        {
            var arg = n.Kids[i];
            // An argument an inlined function never reads generates no code (unless it has effects of its own).
            bool unread = inline && i < target.ParamRead.Length && !target.ParamRead[i] && !arg.HasEffects();
            binding.Values[i] = unread ? EvalQuiet(arg, f) : Eval(arg, f);
            if (inline)
            {
                binding.Size0[i] = ObjectSize(arg, 0, f);
                binding.Size1[i] = ObjectSize(arg, 1, f);
            }
        }
        if (target.Definition is null)
        {
            if (_quiet == 0 && !Builtins.LibraryFunctionInlined(target.Name, binding.Values))
                AddExternal(target);
            return null;
        }
        if (inline)
            return Inline(target, binding);
        // GCC may inline or clone a static function for constant arguments, or not: both versions
        // are possible, so both are followed.
        Visit(target, null);
        if (target.IsStatic && Specializes(target, binding))
            Visit(target, binding);
        return null;
    }

    /// <summary>
    /// Walks an inline function in its calling context now, rather than queueing it, so that the
    /// value it returns (when every return that survives gives the same constant) folds at the call
    /// site: WARN_ONCE(fortify_memcpy_chk(…)) with sizes that rule the warning out, for one.
    /// </summary>
    private long? Inline(Symbol target, Binding binding)
    {
        string key = binding.Key();
        var id = (target, key);
        if (_returns.TryGetValue(id, out var known) && (_quiet > 0 || Walked(target, key)))
            return known;
        if (_inlining.Count >= MaxInlineDepth || !_inlining.Add(id) || target.Body is null)
        {
            Visit(target, binding);
            return null;
        }
        var caller = _current;
        try
        {
            if (_quiet == 0)
                MarkWalked(target, key);
            _current = target;
            if (Trace && _quiet == 0)
                Console.Error.WriteLine($"trace: {target.Name} [{key}] (inline)");
            var frame = new Frame(target, key.Length == 0 ? null : binding);
            Eval(target.Body, frame);
            long? value = frame.ReturnKnown ? frame.ReturnValue : null;
            _returns[id] = value;
            return value;
        }
        finally
        {
            _current = caller;
            _inlining.Remove(id);
        }
    }

    private bool Walked(Symbol symbol, string key) => _contexts.TryGetValue(symbol, out var seen) && seen.Contains(key);

    private void MarkWalked(Symbol symbol, string key)
    {
        if (!_contexts.TryGetValue(symbol, out var seen))
            _contexts[symbol] = seen = new HashSet<string>(StringComparer.Ordinal);
        seen.Add(key);
    }

    private bool Specializes(Symbol target, Binding binding)
    {
        _index.EnsureBody(target);
        return binding.Key().Length > 0;
    }

    /// <summary>What GCC's __builtin_object_size(expr, type) gives: the object's size when it can see it,
    /// else (size_t)-1 for types 0 and 1, 0 for types 2 and 3.</summary>
    private static long ObjectSize(IrNode expr, int type, Frame f)
    {
        var n = expr.Unwrapped;
        long unknown = type < 2 ? -1 : 0;
        if (n.Kind == IrKind.Slot && n.Index < f.Size0.Length)
            return (type % 2 == 0 ? f.Size0[n.Index] : f.Size1[n.Index]) ?? unknown;
        if (expr.ObjectSize is long size || n.ObjectSize is long s2 && (size = s2) >= 0)
            return (expr.ObjectIsMember || n.ObjectIsMember) && type % 2 == 0 ? unknown : size;
        return unknown;
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
            case "__builtin_object_size":
            case "__builtin_dynamic_object_size":
                if (n.Kids.Length == 2 && EvalQuiet(n.Kids[1], f) is long type)
                    return ObjectSize(n.Kids[0], (int)type, f);
                return null;
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
                bool overflow = Builtins.IsOverflowCheck(name) && args.Length == 3;
                for (int i = 0; i < args.Length; i++)
                    args[i] = overflow && i == 2 ? null : Eval(n.Kids[i], f);
                if (overflow)
                    return Overflow(name, args, n.Kids[2], f);
                if (_quiet == 0 && Builtins.LibraryCallOf(name, args) is { } call)
                    AddNamed(call);
                return null;
            }
        }
    }

    /// <summary>__builtin_{add,sub,mul}_overflow(a, b, &amp;r): stores a op b in r, returns whether it overflowed.</summary>
    private static long? Overflow(string name, long?[] args, IrNode result, Frame f)
    {
        var target = result.Unwrapped;
        int slot = target is { Kind: IrKind.Unary, Kids: [var inner] } && inner.Unwrapped.Kind == IrKind.Slot ? inner.Unwrapped.Index : -1;
        if (args[0] is not long a || args[1] is not long b)
        {
            Assign(slot, null, f);
            return null;
        }
        try
        {
            long r = checked(name.Contains("mul", StringComparison.Ordinal) ? a * b : name.Contains("sub", StringComparison.Ordinal) ? a - b : a + b);
            Assign(slot, r, f);
            return r < 0 && a >= 0 && b >= 0 ? 1 : 0;
        }
        catch (OverflowException)
        {
            Assign(slot, null, f);
            return null;
        }
    }
}
