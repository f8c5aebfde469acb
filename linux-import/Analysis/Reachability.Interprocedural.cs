// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: what GCC learns of a local static function's parameters from its
// calls (ipa-cp's constants and ipa-vrp's value ranges). A static function whose address is never taken is
// called only from this unit, so GCC joins each parameter over every call: one constant when every call
// passes it, else a range when every call passes a constant or passes on a parameter of its own caller that
// such a join bounds; anything else (a value bounded only by the caller's own code, n & 0xff or min(n, 200)
// at the call, as gcc-12 shows) leaves the parameter unknown. huawei-wmi's huawei_wmi_cmd(arg, buf, buflen),
// called with buflen 0 or 0x100 only, copies min(buflen, len) bytes inline for that. The join is known once
// every call has been walked, so such a function is walked with it after the other work, and again when a
// call found later widens it. Whether GCC inlines it decides which walks stand for its code (gcc-12 -O2, which
// does not clone for constants: -fipa-cp-clone is -O3's): called once, or small, it is inlined into every caller
// and each call is walked with what it passes, the join not at all (no copy of its own is left); larger, it is
// compiled once with the join (applesmc's applesmc_create_nodes, called with 1 and with a count, calls
// __kmalloc, not kmalloc_trace); every call passing a constant for some parameter, it may be either, and both
// walks are made.
namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    /// <summary>Walks a function may take with widening joins before it is walked knowing nothing of its parameters.</summary>
    private const int MaxJoinWalks = 4;

    /// <summary>One parameter's join over the calls walked so far.</summary>
    private sealed class ParameterJoin
    {
        private bool _any, _valuesDiffer, _unbounded, _notConstant;
        private long? _value;
        private long _upper;

        /// <summary>The constant every call passed, if they all passed the same.</summary>
        public long? Value => _any && !_valuesDiffer ? _value : null;

        /// <summary>The largest value any call passed (a size: each was ≥ 0), when every call passed a bounded one.</summary>
        public long? Upper => _any && !_unbounded ? _upper : null;

        /// <summary>Every call passed a constant (not necessarily the same).</summary>
        public bool AllConstant => _any && !_notConstant;

        /// <summary>Adds one call's argument: its constant value, or else the bound it passes on; true when the join widened.</summary>
        public bool Add(long? value, long? passedBound)
        {
            bool first = !_any;
            var (valueBefore, upperBefore) = (Value, Upper);
            _notConstant |= value is null;
            if (value is null || !first && _value != value)
                _valuesDiffer = true;
            else if (first)
                _value = value;
            _any = true;
            long? bound = value is long v ? (v >= 0 ? v : null) : passedBound;
            if (bound is long b)
                _upper = first ? b : Math.Max(_upper, b);
            else
                _unbounded = true;
            return first || Value != valueBefore || Upper != upperBefore;
        }
    }

    /// <summary>Static function → its parameters' joins over the direct calls walked so far.</summary>
    private readonly Dictionary<Symbol, ParameterJoin[]> _joins = [];

    /// <summary>Static functions a call widened since they were last walked with their join.</summary>
    private readonly HashSet<Symbol> _joinsWidened = [];

    private readonly Dictionary<Symbol, int> _joinWalks = [];

    /// <summary>Static functions not walked with their join because GCC inlined every call of them known then.</summary>
    private readonly HashSet<Symbol> _joinsSkipped = [];

    /// <summary>A direct call of a static function: joined into what the function knows of its parameters.</summary>
    private void JoinCall(Symbol target, IrNode call, Binding binding, Frame f)
    {
        if (_quiet > 0)
            return;
        _index.EnsureBody(target); // its parameters are counted as its body is read
        bool widened = !_joins.TryGetValue(target, out var joins);
        if (joins is null)
        {
            _joins[target] = joins = new ParameterJoin[target.ParamCount];
            for (int i = 0; i < joins.Length; i++)
                joins[i] = new ParameterJoin();
        }
        for (int i = 0; i < joins.Length; i++)
        {
            bool passed = i < binding.Values.Length && i < call.Kids.Length;
            bool converted = false;
            long? bound = passed ? PassedOnBound(call.Kids[i], f, out converted) : null;
            // A parameter converted on the way passes neither its constant nor its range, only its type's.
            widened |= joins[i].Add(passed && !converted ? binding.Values[i] : null, bound);
        }
        if (widened)
            _joinsWidened.Add(target);
    }

    /// <summary>
    /// The bound an argument passes on unchanged from its caller's parameter (a pass-through, casts that keep the
    /// value's width and signedness aside) when the caller was itself walked with its calls' join and has not written
    /// the parameter since; else null. A parameter converted on the way (an int len passed as a size_t) is no
    /// pass-through to gcc-12's ipa-prop: the callee learns only what the parameter's type says, converted (an
    /// unsigned char's 0..255; an int's, as a size_t, nothing), however its callers bound it. hid-ft260's
    /// ft260_byte_show(…, int len, …) passes its len, always 25, to ft260_hid_feature_report_get(…, size_t len),
    /// whose memcpy of len bytes is then a call. converted: the argument is such a parameter, converted.
    /// </summary>
    private static long? PassedOnBound(IrNode arg, Frame f, out bool converted)
    {
        var n = arg.Unwrap(out bool conversion);
        converted = false;
        if (n.Kind != IrKind.Slot || f.Joined is not { } joined || n.Index >= f.ParamCount || n.Index >= joined.Values.Length || f.Escaped[n.Index])
            return null;
        if (f.Slots[n.Index] != joined.Values[n.Index] || f.Upper[n.Index] != joined.Upper[n.Index])
            return null;
        converted = conversion;
        if (converted)
            return n.TypeMax;
        return joined.Values[n.Index] is long v ? (v >= 0 ? v : null) : joined.Upper[n.Index];
    }

    /// <summary>What a static function's calls so far say of its parameters, as the binding it is walked with.</summary>
    private Binding JoinedBinding(Symbol function)
    {
        var joins = _joins[function];
        var binding = new Binding(joins.Length) { Joined = true };
        for (int i = 0; i < joins.Length; i++)
        {
            binding.Values[i] = joins[i].Value;
            binding.Upper[i] = joins[i].Value is null ? joins[i].Upper : null;
        }
        return binding;
    }

    /// <summary>Direct calls of static functions with what each passes, walked once every call is known.</summary>
    private readonly List<(Symbol Target, Binding Binding)> _callBindings = [];

    /// <summary>
    /// The largest body (EstimatedSize) taken for one GCC inlines into every caller, however many: chosen by measuring
    /// against Kbuild (512 modules: 0, 12, 30 and no limit; README "Where GCC inlines a static function").
    /// </summary>
    private const int SmallFunctionSize = 12;

    /// <summary>Walks each static function GCC may inline with what the call passes: one called once, or a small one.</summary>
    private bool WalkInlinedCalls()
    {
        if (_callBindings.Count == 0)
            return false;
        var calls = _callBindings.ToList();
        _callBindings.Clear();
        int before = _work.Count;
        foreach (var (target, binding) in calls)
        {
            if (Trace)
                Console.Error.WriteLine($"trace: call of {target.Name} [{binding.Key()}]: {(InlinedEverywhere(target) ? "inlined" : "not inlined")}, {(_callSites.TryGetValue(target, out var sites) ? sites.Count : 0)} sites, size {EstimatedSize(target)}");
            if (MayBeInlined(target))
                Visit(target, binding);
            else if (_joinsSkipped.Remove(target))
                _joinsWidened.Add(target); // a call found since makes it one GCC keeps: walked with its join after all
        }
        return _work.Count > before || _joinsWidened.Count > 0;
    }

    /// <summary>A static function GCC inlines into every caller, so that no copy of its own is left: one called once, or
    /// a small one, its address never taken.</summary>
    private bool InlinedEverywhere(Symbol function) =>
        CalledOnceInline(function) || Inlinable(function) && EstimatedSize(function) <= SmallFunctionSize;

    /// <summary>A static function GCC may inline into its callers: one inlined everywhere, or one every call of which
    /// passes a constant for a parameter it hands to an inline function or a builtin, where the constant folds code away
    /// (which counts against its size: gcc-12 inlines applesmc_create_nodes' shape into two callers passing 1 and 2 for
    /// the size of a kmalloc, but keeps it whole when one passes a variable, and keeps lineage-pem's pem_read_block,
    /// whose constant command only goes to an exported function, whole too).</summary>
    private bool MayBeInlined(Symbol function) =>
        InlinedEverywhere(function) || Inlinable(function) && _joins.TryGetValue(function, out var joins)
        && Enumerable.Range(0, joins.Length).Any(i => joins[i].AllConstant && Shape(function).Folding.Contains(i));

    private readonly Dictionary<Symbol, (int Size, HashSet<int> Folding)> _shapes = [];

    private int EstimatedSize(Symbol function) => Shape(function).Size;

    /// <summary>A rough count of the statements and operations of a function's body, and the parameters an argument of a
    /// call of an inline function or a builtin mentions.</summary>
    private (int Size, HashSet<int> Folding) Shape(Symbol function)
    {
        if (_shapes.TryGetValue(function, out var shape))
            return shape;
        int size = 0;
        var folding = new HashSet<int>();
        var stack = new Stack<IrNode>();
        if (function.Body is { } body)
            stack.Push(body);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (n.Kind is IrKind.Call or IrKind.Binary or IrKind.Unary or IrKind.Index or IrKind.Return or IrKind.Asm)
                size++;
            if (n is { Kind: IrKind.Call, Target: { } callee } && (callee.IsInline && callee.Definition is not null || Builtins.IsBuiltin(callee.Name)))
                foreach (var argument in n.Kids)
                    NoteParameters(argument, function.ParamCount, folding);
            foreach (var k in n.Kids)
                stack.Push(k);
        }
        return _shapes[function] = (size, folding);
    }

    private static void NoteParameters(IrNode expression, int parameters, HashSet<int> found)
    {
        if (expression.Kind == IrKind.Slot && expression.Index < parameters)
            found.Add(expression.Index);
        foreach (var k in expression.Kids)
            NoteParameters(k, parameters, found);
    }

    /// <summary>Walks the static functions whose joins widened, each with its join (knowing nothing when its address
    /// was taken, or after <see cref="MaxJoinWalks"/> walks); false when there were none.</summary>
    private bool WalkJoined()
    {
        if (_joinsWidened.Count == 0)
            return false;
        var widened = _joinsWidened.ToList();
        _joinsWidened.Clear();
        foreach (var function in widened)
        {
            if (InlinedEverywhere(function))
            {
                if (Trace)
                    Console.Error.WriteLine($"trace: join {function.Name}: inlined everywhere");
                _joinsSkipped.Add(function);
                continue;
            }
            int walks = _joinWalks[function] = _joinWalks.GetValueOrDefault(function) + 1;
            var binding = _notLocal.Contains(function) || walks > MaxJoinWalks ? null : JoinedBinding(function);
            if (Trace)
                Console.Error.WriteLine($"trace: join {function.Name} walk {walks}: {binding?.Key() ?? "(address taken, or widened too often)"}");
            Visit(function, binding);
        }
        return true;
    }
}
