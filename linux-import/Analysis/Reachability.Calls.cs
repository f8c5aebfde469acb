// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: calls. Inline functions are walked in their calling context;
// GCC builtins fold, expand inline or become library calls.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    private long? EvalCall(IrNode n, Frame f)
    {
        var target = n.Target!;
        bool zeroTested = ZeroTested(n);
        if (Builtins.IsBuiltin(target.Name))
        {
            long? folded = EvalBuiltin(target.Name, n, f, zeroTested);
            if (!PureBuiltin(target.Name))
                f.Clock.Epoch++;
            return folded;
        }
        bool inline = target.Definition is not null && target.IsInline;
        if (inline)
            _index.EnsureBody(target);
        var binding = new Binding(n.Kids.Length);
        for (int i = 0; i < n.Kids.Length; i++)
        {
            var arg = n.Kids[i];
            // An argument an inlined function never reads generates no code (unless it has effects of its own).
            bool unread = inline && i < target.ParamRead.Length && !target.ParamRead[i] && !arg.HasEffects();
            binding.Values[i] = unread ? EvalQuiet(arg, f) : Eval(arg, f);
            // Object sizes matter wherever GCC may inline: inline functions, and static ones it
            // inlines or clones for their callers (a static called once, for one).
            if (inline || target.IsStatic && target.Definition is not null)
            {
                binding.Size0[i] = ObjectSize(arg, 0, f);
                binding.Size1[i] = ObjectSize(arg, 1, f);
            }
            binding.Literals[i] = LiteralOf(arg, f);
            // Bounds too: a static function GCC inlines into this caller knows them (its own walk, with what every
            // call passes, knows no more than each call: Reachability.Interprocedural).
            if (binding.Values[i] is null && (inline || target.Definition is null || target.IsStatic))
                binding.Upper[i] = ExpansionBound(arg, f);
            // What branches taught reaches an inline callee's comparisons (fortify's), which GCC folds there.
            if (binding.Values[i] is null && inline && UpperBound(arg, f, learnt: true) is long taught && taught != binding.Upper[i])
                binding.Learnt[i] = taught;
        }
        // From here on the call may have written memory (its arguments were read before).
        f.Clock.Epoch++;
        if (StringLengthBound(target, binding, n) is long lengthBound)
            f.CallBounds[n] = lengthBound;
        if (target.Definition is null)
        {
            if (!Builtins.IsLibraryBuiltin(target.Name))
                NoteCallMade(target);
            if (_quiet == 0)
            {
                // GCC rewrites some library calls (sprintf(d, "%s", s) is strcpy(d, s)) and expands others inline,
                // some only where it optimizes for speed, or only for size.
                EmitLibraryCall(
                    Builtins.CallEmitted(target.Name, binding.Values, binding.Literals, zeroTested, binding.Upper, n.ValueUnused),
                    Builtins.CallEmitted(target.Name, binding.Values, binding.Literals, zeroTested, binding.Upper, n.ValueUnused, sizeOptimized: true),
                    target);
            }
            return null;
        }
        if (inline)
        {
            long? value = Inline(target, binding, zeroTested, out long? returned);
            if (returned is long r)
                f.CallBounds[n] = f.CallBounds.TryGetValue(n, out long known) ? Bound.Both(known, r)!.Value : r;
            return value;
        }
        NoteDirectCall(target, call: n);
        NoteCallMade(target);
        // A static one is walked as GCC compiles it, once every call of it is known: inlined into each caller with what
        // the call passes, or on its own with what all its calls pass (Reachability.Interprocedural).
        if (target.IsStatic)
        {
            JoinCall(target, n, binding, f);
            _callBindings.Add((target, binding));
        }
        else
            Visit(target, null);
        return null;
    }

    /// <summary>
    /// Walks an inline function in its calling context now, rather than queueing it, so that the
    /// value it returns (when every return that survives gives the same constant) folds at the call
    /// site: WARN_ONCE(fortify_memcpy_chk(…)) with sizes that rule the warning out, for one.
    /// </summary>
    /// <summary>Builtins that read nothing from memory nor write it: what was loaded before holds after them.</summary>
    private static bool PureBuiltin(string name) => name is "__builtin_constant_p" or "__builtin_object_size" or "__builtin_dynamic_object_size"
        or "__builtin_expect" or "__builtin_expect_with_probability" or "__builtin_choose_expr" or "__builtin_types_compatible_p";

    /// <summary>strnlen(p, n) is at most n, and at most the longest literal p may point to.</summary>
    private static long? StringLengthBound(Symbol target, Binding binding, IrNode call)
    {
        if (target.LinkName is not ("strnlen" or "__real_strnlen") && target.Name != "strnlen" || binding.Values.Length != 2)
            return null;
        // What strnlen returns is a size: not negative, at most n when n cannot be negative.
        long? bound = binding.Values[1] is long n && n >= 0 ? n : Bound.NonNegative(binding.Upper[1]);
        if (call.Kids.Length == 2 && LiteralLengths(call.Kids[0]) is long longest)
            bound = bound is long b ? Math.Min(b, longest) : longest;
        return bound;
    }

    /// <summary>The length of the longest literal a pointer expression (a literal, or c ? "a" : "bb") points to.</summary>
    private static long? LiteralLengths(IrNode expr)
    {
        var n = expr.Unwrapped;
        if (n.Kind == IrKind.Constant && n.Text is { } text)
            return System.Text.Encoding.UTF8.GetByteCount(text);
        if (n.Kind == IrKind.Conditional && n.Kids.Length == 3 && LiteralLengths(n.Kids[1]) is long a && LiteralLengths(n.Kids[2]) is long b)
            return Math.Max(a, b);
        return null;
    }

    private long? Inline(Symbol target, Binding binding, bool zeroTested, out long? returnBound)
    {
        returnBound = null;
        // An inline function whose value is tested against zero passes that on to the call it returns
        // (fortify's memcmp returns __builtin_memcmp's value): walked apart from its other uses.
        string key = binding.Key() + (zeroTested ? "|zero" : "");
        var id = (target, key);
        if (_returns.TryGetValue(id, out var known) && (_quiet > 0 || Walked(target, key)))
        {
            // Walked in this context before, in another caller: what depends on the caller is made again for this one.
            if (_quiet == 0 && _inlineReplays.TryGetValue(id, out var made))
                Replay(made);
            ReplayEffects(id);
            returnBound = _returnBounds.GetValueOrDefault(id);
            return known;
        }
        if (_inlining.Count >= MaxInlineDepth || !_inlining.Add(id) || target.Body is null)
        {
            NoteDirectCall(target);
            NoteCallMade(target);
            Visit(target, binding);
            return null;
        }
        var caller = _current;
        bool capturing = _quiet == 0;
        if (capturing)
            _capturing.Push([]);
        var outer = EnterInline();
        try
        {
            if (_quiet == 0)
                MarkWalked(target, key);
            _current = target;
            if (Trace && _quiet == 0)
                Console.Error.WriteLine($"trace: {target.Name} [{key}] (inline)");
            var frame = new Frame(target, key.Length == 0 ? null : binding) { ResultZeroTested = zeroTested, Clock = _clock };
            Eval(target.Body, frame);
            long? value = frame.ReturnKnown ? frame.ReturnValue : null;
            _returns[id] = value;
            _returnBounds[id] = returnBound = frame.ReturnBound;
            return value;
        }
        finally
        {
            LeaveInline(outer, _quiet == 0 ? id : null);
            _current = caller;
            _inlining.Remove(id);
            if (capturing && _capturing.Pop() is { Count: > 0 } made)
                _inlineReplays[id] = made;
        }
    }

    /// <summary>The call's value is only tested against zero: where it is written, or because it is what an
    /// inline function whose value is tested against zero returns.</summary>
    private bool ZeroTested(IrNode call) => call.ZeroTested || ReferenceEquals(call, _returnedZeroTested);

    private IrNode? _returnedZeroTested;
    private readonly Dictionary<(Symbol, string), long?> _returnBounds = new();

    private bool Walked(Symbol symbol, string key) => _contexts.TryGetValue(symbol, out var seen) && seen.Contains(key);

    private void MarkWalked(Symbol symbol, string key)
    {
        if (!_contexts.TryGetValue(symbol, out var seen))
            _contexts[symbol] = seen = new HashSet<string>(StringComparer.Ordinal);
        seen.Add(key);
    }

    /// <summary>The text of a string literal the expression points to, when known (directly or through a parameter).</summary>
    private string? LiteralOf(IrNode expr, Frame f)
    {
        var n = expr.Unwrapped;
        if (n.Kind == IrKind.Constant && n.Text is { } text)
            return text;
        // static const char driver_name[] = "pegasus": GCC reads the array as the literal.
        if (n.Kind == IrKind.SymbolRef && n.Target is { IsFunction: false } variable)
            return _index.ReadOnly.TextOf(variable);
        if (n.Kind == IrKind.Slot && n.Index < f.Literals.Length && !f.Escaped[n.Index])
            return f.Literals[n.Index];
        return null;
    }

    /// <summary>A local pointer assigned an object of known size (a literal, an array, c ? "a" : "bb") has it;
    /// GCC's object-size pass follows the assignment (name = c ? "UA-1000" : "UA-101"; strcpy(d, name)).</summary>
    private void NoteObjectSize(int slot, IrNode value, Frame f)
    {
        if (slot < 0 || slot >= f.Size0.Length || f.Escaped[slot])
            return;
        long s0 = ObjectSize(value, 0, f), s1 = ObjectSize(value, 1, f);
        f.Size0[slot] = s0 >= 0 ? s0 : null;
        f.Size1[slot] = s1 >= 0 ? s1 : null;
        f.SizeAssigned[slot] = true;
        if (f.SwitchSizes.Count > 0)
        {
            var set = f.SwitchSizes.Peek();
            set[slot] = set.TryGetValue(slot, out var had)
                ? (SizeState.Join(had.Size0, f.Size0[slot]), SizeState.Join(had.Size1, f.Size1[slot]))
                : (f.Size0[slot], f.Size1[slot]);
        }
    }

    /// <summary>What GCC's __builtin_object_size(expr, type) gives: the object's size when it can see it,
    /// else (size_t)-1 for types 0 and 1, 0 for types 2 and 3.</summary>
    private long ObjectSize(IrNode expr, int type, Frame f)
    {
        var n = expr.Unwrapped;
        long unknown = type < 2 ? -1 : 0;
        // A parameter, or a local pointer, with the size of what it was given; a local array has its own.
        if (n.Kind == IrKind.Slot && n.Index < f.Size0.Length && n.ObjectSize is null && expr.ObjectSize is null)
            return (type % 2 == 0 ? f.Size0[n.Index] : f.Size1[n.Index]) ?? unknown;
        if (n.Kind == IrKind.Conditional && n.Kids.Length == 3)
        {
            // c ? "ATIIXP" : "ATIIXP-SPDMA": the larger object for types 0 and 1, the smaller for 2 and 3.
            long a = ObjectSize(n.Kids[1], type, f), b = ObjectSize(n.Kids[2], type, f);
            return type < 2 ? (a < 0 || b < 0 ? unknown : Math.Max(a, b)) : Math.Min(a, b);
        }
        // p + k and p - k, k known and p moved forward: what p's object has from there on, nothing past its end
        // (gcc-12: p->buf + 3 of a char buf[16] is 13 for types 1 and 3, l.buf + 3 of a local l what follows in l,
        // p->buf + 20 is 0). Backward, GCC counts from the enclosing variable for type 0 and not for type 1 (l.buf - 1:
        // 21 of l's 24 bytes; p->buf - 1: 16; arr - 2: 0): not modelled, unknown as before. Unknown stays unknown.
        if (n is { Kind: IrKind.Binary, ElementSize: > 0, Kids: [var basePointer, var added] } && n.Op is (int)Clang.BinaryOp.Add or (int)Clang.BinaryOp.Sub
            && EvalQuiet(added, f) is long k && (n.Op == (int)Clang.BinaryOp.Add ? k : -k) is long forward && forward >= 0)
            return Forward(ObjectSize(basePointer, type, f), forward * n.ElementSize, type);
        // &a[k], k known and not negative: as a + k (gcc-12: &p->buf[4] of a u8 buf[64] is 60 for types 1 and 3 and
        // not known for type 0, so af9035's memcpy(&state->buf[REQ_HDR_LEN], req->wbuf, req->wlen) keeps fortify's
        // field-spanning WARN_ONCE; &l.buf[4] of a local l is what follows in l for type 0).
        if (n is { Kind: IrKind.Unary, Kids: [var element] } && n.Op == (int)Clang.UnaryOp.AddrOf
            && element.Unwrapped is { Kind: IrKind.Index, ElementSize: > 0, Kids: [var array, var index] } indexed
            && EvalQuiet(index, f) is long at && at >= 0)
            return Forward(ObjectSize(array, type, f), at * indexed.ElementSize, type);
        // What an allocator declared alloc_size returns, of a size known here (kzalloc(PAGE_SIZE, …): fortify's
        // strlen of it is strnlen and fortify_panic).
        if (n.Kind == IrKind.Call && n.Target is { AllocSizeArguments: { Length: > 0 } sizeArguments })
        {
            long total = 1;
            foreach (int i in sizeArguments)
            {
                if (i < 0 || i >= n.Kids.Length || EvalQuiet(n.Kids[i], f) is not long part || part < 0 || part > int.MaxValue)
                    return unknown;
                total *= part;
            }
            return total;
        }
        // p->buf, p holding what kmalloc(sizeof(*p), …) returned: types 0 and 2 see to the end of the allocation, and
        // so do types 1 and 3 when buf is the struct's trailing array (it has no size of its own: IrBuilder).
        bool trailing = n.ObjectSize is null && expr.ObjectSize is null;
        if ((type % 2 == 0 || trailing) && n is { MemberOffset: long offset, Kids: [var pointer] } && pointer.Unwrapped is { Kind: IrKind.Slot } p
            && p.Index < f.Size0.Length && f.Size0[p.Index] is long whole && whole >= offset)
            return whole - offset;
        if (expr.ObjectSize is long size || n.ObjectSize is long s2 && (size = s2) >= 0)
            return (expr.ObjectIsMember || n.ObjectIsMember) && type % 2 == 0 ? expr.ObjectRemaining ?? n.ObjectRemaining ?? unknown : size;
        return unknown;
    }

    /// <summary>What an object of size <paramref name="from"/> (unknown: negative, or 0 for types 2 and 3) has left
    /// <paramref name="bytes"/> further on: nothing past its end.</summary>
    private static long Forward(long from, long bytes, int type) =>
        from < 0 || type >= 2 && from == 0 ? from : bytes > from ? 0 : from - bytes;

    private long? EvalBuiltin(string name, IrNode n, Frame f, bool zeroTested)
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
                var literals = new string?[n.Kids.Length];
                var upper = new long?[n.Kids.Length];
                bool overflow = Builtins.IsOverflowCheck(name) && args.Length == 3;
                for (int i = 0; i < args.Length; i++)
                {
                    args[i] = overflow && i == 2 ? null : Eval(n.Kids[i], f);
                    literals[i] = LiteralOf(n.Kids[i], f);
                    upper[i] = args[i] is null ? UpperBound(n.Kids[i], f) : null;
                }
                if (overflow)
                    return Overflow(name, args, n.Kids[2], f);
                if (name == "__builtin_strlen" && literals.Length == 1 && literals[0] is { } text)
                    return System.Text.Encoding.UTF8.GetByteCount(text);
                if (_quiet == 0)
                    EmitLibraryCall(Builtins.LibraryCallOf(name, args, literals, zeroTested, upper),
                        Builtins.LibraryCallOf(name, args, literals, zeroTested, upper, sizeOptimized: true), null);
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
