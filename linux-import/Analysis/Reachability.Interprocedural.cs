// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: what GCC learns of a local static function's parameters from its
// calls (ipa-cp's constants and ipa-vrp's value ranges). A static function whose address is never taken is
// called only from this unit, so GCC joins each parameter over every call: one constant when every call
// passes it, else a range when every call passes a constant or passes on a parameter of its own caller that
// such a join bounds; anything else (a value bounded only by the caller's own code, n & 0xff or min(n, 200)
// at the call, as gcc-12 shows) leaves the parameter unknown. huawei-wmi's huawei_wmi_cmd(arg, buf, buflen),
// called with buflen 0 or 0x100 only, copies min(buflen, len) bytes inline for that. The join is known once
// every call has been walked, so such a function is walked with it after the other work, and again when a
// call found later widens it.
namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    /// <summary>Walks a function may take with widening joins before it is walked knowing nothing of its parameters.</summary>
    private const int MaxJoinWalks = 4;

    /// <summary>One parameter's join over the calls walked so far.</summary>
    private sealed class ParameterJoin
    {
        private bool _any, _valuesDiffer, _unbounded;
        private long? _value;
        private long _upper;

        /// <summary>The constant every call passed, if they all passed the same.</summary>
        public long? Value => _any && !_valuesDiffer ? _value : null;

        /// <summary>The largest value any call passed (a size: each was ≥ 0), when every call passed a bounded one.</summary>
        public long? Upper => _any && !_unbounded ? _upper : null;

        /// <summary>Adds one call's argument: its constant value, or else the bound it passes on; true when the join widened.</summary>
        public bool Add(long? value, long? passedBound)
        {
            bool first = !_any;
            var (valueBefore, upperBefore) = (Value, Upper);
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
            widened |= joins[i].Add(passed ? binding.Values[i] : null, passed ? PassedOnBound(call.Kids[i], f) : null);
        }
        if (widened)
            _joinsWidened.Add(target);
    }

    /// <summary>
    /// The bound an argument passes on unchanged from its caller's parameter (a pass-through, casts aside) when the
    /// caller was itself walked with its calls' join and has not written the parameter since; else null.
    /// </summary>
    private static long? PassedOnBound(IrNode arg, Frame f)
    {
        var n = arg.Unwrapped; // casts are Pass nodes
        if (n.Kind != IrKind.Slot || f.Joined is not { } joined || n.Index >= f.ParamCount || n.Index >= joined.Values.Length || f.Escaped[n.Index])
            return null;
        if (f.Slots[n.Index] != joined.Values[n.Index] || f.Upper[n.Index] != joined.Upper[n.Index])
            return null;
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
            int walks = _joinWalks[function] = _joinWalks.GetValueOrDefault(function) + 1;
            var binding = _notLocal.Contains(function) || walks > MaxJoinWalks ? null : JoinedBinding(function);
            if (Trace)
                Console.Error.WriteLine($"trace: join {function.Name} walk {walks}: {binding?.Key() ?? "(address taken, or widened too often)"}");
            Visit(function, binding);
        }
        return true;
    }
}
