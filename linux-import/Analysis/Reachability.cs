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

    /// <summary>The definition the object file emits whose code is being walked (inline callees are walked inside it).</summary>
    private Symbol? _emitted;
    private int _quiet;

    /// <summary>What may have written memory, for the bounds branches taught of loads (Frame.Loads).</summary>
    private readonly MemoryClock _clock = new();

    /// <summary>Breaks walked so far: a do { } while (0) with one in it is left with what held before it.</summary>
    private int _breaks;
    private readonly Dictionary<(Symbol, string), long?> _returns = new();
    private readonly HashSet<(Symbol, string)> _inlining = new();

    /// <summary>Symbols referenced from surviving code that this unit does not define.</summary>
    public HashSet<Symbol> External { get; } = [];

    /// <summary>Names called from inline assembly templates ("call name") or library calls the compiler emits (memcpy…).</summary>
    public HashSet<string> NamedReferences { get; } = new(StringComparer.Ordinal);

    /// <summary>Link name → the definition whose code first referenced it (for explanations).</summary>
    public Dictionary<string, string> Origins { get; } = new(StringComparer.Ordinal);

    /// <summary>Link name → the emitted functions (and variables) whose code references it, inline callees
    /// walked inside their caller: a symbol's call sites as the object file has them.</summary>
    public Dictionary<string, SortedSet<string>> Callers { get; } = new(StringComparer.Ordinal);

    public Reachability(UnitIndex index) => _index = index;

    /// <summary>LINUXSHIM_TRACE=1 prints every definition walked, with its calling context.</summary>
    private static readonly bool Trace = Environment.GetEnvironmentVariable("LINUXSHIM_TRACE") == "1";

    /// <summary>What is known of a call's arguments: values and, for pointers, the size of the object.</summary>
    /// <summary>What is known of a call's arguments: values, for pointers the size of the object,
    /// and for pointers to string literals their text.</summary>
    private sealed record Binding(long?[] Values, long?[] Size0, long?[] Size1, string?[] Literals, long?[] Upper, long?[] Learnt)
    {
        public Binding(int count) : this(new long?[count], new long?[count], new long?[count], new string?[count], new long?[count], new long?[count]) { }

        /// <summary>A static function's calls joined (Reachability.Interprocedural), not one call's arguments.</summary>
        public bool Joined { get; init; }

        public string Key()
        {
            string bounds = (Array.TrueForAll(Upper, v => v is null) ? "" : "<=" + string.Join(',', Upper))
                + (Array.TrueForAll(Learnt, v => v is null) ? "" : "<?" + string.Join(',', Learnt));
            if (Array.TrueForAll(Values, v => v is null) && Array.TrueForAll(Size0, v => v is null)
                && Array.TrueForAll(Size1, v => v is null) && Array.TrueForAll(Literals, v => v is null))
                return bounds;
            return string.Join(',', Values) + "|" + string.Join(',', Size0) + "|" + string.Join(',', Size1)
                + "|" + string.Join('\u0001', Literals) + bounds;
        }
    }

    private sealed class Frame
    {
        public readonly long?[] Slots;

        /// <summary>For slots whose value is not known: the largest value it can have (Reachability.Bounds).</summary>
        public readonly long?[] Upper;

        /// <summary>A smaller bound than Upper that a branch taught ("if (len &gt; 64) return;"): GCC's ranges fold
        /// comparisons with it, but the value keeps no range of its own, so copies of that size are not expanded
        /// inline (Reachability.Bounds).</summary>
        public readonly long?[] Learnt;

        /// <summary>How many times each slot has been written: a branch that writes one makes a new value where the
        /// paths join (a phi), whose range GCC takes from what each path knew.</summary>
        public readonly int[] Writes;

        /// <summary>Control left by a goto: the path does not reach the next statement (a branch's bounds).</summary>
        public bool Jumped;

        /// <summary>What branches taught of values loaded from memory ("if (req-&gt;len &gt; 64) return;"): GCC loads
        /// req-&gt;len once while nothing may have written memory since (Reachability.Bounds, MemoryClock).</summary>
        public Dictionary<string, LoadFact> Loads = new(StringComparer.Ordinal);

        /// <summary>Counts what may write memory (stores through pointers, calls, asm), shared by a walk's frames.</summary>
        public MemoryClock Clock = new();
        public readonly long?[] Size0;
        public readonly long?[] Size1;
        public readonly string?[] Literals;

        /// <summary>Slots whose address has been taken: from then on anything may write them.</summary>
        public readonly bool[] Escaped;

        /// <summary>Slots given a value (parameters, locals declared with one or assigned since): a local
        /// declared without one is undefined, which GCC's joins leave out.</summary>
        public readonly bool[] SizeAssigned;

        public readonly int ParamCount;

        /// <summary>The join of the function's calls it is walked with (Reachability.Interprocedural), else null.</summary>
        public readonly Binding? Joined;

        /// <summary>For each switch being walked, the slots any of its cases writes, with the value every
        /// such write gave (null when they differ or one is not known).</summary>
        public readonly Stack<Dictionary<int, long?>> SwitchWrites = new();

        /// <summary>For each switch being walked, the sizes each case gave the pointers it sets.</summary>
        public readonly Stack<Dictionary<int, (long? Size0, long? Size1)>> SwitchSizes = new();

        /// <summary>Slots known not to be negative (assigned such a value, or under a condition saying so),
        /// which makes a signed bound of theirs a bound of a size (Reachability.Bounds).</summary>
        public readonly bool[] NonNegative;

        /// <summary>The frame of a definition's own walk, not of an inline callee walked in it.</summary>
        public bool Outermost;

        /// <summary>The value the function returns is only tested against zero by its caller.</summary>
        public bool ResultZeroTested;

        /// <summary>Control cannot reach the next statement (after return, or an if whose branches all return).</summary>
        public bool Returned;

        /// <summary>The value every return reached so far gave, while they agree.</summary>
        public long? ReturnValue;

        /// <summary>For the calls evaluated in this frame, the largest value each returned (strnlen(p, 13) ≤ 13,
        /// or the bound of every return of an inline callee).</summary>
        public readonly Dictionary<IrNode, long> CallBounds = new(ReferenceEqualityComparer.Instance);

        private long? _returnBound;
        private bool _returnUnbounded;

        /// <summary>The largest value any return gave, when every return had one.</summary>
        public long? ReturnBound => _returnUnbounded ? null : _returnBound;

        public void NoteReturnBound(long? bound)
        {
            if (bound is not long b)
                _returnUnbounded = true;
            else
                _returnBound = _returnBound is null ? b : Bound.Either(_returnBound, b);
        }
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
            Upper = new long?[function.SlotCount];
            Learnt = new long?[function.SlotCount];
            Writes = new int[function.SlotCount];
            // Locals too: name = c ? "UA-1000" : "UA-101"; strcpy(d, name) sees the literals' sizes.
            Size0 = new long?[function.SlotCount];
            Size1 = new long?[function.SlotCount];
            SizeAssigned = new bool[function.SlotCount];
            Array.Fill(SizeAssigned, true, 0, Math.Min(function.ParamCount, function.SlotCount));
            ParamCount = function.ParamCount;
            // Locals too: fortify's __compiletime_strlen(p) reads a string through "unsigned char *__p = p".
            Literals = new string?[function.SlotCount];
            Escaped = new bool[function.SlotCount];
            NonNegative = new bool[function.SlotCount];
            if (args is null)
                return;
            if (args.Joined)
                Joined = args;
            // A parameter a loop writes holds what it was given until that loop (IrNode.Written).
            for (int i = 0; i < function.ParamCount && i < args.Values.Length; i++)
            {
                Slots[i] = args.Values[i];
                Upper[i] = args.Upper[i];
                Learnt[i] = args.Learnt[i];
                Size0[i] = args.Size0[i];
                Size1[i] = args.Size1[i];
                Literals[i] = args.Literals[i];
            }
        }
    }

    public void Run()
    {
        foreach (var root in _index.Roots)
        {
            if (root.IsFunction)
                _notLocal.Add(root);
            Visit(root, null);
        }
        // Static functions are walked with what their calls say of their parameters once those calls have been walked.
        do
        {
            while (_work.Count > 0)
            {
                var (symbol, args) = _work.Dequeue();
                _index.EnsureBody(symbol);
                if (symbol.Body is null)
                    continue;
                _current = _emitted = symbol;
                StartFunctionWalk();
                if (Trace)
                    Console.Error.WriteLine($"trace: {symbol.Name} [{args?.Key()}]");
                var frame = new Frame(symbol, args) { Outermost = true, Clock = _clock };
                Eval(symbol.Body, frame);
                FinishFunctionWalk(symbol, frame.Returned);
            }
        }
        while (WalkJoined() || WalkInlinedCalls());
        DecideDeferred();
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
        if (symbol.IsFunction)
            _notLocal.Add(symbol); // its address is taken
        if (symbol.Definition is not null)
            Visit(symbol, null);
        else
            AddExternal(symbol);
    }

    private void AddExternal(Symbol symbol)
    {
        if (External.Add(symbol) && _current is not null)
            Origins.TryAdd(symbol.LinkName, _current.Name);
        NoteCaller(symbol.LinkName);
    }

    private void AddNamed(string name)
    {
        if (NamedReferences.Add(name) && _current is not null)
            Origins.TryAdd(name, _current.Name);
        NoteCaller(name);
    }

    private void NoteCaller(string name)
    {
        if (_emitted is null)
            return;
        if (!Callers.TryGetValue(name, out var callers))
            Callers[name] = callers = new SortedSet<string>(StringComparer.Ordinal);
        callers.Add(_emitted.Name);
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
                NoteLabel();
                Array.Clear(f.Slots);
                Array.Clear(f.Upper);
                ForgetTaught(f);
                Array.Clear(f.NonNegative);
                for (int i = f.ParamCount; i < f.Size0.Length; i++)
                    f.Size0[i] = f.Size1[i] = null;
                return EvalAll(n, f);
            case IrKind.Return:
            {
                long? v = null;
                foreach (var k in n.Kids)
                {
                    var returned = k.Unwrapped;
                    _returnedZeroTested = f.ResultZeroTested && returned.Kind == IrKind.Call ? returned : null;
                    v = Eval(k, f);
                    _returnedZeroTested = null;
                }
                f.NoteReturn(n.Kids.Length > 0 ? v : null);
                if (f.Outermost)
                    NoteReturn();
                f.NoteReturnBound(n.Kids.Length == 0 ? null : v is long x && x >= 0 ? x : UpperBound(n.Kids[^1], f));
                f.Returned = true;
                return null;
            }
            case IrKind.SymbolRef:
                Touch(n.Target!);
                return n.Target!.IsFunction ? null : _index.ReadOnly.ValueOf(n.Target!);
            case IrKind.Slot:
                return n.Index < f.Slots.Length ? f.Slots[n.Index] : null;
            case IrKind.LocalDecl:
            {
                long? v = n.Kids.Length > 0 ? Eval(n.Kids[0], f) : null;
                Assign(n.Index, v, f);
                if (v is null && n.Kids.Length > 0)
                    SetUpper(n.Index, n.Kids[0], f);
                if (n.Kids.Length > 0)
                {
                    NoteSign(n.Index, n.Kids[0], f);
                    NoteObjectSize(n.Index, n.Kids[0], f);
                }
                else if (n.Index >= 0 && n.Index < f.SizeAssigned.Length)
                    f.SizeAssigned[n.Index] = false;
                if (n.Kids.Length > 0 && n.Index >= 0 && n.Index < f.Literals.Length && !f.Escaped[n.Index])
                    f.Literals[n.Index] = LiteralOf(n.Kids[0], f);
                return null;
            }
            case IrKind.Call:
                return EvalCall(n, f);
            case IrKind.Binary:
                return EvalBinary(n, f);
            case IrKind.Unary:
                return EvalUnary(n, f);
            case IrKind.Index:
            {
                if (n.Kids.Length != 2)
                    return EvalAll(n, f);
                Eval(n.Kids[0], f);
                long? index = Eval(n.Kids[1], f);
                return CharacterOf(n.Kids[0], index, f)
                    ?? (n.Kids[0].Unwrapped is { Kind: IrKind.SymbolRef, Target: { IsFunction: false } array } && index is long i
                        ? _index.ReadOnly.ElementOf(array, i) : null);
            }
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
                if (c is long cv)
                {
                    if (cv != 0)
                        Eval(n.Kids[1], f);
                    else if (n.Kids.Length > 2)
                        Eval(n.Kids[2], f);
                    return null;
                }
                Branches(f, () =>
                {
                    Assume(n.Kids[0], f, learn: true);
                    Eval(n.Kids[1], f);
                }, () =>
                {
                    Assume(n.Kids[0], f, negated: true, learn: true);
                    if (n.Kids.Length > 2)
                        Eval(n.Kids[2], f);
                });
                if (n.Kids.Length == 2)
                    Clamp(n.Kids[0], n.Kids[1], f);
                return null;
            }
            case IrKind.Loop:
            {
                // A for loop's init runs before its condition; a condition false on entry leaves the body dead
                // (for_each_child_of_node() without CONFIG_OF).
                if (n.Flag && n.Kids.Length > 1)
                {
                    if (EntryCondition(n.Kids[0], n.Kids[1], f) == 0)
                        return null;
                }
                else if (n.Index >= 0 && n.Index < n.Kids.Length && Eval(n.Kids[n.Index], f) == 0)
                    return null;
                // What the loop writes is known up to here (tipc's "u32 remaining = …; prandom_u32_max(remaining);"
                // before "while (remaining--)"); from the first iteration on it is not. The body, and the
                // condition again, are walked once with those locals unknown.
                // GCC's loop distribution: asked with the counter's value on entry.
                var distributed = _quiet == 0 ? DistributedCalls(n, f) : [];
                Forget(n.Written, f);
                // What the condition says holds in the body (left > 0 in "for (…; left > 0 && i < N; i++)"),
                // not after the loop.
                var assumed = new List<int>();
                if (n.Index >= 0 && n.Index < n.Kids.Length)
                    Assume(n.Kids[n.Index], f, assumed);
                // The body is a branch of its own (the code after the loop a new block).
                var learntBefore = (long?[])f.Learnt.Clone();
                bool jumpedBefore = f.Jumped;
                // Loads: what held before holds after only if nothing in the body may have written memory; in the
                // body, from its second iteration on, it may not hold: forgotten there.
                var loadsBefore = LoadBound.Current(f);
                long epochBefore = f.Clock.Epoch;
                f.Loads.Clear();
                var arm = BeginArm();
                for (int i = n.Flag ? 1 : 0; i < n.Kids.Length; i++)
                    Eval(n.Kids[i], f);
                var body = EndArm(arm);
                JoinArms(arm, body, f.Returned, default, false, called: true);
                foreach (int slot in assumed)
                    f.NonNegative[slot] = false;
                // The body may not run: what its branches taught does not hold after it.
                for (int i = 0; i < f.Learnt.Length; i++)
                    f.Learnt[i] = f.Slots[i] is null && !f.Escaped[i] ? learntBefore[i] : null;
                f.Jumped = jumpedBefore;
                f.Loads = f.Clock.Epoch == epochBefore ? LoadBound.Unwritten(loadsBefore, n.Written) : new(StringComparer.Ordinal);
                // In a function optimized for size memset and memcpy expand inline (rep stos, rep movs); memmove stays a call.
                foreach (var call in distributed)
                    EmitLibraryCall(call, Builtins.InlineWhenSizeOptimized(call) ? null : call, null);
                Forget(n.Written, f);
                f.Returned = false;
                return null;
            }
            case IrKind.Switch:
            {
                // A break in it leaves the switch, not what holds it.
                bool jumped = f.Jumped;
                EvalSwitch(n, f);
                f.Jumped = jumped;
                f.Returned = false;
                return null;
            }
            case IrKind.Case:
                NextCase();
                // Reached from the switch too: what a branch of an earlier case taught does not hold.
                ForgetTaught(f);
                for (int i = 1; i < n.Kids.Length; i++)
                    Eval(n.Kids[i], f);
                return null;
            case IrKind.Default:
                NextCase();
                ForgetTaught(f);
                return EvalAll(n, f);
            case IrKind.Asm:
                f.Clock.Epoch++;
                if (n.Flag)
                    NoteVolatileAsm();
                if (_quiet == 0 && n.Text is { } text)
                    foreach (Match m in AsmCallPattern().Matches(SubstituteOperands(text, n, f)))
                        AddNamed(m.Groups[1].Value);
                EvalAll(n, f);
                for (int i = 0; i < n.Index && i < n.Kids.Length; i++)
                    if (n.Kids[i].Unwrapped is { Kind: IrKind.Slot } written)
                        Assign(written.Index, null, f);
                return null;
            case IrKind.Goto:
            case IrKind.Break:
                f.Jumped = true;
                if (n.Kind == IrKind.Break)
                    _breaks++;
                return null;
            case IrKind.Unevaluated:
                return null;
            case IrKind.Generic when n.Member is not null:
                // A load: what a store left there, while memory is unchanged.
                EvalAll(n, f);
                return LoadBound.ValueOf(n, f);
            case IrKind.Generic when n.Flag:
            {
                // do { … } while (0): a break in it goes on after it, where what the paths after the break were
                // taught does not hold: what held before does, for what the body did not write.
                bool jumped = f.Jumped;
                var learntBefore = (long?[])f.Learnt.Clone();
                var writesBefore = (int[])f.Writes.Clone();
                var loadsBefore = LoadBound.Current(f);
                long epochBefore = f.Clock.Epoch;
                int breaks = _breaks;
                EvalAll(n, f);
                if (_breaks != breaks)
                {
                    for (int i = 0; i < f.Learnt.Length; i++)
                        f.Learnt[i] = f.Writes[i] == writesBefore[i] && f.Slots[i] is null && !f.Escaped[i] ? learntBefore[i] : null;
                    f.Loads = f.Clock.Epoch == epochBefore ? loadsBefore : new(StringComparer.Ordinal);
                    foreach (var key in f.Loads.Where(p => f.Writes[p.Value.Root] != writesBefore[p.Value.Root]).Select(p => p.Key).ToList())
                        f.Loads.Remove(key);
                }
                f.Jumped = jumped;
                return null;
            }
            default:
                return EvalAll(n, f);
        }
    }

    [GeneratedRegex(@"\b(?:call|jmp)\s+([A-Za-z_][A-Za-z0-9_]*)\b")]
    private static partial Regex AsmCallPattern();

    /// <summary>
    /// The template with each operand whose value is a constant written in, as GCC prints an "i" operand
    /// under %c or %P: x86's get_user/put_user call "__get_user_%P4", "__put_user_%P[size]", and the
    /// callee's name ends in the access size. libclang gives the template in LLVM's spelling, where
    /// GCC's %P4 and %c[size] are ${4:P} and ${N:c} (named operands numbered), %4 is $4, and $$ is a dollar.
    /// </summary>
    private string SubstituteOperands(string text, IrNode asm, Frame f)
    {
        if (!text.Contains('$'))
            return text;
        return AsmOperandPattern().Replace(text, m =>
        {
            if (m.Value == "$$")
                return m.Value;
            int operand = int.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            return operand < asm.Kids.Length && EvalQuiet(asm.Kids[operand], f) is long value
                ? value.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : m.Value;
        });
    }

    [GeneratedRegex(@"\$\$|\$\{(\d+)(?::[A-Za-z]+)?\}|\$(\d+)")]
    private static partial Regex AsmOperandPattern();

    /// <summary>The local a for loop's init sets ("i = 0", "int i = 0"), or -1, with the assignment or
    /// declaration that sets it.</summary>
    private static (int Slot, IrNode Set) InitializedSlot(IrNode init)
    {
        var set = init.Unwrapped;
        if (set is { Kind: IrKind.Generic, Kids: [var declaration] })
            set = declaration.Unwrapped;
        int slot = set switch
        {
            { Kind: IrKind.Binary, Kids.Length: 2 } when (BinaryOp)set.Op == BinaryOp.Assign && set.Kids[0].Unwrapped.Kind == IrKind.Slot => set.Kids[0].Unwrapped.Index,
            { Kind: IrKind.LocalDecl, Kids.Length: 1 } => set.Index,
            _ => -1,
        };
        return (slot, set);
    }

    /// <summary>Runs a for loop's init and its condition as they are on entry: the variable the init sets holds
    /// that value for the first check, even though the loop writes it again (and so it is not followed).</summary>
    private long? EntryCondition(IrNode init, IrNode condition, Frame f)
    {
        long? value = Eval(init, f);
        var (slot, set) = InitializedSlot(init);
        if (set.Kind == IrKind.LocalDecl && set.Kids.Length == 1)
            value = EvalQuiet(set.Kids[0], f);
        if (slot < 0 || slot >= f.Slots.Length || value is null || f.Slots[slot] is not null || f.Escaped[slot])
            return Eval(condition, f);
        f.Slots[slot] = value;
        try
        {
            return Eval(condition, f);
        }
        finally
        {
            f.Slots[slot] = null;
        }
    }

    /// <summary>Runs two paths from the same state and joins them: a local keeps a value only if both agree.</summary>
    private void Branches(Frame f, Action first, Action? second)
    {
        // Each path is a branch (Reachability.Likelihood), the code after them a block where they join.
        var arm = BeginArm();
        long callsBefore = _callsMade;
        var before = (long?[])f.Slots.Clone();
        var upperBefore = (long?[])f.Upper.Clone();
        var learntBefore = (long?[])f.Learnt.Clone();
        var signBefore = (bool[])f.NonNegative.Clone();
        var sizesBefore = SizeState.Of(f);
        bool jumpedBefore = f.Jumped;
        f.Jumped = false;
        var writesBefore = (int[])f.Writes.Clone();
        var loadsBefore = LoadBound.Current(f);
        f.Loads = LoadBound.Copy(loadsBefore, f.Clock.Epoch);
        first();
        var loadsAfterFirst = LoadBound.Current(f);
        var writesAfterFirst = (int[])f.Writes.Clone();
        f.Loads = LoadBound.Copy(loadsBefore, f.Clock.Epoch);
        bool firstLeft = f.Returned || f.Jumped;
        f.Jumped = false;
        var learntAfterFirst = (long?[])f.Learnt.Clone();
        var firstArm = EndArm(arm);
        arm = BeginArm();
        var sizesAfterFirst = SizeState.Of(f);
        sizesBefore.Restore(f);
        var afterFirst = (long?[])f.Slots.Clone();
        var upperAfterFirst = (long?[])f.Upper.Clone();
        var signAfterFirst = (bool[])f.NonNegative.Clone();
        bool firstReturned = f.Returned;
        Array.Copy(before, f.Slots, before.Length);
        Array.Copy(upperBefore, f.Upper, upperBefore.Length);
        Array.Copy(learntBefore, f.Learnt, learntBefore.Length);
        Array.Copy(signBefore, f.NonNegative, signBefore.Length);
        f.Returned = false;
        second?.Invoke();
        bool secondReturned = f.Returned;
        bool secondLeft = f.Returned || f.Jumped;
        f.Jumped = jumpedBefore || firstLeft && secondLeft && second is not null;
        f.Loads = LoadBound.Join(firstLeft ? null : loadsAfterFirst, secondLeft && second is not null ? null : LoadBound.Current(f), f.Clock.Epoch);
        // What a branch taught holds after it from the paths that go on: "if (len > 64) goto out;" leaves len ≤ 64
        // (a goto too, though the values below join its path's: the label forgets them anyway). Joined, each path's
        // bound is what it taught or else what it knew.
        var taught = new long?[f.Learnt.Length];
        for (int i = 0; i < taught.Length; i++)
        {
            long? one = Bound.Both(learntAfterFirst[i], afterFirst[i] is long a ? (a >= 0 ? a : null) : upperAfterFirst[i]);
            long? other = Bound.Both(f.Learnt[i], f.Slots[i] is long b ? (b >= 0 ? b : null) : f.Upper[i]);
            taught[i] = firstLeft && !secondLeft ? other : secondLeft && !firstLeft ? one : Bound.Either(one, other);
        }
        JoinArms(arm, firstArm, firstReturned, EndArm(arm), secondReturned, called: _callsMade != callsBefore);
        // Object sizes: the path that continues, or both joined as GCC's object-size pass joins a phi.
        if (secondReturned && !firstReturned)
            sizesAfterFirst.Restore(f);
        else if (!firstReturned || secondReturned)
            sizesAfterFirst.JoinInto(f);
        if (firstReturned && !secondReturned)
        {
            // Only the second path continues: its state stands.
        }
        else if (secondReturned && !firstReturned)
        {
            Array.Copy(afterFirst, f.Slots, afterFirst.Length);
            Array.Copy(upperAfterFirst, f.Upper, upperAfterFirst.Length);
            Array.Copy(signAfterFirst, f.NonNegative, signAfterFirst.Length);
        }
        else
            for (int i = 0; i < f.Slots.Length; i++)
            {
                // A bound holds after the join if it held on both paths (a known value is its own bound).
                long? one = afterFirst[i] is long a && a >= 0 ? a : afterFirst[i] is null ? upperAfterFirst[i] : null;
                long? other = f.Slots[i] is long b && b >= 0 ? b : f.Slots[i] is null ? f.Upper[i] : null;
                if (f.Slots[i] != afterFirst[i])
                    f.Slots[i] = null;
                // Written on either path, the local is a new value after the join (a phi) with the range each path
                // knew, what branches taught included: ipmi_bt_sm's "if (msg_len < 3 || msg_len > 272) msg_len = 3;".
                bool phi = writesAfterFirst[i] != writesBefore[i] || f.Writes[i] != writesAfterFirst[i];
                f.Upper[i] = f.Slots[i] is null ? (phi ? taught[i] : Bound.Either(one, other)) : null;
                f.NonNegative[i] &= signAfterFirst[i];
            }
        for (int i = 0; i < f.Learnt.Length; i++)
            f.Learnt[i] = f.Slots[i] is null && !f.Escaped[i] && taught[i] != f.Upper[i] ? taught[i] : null;
        f.Returned = firstReturned && secondReturned && second is not null;
    }

    private static void Assign(int slot, long? value, Frame f)
    {
        if (slot >= 0 && slot < f.Slots.Length)
        {
            f.Slots[slot] = f.Escaped[slot] ? null : value;
            f.Upper[slot] = null;
            f.Learnt[slot] = null;
            f.Writes[slot]++;
            if (f.Loads.Count > 0)
                LoadBound.Forget(f, slot);
            f.NonNegative[slot] = false;
            f.Size0[slot] = f.Size1[slot] = null;
            f.SizeAssigned[slot] = true;
            if (f.SwitchWrites.Count > 0)
                NoteSwitchWrite(f.SwitchWrites.Peek(), slot, f.Slots[slot]);
            if (slot < f.Literals.Length)
                f.Literals[slot] = null;
        }
    }

    /// <summary>A place reached from elsewhere too (a label, a case): nothing a branch taught holds there.</summary>
    private static void ForgetTaught(Frame f)
    {
        Array.Clear(f.Learnt);
        f.Loads.Clear();
        f.Jumped = false;
    }

    private static void NoteSwitchWrite(Dictionary<int, long?> writes, int slot, long? value) =>
        writes[slot] = writes.TryGetValue(slot, out var had) && had != value ? null : value;

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
            var upperBefore = (long?[])f.Upper.Clone();
            var learntBefore = (long?[])f.Learnt.Clone();
            bool jumpedBefore = f.Jumped;
            var signBefore = (bool[])f.NonNegative.Clone();
            var sizesBefore = SizeState.Of(f);
            f.SwitchSizes.Push(new Dictionary<int, (long? Size0, long? Size1)>());
            f.SwitchWrites.Push([]);
            // Each case, up to the next, is a branch (Reachability.Likelihood).
            var cases = BeginSwitch();
            Eval(body, f);
            EndSwitch(cases);
            f.Jumped = jumpedBefore;
            f.Loads.Clear();
            // The body is walked once, case after case: a local one case sets and a later one sets back
            // (set_mixer = true; break; … default: set_mixer = false) ends as it began, yet holds either. It
            // keeps a value only when every write gave the one it had before.
            var written = f.SwitchWrites.Pop();
            foreach (var (slot, gave) in written)
            {
                if (gave is not null && gave == before[slot])
                {
                    f.Slots[slot] = gave;
                    continue;
                }
                f.Slots[slot] = null;
                f.Upper[slot] = null;
                f.Learnt[slot] = null;
                f.NonNegative[slot] = false;
                f.Literals[slot] = null;
            }
            if (f.SwitchWrites.Count > 0)
                foreach (var (slot, _) in written)
                    NoteSwitchWrite(f.SwitchWrites.Peek(), slot, f.Slots[slot]);
            // A pointer each case sets (str = "TRID4DWAVEDX" … default: str = "Unknown"): the join of what
            // every case gave it, with what it held before unless it held nothing (declared without a value).
            foreach (var (slot, sizes) in f.SwitchSizes.Pop())
            {
                if (f.Escaped[slot])
                    continue;
                bool held = sizesBefore.Assigned[slot];
                f.Size0[slot] = SizeState.Join(sizes.Size0, held ? sizesBefore.Size0[slot] : sizes.Size0);
                f.Size1[slot] = SizeState.Join(sizes.Size1, held ? sizesBefore.Size1[slot] : sizes.Size1);
                f.SizeAssigned[slot] = true;
                if (f.SwitchSizes.Count > 0)
                    f.SwitchSizes.Peek()[slot] = (f.Size0[slot], f.Size1[slot]);
            }
            for (int i = 0; i < f.Slots.Length; i++)
            {
                if (f.Slots[i] != before[i])
                    f.Slots[i] = null;
                if (f.Upper[i] != upperBefore[i])
                    f.Upper[i] = null;
                // Each case forgot what branches taught; after the switch it is what held before it.
                f.Learnt[i] = f.Slots[i] is null && !written.ContainsKey(i) && !f.Escaped[i] ? learntBefore[i] : null;
                f.NonNegative[i] &= signBefore[i];
            }
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

    /// <summary>The object sizes of a frame's slots at one point of the walk, to run two paths from it and join them.</summary>
    private sealed record SizeState(long?[] Size0, long?[] Size1, bool[] Assigned)
    {
        public static SizeState Of(Frame f) => new((long?[])f.Size0.Clone(), (long?[])f.Size1.Clone(), (bool[])f.SizeAssigned.Clone());

        public void Restore(Frame f)
        {
            Array.Copy(Size0, f.Size0, Size0.Length);
            Array.Copy(Size1, f.Size1, Size1.Length);
            Array.Copy(Assigned, f.SizeAssigned, Assigned.Length);
        }

        /// <summary>Joins this path's sizes into the frame's (the other path's): an undefined side is left out.</summary>
        public void JoinInto(Frame f)
        {
            for (int i = 0; i < Size0.Length; i++)
            {
                if (!Assigned[i])
                    continue;
                if (!f.SizeAssigned[i])
                {
                    f.Size0[i] = Size0[i];
                    f.Size1[i] = Size1[i];
                    f.SizeAssigned[i] = true;
                    continue;
                }
                f.Size0[i] = Join(Size0[i], f.Size0[i]);
                f.Size1[i] = Join(Size1[i], f.Size1[i]);
            }
        }

        /// <summary>GCC's object size of a pointer that may be either (types 0 and 1): the larger, known only if both are.</summary>
        public static long? Join(long? a, long? b) => a is long x && b is long y ? Math.Max(x, y) : null;
    }
}
