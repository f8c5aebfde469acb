// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: upper bounds of sizes, as GCC's value ranges give them. A size
// clamped by min(n, 64), reduced by % or &, or 4 - (len % 4), has a largest value: GCC then expands memcpy
// and memset inline (up to Builtins.InlineStringOpLimit) and proves fortify's "p_size < size" false.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

/// <summary>
/// An upper bound of a value, in one long. b ≥ 0: 0 ≤ x ≤ b. b &lt; 0, written ~m ("signed"): x ≤ m, but x
/// may be negative, as min_t(long, count, 8) is for a signed count that nothing says is positive. GCC takes
/// a size passed to a string builtin as at most PTRDIFF_MAX, so for memcpy's inline expansion both kinds
/// bound the size; an unsigned comparison (fortify's p_size &lt; size, check_copy_size's sz &lt; bytes) sees a
/// negative value converted to a huge one, so only the first kind decides it.
/// </summary>
internal static class Bound
{
    /// <summary>The largest value, whether or not the value may be negative.</summary>
    public static long? Magnitude(long? b) => b is long x && x < 0 ? ~x : b;

    /// <summary>The bound when the value is also known not to be negative, else null.</summary>
    public static long? NonNegative(long? b) => b is long x && x >= 0 ? x : null;

    /// <summary>At most m, and maybe negative.</summary>
    public static long Signed(long m) => ~m;

    /// <summary>Either of two values (a join of two paths): the larger bound; maybe negative if either may be.</summary>
    public static long? Either(long? a, long? b) =>
        a is long x && b is long y ? (x >= 0 && y >= 0 ? Math.Max(x, y) : ~Math.Max(Magnitude(x)!.Value, Magnitude(y)!.Value)) : null;

    /// <summary>One value with both bounds: the smaller, not negative if either says so.</summary>
    public static long? Both(long? a, long? b)
    {
        if (a is not long x)
            return b;
        if (b is not long y)
            return a;
        long m = Math.Min(Magnitude(x)!.Value, Magnitude(y)!.Value);
        return x >= 0 || y >= 0 ? m : ~m;
    }
}

/// <summary>Counts the events that may write memory in a walk: a load's bound holds while the count is unchanged.</summary>
internal sealed class MemoryClock
{
    public long Epoch;
}

/// <summary>A bound a branch taught of a load (req-&gt;len, l.hdr.size), the local the load goes through, and the
/// memory clock's count when it was taught: it holds while nothing may have written memory since.</summary>
/// <summary>What is known of a load: a bound, and its value when a store gave it one (GCC forwards the stored value).</summary>
internal readonly record struct LoadFact(int Root, long Bound, long Epoch, long? Value = null);

internal sealed partial class Reachability
{
    /// <summary>The bounds branches taught of loads (Frame.Loads), as they are kept across branches and loops.</summary>
    private static class LoadBound
    {
        /// <summary>Those that still hold: nothing may have written memory since they were taught.</summary>
        public static Dictionary<string, LoadFact> Current(Frame f)
        {
            var held = new Dictionary<string, LoadFact>(StringComparer.Ordinal);
            foreach (var (key, fact) in f.Loads)
                if (fact.Epoch == f.Clock.Epoch)
                    held[key] = fact;
            return held;
        }

        /// <summary>A copy, as holding now (a branch's other path starts from what held before the first).</summary>
        public static Dictionary<string, LoadFact> Copy(Dictionary<string, LoadFact> facts, long epoch)
        {
            var copy = new Dictionary<string, LoadFact>(StringComparer.Ordinal);
            foreach (var (key, fact) in facts)
                copy[key] = fact with { Epoch = epoch };
            return copy;
        }

        /// <summary>Two paths joined (null: a path that does not go on): what both taught, the larger bound.</summary>
        public static Dictionary<string, LoadFact> Join(Dictionary<string, LoadFact>? one, Dictionary<string, LoadFact>? other, long epoch)
        {
            if (one is null || other is null)
                return Copy(one ?? other ?? [], epoch);
            var joined = new Dictionary<string, LoadFact>(StringComparer.Ordinal);
            foreach (var (key, a) in one)
                if (other.TryGetValue(key, out var b) && a.Root == b.Root && Bound.Either(a.Bound, b.Bound) is long both)
                    joined[key] = new LoadFact(a.Root, both, epoch, a.Value == b.Value ? a.Value : null);
            return joined;
        }

        /// <summary>Those whose local a loop does not write, as holding now.</summary>
        public static Dictionary<string, LoadFact> Unwritten(Dictionary<string, LoadFact> facts, int[] written)
        {
            var kept = new Dictionary<string, LoadFact>(StringComparer.Ordinal);
            foreach (var (key, fact) in facts)
                if (Array.IndexOf(written, fact.Root) < 0)
                    kept[key] = fact;
            return kept;
        }

        /// <summary>A store to memory: it may change every load but those of other fields of the struct it writes
        /// through the same local (its path and theirs part at a field of a named struct). The others are taught
        /// again as holding now.</summary>
        public static void Stored(Frame f, IrNode target)
        {
            var held = Current(f);
            f.Clock.Epoch++;
            if (held.Count == 0 || Key(target, out int root) is not { } stored)
                return;
            foreach (var (key, fact) in held)
                if (fact.Root == root && !key.StartsWith(stored, StringComparison.Ordinal) && !stored.StartsWith(key, StringComparison.Ordinal)
                    && !key.Contains('~') && !stored.Contains('~'))
                    f.Loads[key] = fact with { Epoch = f.Clock.Epoch };
        }

        /// <summary>After "p-&gt;m = v", v known and of m's type: a load of p-&gt;m is v until memory may change
        /// (btmtkuart's "bdev-&gt;data = of_device_get_match_data(…); if (!bdev-&gt;data) return -ENODEV;" without
        /// CONFIG_OF: the rest of its probe is dead).</summary>
        public static void StoredValue(Frame f, IrNode target, long value)
        {
            if (Key(target, out int root) is not { } key || key.Contains('~') || root >= f.Slots.Length || f.Escaped[root])
                return;
            int bits = target.Unwrapped.IntegerBits;
            bool fits = bits switch
            {
                > 0 and < 64 => value >= 0 && value >> bits == 0,
                < 0 and > -64 => value >> (-bits - 1) is 0 or -1,
                64 or -64 => true,
                _ => false,
            };
            if (fits)
                f.Loads[key] = new LoadFact(root, value >= 0 ? value : Bound.Signed(0), f.Clock.Epoch, value);
        }

        /// <summary>The value a store left in the load, while memory is unchanged since.</summary>
        public static long? ValueOf(IrNode load, Frame f) =>
            f.Loads.Count > 0 && Key(load, out _) is { } key && f.Loads.TryGetValue(key, out var fact) && fact.Epoch == f.Clock.Epoch ? fact.Value : null;

        /// <summary>The local is written: loads through it read something else.</summary>
        public static void Forget(Frame f, int slot)
        {
            foreach (var key in f.Loads.Where(p => p.Value.Root == slot).Select(p => p.Key).ToList())
                f.Loads.Remove(key);
        }

        /// <summary>"p->a.len", "#3.hdr.size": a load through a local (slot 3), or null.</summary>
        public static string? Key(IrNode expr, out int root)
        {
            var n = expr.Unwrapped;
            root = -1;
            if (n is { Kind: IrKind.Generic, Member: { } member, Kids: [var inner] })
            {
                var at = inner.Unwrapped;
                if (at.Kind == IrKind.Slot)
                {
                    root = at.Index;
                    return "#" + at.Index + (n.PointerMember ? "->" : ".") + member;
                }
                return Key(at, out root) is { } path ? path + (n.PointerMember ? "->" : ".") + member : null;
            }
            return null;
        }
    }

    /// <summary>The largest value the expression can have, taken as a size (GCC expands a memcpy whose size
    /// is min(int, 32) inline too), or null when nothing bounds it; negative when the value may be negative
    /// (see <see cref="Bound"/>). Reads the frame, evaluates nothing.</summary>
    /// <param name="learnt">Also what branches taught (Frame.Learnt): for comparisons, not for copies' sizes.</param>
    private static long? UpperBound(IrNode expr, Frame f, int depth = 0, bool learnt = false)
    {
        if (depth > 16)
            return null;
        long? bound = BoundOfKind(expr, f, depth, learnt);
        // u8 and bool are never negative and at most their type's maximum.
        return expr.Unwrapped.TypeMax is long max ? Math.Min(Bound.Magnitude(bound) ?? max, max) : bound;
    }

    private static long? BoundOfKind(IrNode expr, Frame f, int depth, bool learnt)
    {
        var n = expr.Unwrapped;
        switch (n.Kind)
        {
            case IrKind.Constant:
                return n.Text is null && n.Value >= 0 ? n.Value : null;
            case IrKind.Slot:
                if (n.Index >= f.Slots.Length)
                    return null;
                if (f.Slots[n.Index] is long v)
                    return v >= 0 ? v : null;
                // A bound of a signed value, where a condition says it is not negative (left > 0 in a loop's condition).
                long? upper = f.Upper[n.Index] is long u && u < 0 && f.NonNegative[n.Index] ? ~u : f.Upper[n.Index];
                if (!learnt || f.Learnt[n.Index] is not long l)
                    return upper;
                return Bound.Both(upper, l < 0 && f.NonNegative[n.Index] ? ~l : l);
            case IrKind.Call:
                return f.CallBounds.TryGetValue(n, out long returned) ? returned : null;
            case IrKind.Generic when learnt && f.Loads.Count > 0 && n.Member is not null:
                return LoadBound.Key(n, out _) is { } key ? LoadBoundOf(key, f) : null;
            case IrKind.StmtExpr or IrKind.Compound when n.Kids.Length > 0:
                return UpperBound(n.Kids[^1], f, depth + 1, learnt);
            case IrKind.Conditional when n.Kids.Length == 3:
                return ConditionalBound(n, f, depth, learnt);
            case IrKind.Binary when n.Kids.Length == 2:
            {
                var op = (BinaryOp)n.Op;
                long? a = UpperBound(n.Kids[0], f, depth + 1, learnt), b = UpperBound(n.Kids[1], f, depth + 1, learnt);
                long? ca = Known(n.Kids[0], f), cb = Known(n.Kids[1], f);
                try
                {
                    return op switch
                    {
                        BinaryOp.Rem when n.Flag && cb > 0 => cb - 1,
                        BinaryOp.And when ca >= 0 || cb >= 0 => Min(ca >= 0 ? ca : null, cb >= 0 ? cb : null),
                        BinaryOp.Add when a is long x && b is long y => x >= 0 && y >= 0 ? checked(x + y) : Bound.Signed(checked(Bound.Magnitude(x)!.Value + Bound.Magnitude(y)!.Value)),
                        BinaryOp.Sub when ca is long c && Bound.NonNegative(b) is long bb && bb <= c => c,
                        BinaryOp.Mul when Bound.NonNegative(a) is long x && Bound.NonNegative(b) is long y => checked(x * y),
                        BinaryOp.Shr when cb is >= 0 and < 64 && a is long x => x >= 0 ? x >> (int)cb : Bound.Signed(~x >> (int)cb),
                        // (buf[2] << 8) | buf[3] of u8s: at most 0xffff. A shift that may pass an int's sign bit is no bound.
                        BinaryOp.Shl when cb is >= 0 and < 31 && Bound.NonNegative(a) is long x && x <= int.MaxValue >> (int)cb => x << (int)cb,
                        BinaryOp.Or or BinaryOp.Xor when Bound.NonNegative(a) is long x && Bound.NonNegative(b) is long y => AllOnesUpTo(Math.Max(x, y)),
                        BinaryOp.Comma => b,
                        _ => null,
                    };
                }
                catch (OverflowException)
                {
                    return null;
                }
            }
            default:
                return null;
        }
    }

    private static long? Known(IrNode expr, Frame f)
    {
        var n = expr.Unwrapped;
        return n.Kind == IrKind.Constant && n.Text is null ? n.Value
            : n.Kind == IrKind.Slot && n.Index < f.Slots.Length ? f.Slots[n.Index] : null;
    }

    /// <summary>A constant, a local holding one, or arithmetic of those ("sizeof(buf) - 1").</summary>
    private static long? Folded(IrNode expr, Frame f, int depth = 0)
    {
        var n = expr.Unwrapped;
        if (n is { Kind: IrKind.Binary, Kids: [var a, var b] } && depth < 8 && (BinaryOp)n.Op is not (>= BinaryOp.Assign and <= BinaryOp.OrAssign))
            return Folded(a, f, depth + 1) is long x && Folded(b, f, depth + 1) is long y ? Arithmetic((BinaryOp)n.Op, x, y, n.Flag) : null;
        return Known(n, f);
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <summary>The largest value with no bit set above x's highest: x | y and x ^ y of values at most x and y are at most that of the larger.</summary>
    private static long AllOnesUpTo(long x) => x == 0 ? 0 : (long)(ulong.MaxValue >> System.Numerics.BitOperations.LeadingZeroCount((ulong)x));

    /// <summary>min(x, y) and max(x, y) as the kernel writes them ((x) &lt; (y) ? (x) : (y)), or any other choice.</summary>
    private static long? ConditionalBound(IrNode n, Frame f, int depth, bool learnt)
    {
        long? x = UpperBound(n.Kids[1], f, depth + 1, learnt), y = UpperBound(n.Kids[2], f, depth + 1, learnt);
        if (n.Kids[0].Unwrapped is { Kind: IrKind.Binary, Kids.Length: 2 } cond
            && (BinaryOp)cond.Op is BinaryOp.LT or BinaryOp.LE or BinaryOp.GT or BinaryOp.GE)
        {
            bool less = (BinaryOp)cond.Op is BinaryOp.LT or BinaryOp.LE;
            bool straight = Same(cond.Kids[0], n.Kids[1], f) && Same(cond.Kids[1], n.Kids[2], f);
            bool swapped = Same(cond.Kids[0], n.Kids[2], f) && Same(cond.Kids[1], n.Kids[1], f);
            // a < b ? a : b and a > b ? b : a are min: as large as the smaller bound. Compared as unsigned, an
            // operand that may be negative is a huge value, no bound; compared as signed, the minimum is not
            // negative only if neither operand may be (min_t(long, count, 8): at most 8, maybe negative).
            if (straight && less || swapped && !less)
            {
                if (cond.Flag)
                    return Min(Bound.NonNegative(x), Bound.NonNegative(y));
                long? m = Min(Bound.Magnitude(x), Bound.Magnitude(y));
                return m is long least && !(IsNonNegative(n.Kids[1], f) && IsNonNegative(n.Kids[2], f)) ? Bound.Signed(least) : m;
            }
        }
        return Bound.Either(x, y);
    }

    /// <summary>The same local or the same constant (the kernel's min() repeats its operands).</summary>
    private static bool Same(IrNode a, IrNode b, Frame f)
    {
        a = a.Unwrapped;
        b = b.Unwrapped;
        if (a.Kind == IrKind.Slot && b.Kind == IrKind.Slot)
            return a.Index == b.Index;
        return Known(a, f) is long x && Known(b, f) == x;
    }

    /// <summary>What a comparison is, when one side is known and the other has an upper bound: fortify's
    /// "p_size &lt; size" is false for a size no larger than p_size. Unsigned comparisons only (sizes), so only
    /// bounds of values that cannot be negative count (a negative one converts to a huge size).</summary>
    private static long? CompareWithBound(BinaryOp op, IrNode left, IrNode right, Frame f)
    {
        long? ka = Known(left, f), kb = Known(right, f);
        // Nothing is above (size_t)-1: fortify's "p_size < size" with p_size unknown (SIZE_MAX) is false
        // whatever the size (kmemdup of a pointer whose object is not known: no fortify_panic).
        if (ka == -1 && kb is null)
            return op switch { BinaryOp.LT => 0, BinaryOp.GE => 1, _ => null };
        if (kb == -1 && ka is null)
            return op switch { BinaryOp.GT => 0, BinaryOp.LE => 1, _ => null };
        long? ua = ka is null ? Bound.NonNegative(UpperBound(left, f, learnt: true)) : null, ub = kb is null ? Bound.NonNegative(UpperBound(right, f, learnt: true)) : null;
        if (ka is long a && a >= 0 && ub is long b)
            return AgainstAtMost(op, a, b, knownLeft: true);
        if (kb is long c && c >= 0 && ua is long d)
            return AgainstAtMost(op, c, d, knownLeft: false);
        return null;
    }

    /// <summary>What "c OP x" (knownLeft) or "x OP c" is for every x ≤ m, when that decides it.</summary>
    private static long? AgainstAtMost(BinaryOp op, long c, long m, bool knownLeft)
    {
        if (knownLeft)
            op = op switch { BinaryOp.LT => BinaryOp.GT, BinaryOp.LE => BinaryOp.GE, BinaryOp.GT => BinaryOp.LT, BinaryOp.GE => BinaryOp.LE, _ => op };
        // x OP c, x <= m
        return op switch
        {
            BinaryOp.GT when m <= c => 0,
            BinaryOp.GE when m < c => 0,
            BinaryOp.LE when m <= c => 1,
            BinaryOp.LT when m < c => 1,
            _ => null,
        };
    }

    /// <summary>The same, compared as signed: a bound holds whether or not the value may be negative (x ≤ m), so
    /// "x &gt; c" is false for m ≤ c (WARN_ON(len &gt; MAX) after "if (len &gt; MAX) return;", len an int).</summary>
    private static long? CompareSignedWithBound(BinaryOp op, IrNode left, IrNode right, Frame f)
    {
        long? ka = Known(left, f), kb = Known(right, f);
        if (kb is long c && ka is null && Bound.Magnitude(UpperBound(left, f, learnt: true)) is long m)
            return AgainstAtMost(op, c, m, knownLeft: false);
        if (ka is long a && kb is null && Bound.Magnitude(UpperBound(right, f, learnt: true)) is long d)
            return AgainstAtMost(op, a, d, knownLeft: true);
        return null;
    }

    /// <summary>
    /// "if (x &gt; C) x = K;" (no else) leaves x ≤ max(C, K): GCC makes it a MIN_EXPR. It holds from there on
    /// whatever x held before, so it is kept even for a variable a loop writes (usb_wwan's
    /// "todo = left; if (todo &gt; OUT_BUFLEN) todo = OUT_BUFLEN;"), until x is written again or the loop ends.
    /// </summary>
    private static void Clamp(IrNode condition, IrNode then, Frame f)
    {
        if (condition.Unwrapped is not { Kind: IrKind.Binary, Kids.Length: 2 } cond)
            return;
        var op = (BinaryOp)cond.Op;
        IrNode variable = cond.Kids[0].Unwrapped, limit = cond.Kids[1];
        if (op is BinaryOp.LT or BinaryOp.LE)
        {
            (variable, limit) = (cond.Kids[1].Unwrapped, cond.Kids[0]);
            op = op == BinaryOp.LT ? BinaryOp.GT : BinaryOp.GE;
        }
        if (op is not (BinaryOp.GT or BinaryOp.GE) || variable.Kind != IrKind.Slot || Known(limit, f) is not long c || c < 0)
            return;
        var assignment = then.Unwrapped;
        while (assignment is { Kind: IrKind.Compound, Kids.Length: 1 })
            assignment = assignment.Kids[0].Unwrapped;
        if (assignment is not { Kind: IrKind.Binary, Kids.Length: 2 } || (BinaryOp)assignment.Op != BinaryOp.Assign
            || assignment.Kids[0].Unwrapped is not { Kind: IrKind.Slot } target || target.Index != variable.Index
            || Known(assignment.Kids[1], f) is not long k || k < 0)
            return;
        int slot = variable.Index;
        if (slot < f.Slots.Length && f.Slots[slot] is null && !f.Escaped[slot])
        {
            // Compared as signed, a negative x stays: not negative only if x was not before.
            long clamped = Math.Max(op == BinaryOp.GT ? c : c - 1, k);
            f.Upper[slot] = cond.Flag || f.NonNegative[slot] || f.Upper[slot] >= 0 ? clamped : Bound.Signed(clamped);
        }
    }

    /// <summary>
    /// What a condition that holds (or, negated, fails) says of signs: in "for (…; left > 0 && …; …)", in
    /// "if (n >= 0) …", and after "if (n &lt;= 0) return;", n is not negative (GCC's ranges learn it from the
    /// branch). Each conjunct n > c (c ≥ -1), n ≥ c (c ≥ 0), and the same written the other way round, marks
    /// the local; a later write clears it.
    /// </summary>
    private static void Assume(IrNode condition, Frame f, List<int>? marked = null, bool negated = false, bool learn = false)
    {
        var n = condition.Unwrapped;
        // likely(c) and unlikely(c), __builtin_expect(!!(c), v): a hint to GCC's block ordering; c is what holds.
        while (n is { Kind: IrKind.Call, Kids.Length: >= 1, Target.Name: "__builtin_expect" or "__builtin_expect_with_probability" })
            n = n.Kids[0].Unwrapped;
        if (n is { Kind: IrKind.Unary, Kids.Length: 1 } && (UnaryOp)n.Op == UnaryOp.LNot)
        {
            Assume(n.Kids[0], f, marked, !negated, learn);
            return;
        }
        if (n is not { Kind: IrKind.Binary, Kids.Length: 2 })
            return;
        var op = (BinaryOp)n.Op;
        // a && b holds: both do; a || b fails: neither holds.
        if (op == (negated ? BinaryOp.LOr : BinaryOp.LAnd))
        {
            Assume(n.Kids[0], f, marked, negated, learn);
            Assume(n.Kids[1], f, marked, negated, learn);
            return;
        }
        if (negated)
            op = op switch { BinaryOp.LT => BinaryOp.GE, BinaryOp.LE => BinaryOp.GT, BinaryOp.GT => BinaryOp.LE, BinaryOp.GE => BinaryOp.LT, _ => BinaryOp.Comma };
        if (learn)
            LearnUpper(op, n, f);
        IrNode variable = n.Kids[0].Unwrapped, limit = n.Kids[1];
        if (op is BinaryOp.LT or BinaryOp.LE)
        {
            (variable, limit) = (n.Kids[1].Unwrapped, n.Kids[0]);
            op = op == BinaryOp.LT ? BinaryOp.GT : BinaryOp.GE;
        }
        if (variable.Kind != IrKind.Slot || variable.Index >= f.NonNegative.Length || f.Escaped[variable.Index] || Known(limit, f) is not long c)
            return;
        if (op == BinaryOp.GT && c >= -1 || op == BinaryOp.GE && c >= 0)
        {
            if (!f.NonNegative[variable.Index])
                marked?.Add(variable.Index);
            f.NonNegative[variable.Index] = true;
        }
    }

    /// <summary>
    /// A condition that holds says x ≤ c: "x &lt; c", "x &lt;= c", "c &gt; x", "c &gt;= x" (and, failing, "x &gt; c"…). GCC's
    /// ranges fold later comparisons with it (fortify's "p_size &lt; size" after "if (len &gt; sizeof(buf)) return;",
    /// check_copy_size's, a WARN_ON of the same test), but memcpy(…, len) is still a call: len's own range, which
    /// decides inline expansion, is unchanged. Compared as signed, x may still be negative (Bound.Signed).
    /// </summary>
    private static void LearnUpper(BinaryOp op, IrNode n, Frame f)
    {
        IrNode variable = n.Kids[0].Unwrapped, limit = n.Kids[1];
        if (op is BinaryOp.GT or BinaryOp.GE)
        {
            (variable, limit) = (n.Kids[1].Unwrapped, n.Kids[0]);
            op = op == BinaryOp.GT ? BinaryOp.LT : BinaryOp.LE;
        }
        if (op is not (BinaryOp.LT or BinaryOp.LE) || Folded(limit, f) is not long c)
            return;
        long most = op == BinaryOp.LT ? c - 1 : c;
        if (most < 0)
            return;
        long taught = n.Flag ? most : Bound.Signed(most);
        // A load (req->len): GCC loads it once for the test and the uses after it while nothing may write memory.
        if (LoadBound.Key(variable, out int root) is { } key)
        {
            if (root < f.Slots.Length && !f.Escaped[root])
                f.Loads[key] = new LoadFact(root, Bound.Both(LoadBoundOf(key, f), taught)!.Value, f.Clock.Epoch);
            return;
        }
        if (variable.Kind != IrKind.Slot || variable.Index >= f.Learnt.Length || f.Escaped[variable.Index] || f.Slots[variable.Index] is not null)
            return;
        f.Learnt[variable.Index] = Bound.Both(f.Learnt[variable.Index], taught);
    }

    /// <summary>The bound a branch taught of the load, while it holds.</summary>
    private static long? LoadBoundOf(string key, Frame f) =>
        f.Loads.TryGetValue(key, out var fact) && fact.Epoch == f.Clock.Epoch ? fact.Bound : null;

    /// <summary>The value is not negative: a constant, a local a condition or its assignment says so, or a
    /// bound that says so.</summary>
    private static bool IsNonNegative(IrNode expr, Frame f)
    {
        var n = expr.Unwrapped;
        if (Known(n, f) is long v)
            return v >= 0;
        if (n.Kind == IrKind.Slot && n.Index < f.NonNegative.Length && f.NonNegative[n.Index] && !f.Escaped[n.Index])
            return true;
        return Bound.NonNegative(UpperBound(n, f)) is not null;
    }

    /// <summary>After "x = value": x is not negative when the value is not (kept even for a variable a loop
    /// writes, until it is written again or the loop ends, as clamps are).</summary>
    private static void NoteSign(int slot, IrNode value, Frame f)
    {
        if (slot >= 0 && slot < f.NonNegative.Length && !f.Escaped[slot])
            f.NonNegative[slot] = IsNonNegative(value, f);
    }

    /// <summary>What is known of the locals a loop writes holds before the loop and, in its body, where the walk
    /// of the body set it; at the loop's head and after it, nothing is.</summary>
    private static void Forget(int[] written, Frame f)
    {
        foreach (int i in written)
        {
            if (i >= f.Slots.Length)
                continue;
            f.Slots[i] = null;
            f.Upper[i] = null;
            f.Learnt[i] = null;
            f.Writes[i]++;
            f.NonNegative[i] = false;
            f.Literals[i] = null;
            f.Size0[i] = f.Size1[i] = null;
            f.SizeAssigned[i] = true;
        }
    }

    /// <summary>After "x = value" of a value not known: its bound (ExpansionBound), and the smaller one branches
    /// taught when x is that same value ("t = len").</summary>
    private static void SetUpper(int slot, IrNode value, Frame f)
    {
        if (slot < 0 || slot >= f.Upper.Length || f.Escaped[slot])
            return;
        f.Upper[slot] = ExpansionBound(value, f);
        long? taught = UpperBound(value, f, learnt: true);
        f.Learnt[slot] = taught != f.Upper[slot] ? taught : null;
    }

    /// <summary>
    /// The bound GCC's expansion of a copy of this size sees: the value's own range. A local tested by a branch
    /// keeps its range ("if (len &gt; 64) return; memcpy(a, b, len)" is a call), but a value computed after the
    /// branch from it, len + 4 or (size_t)k of an int k, gets one from what is known where it is computed, and a
    /// copy of that size is expanded inline (gcc-12 -O2, the kernel's flags).
    /// </summary>
    private static long? ExpansionBound(IrNode expr, Frame f)
    {
        var n = expr.Unwrap(out bool converted);
        // The local itself, or a load GCC takes for the one the branch tested: the value the branch saw.
        bool same = n.Kind == IrKind.Slot || LoadBound.Key(n, out _) is not null;
        return UpperBound(expr, f, learnt: converted || !same);
    }

    /// <summary>
    /// GCC's loop distribution (-ftree-loop-distribute-patterns, on at -O2) turns a loop that only stores one
    /// constant into each element into a memset when it can count the iterations: any constant into bytes
    /// (clip's "while (off &lt; 16) buf[off++] = ' ';"), zero or all ones into wider elements. The loop is
    /// "for (c = start; c &lt; bound; ++c) a[c] = v;", "while (c &lt; bound) a[c++] = v;" or
    /// "while (c &lt; bound) { a[c] = v; c++; }": the counter compared with &lt; (&lt;= a constant, != from a known
    /// start) in its own signedness (an int counter against an unsigned bound may wrap, but from a known start not negative
    /// to a bound whose own range fits an int), at least an int wide, stepped by one,
    /// against a constant or a local the loop does not write (a bound read from memory the stores may change
    /// is not). Known start and bound make a memset of constant size, expanded inline; otherwise it is a call.
    /// A loop that copies elements, "a[c] = b[c]" (CopyCall), is a memcpy or a memmove the same way.
    /// Asked before the loop's walk, while the counter still holds its value on entry. Checked with gcc-12 -O2
    /// and the kernel's flags (fireface's write_pcm_silence, clip's atmarp_info, fam15h_power's
    /// power1_average_show, w83627ehf's probe). The calls in the order of the loop's stores, memset first.
    /// </summary>
    private List<string> DistributedCalls(IrNode loop, Frame f)
    {
        IrNode condition, body;
        IrNode? step = null;
        int counter = -1;
        if (loop.Flag && loop.Kids.Length == 4)
        {
            counter = InitializedSlot(loop.Kids[0]).Slot;
            (condition, step, body) = (loop.Kids[1].Unwrapped, loop.Kids[2].Unwrapped, loop.Kids[3].Unwrapped);
        }
        else if (!loop.Flag && loop.Index == 0 && loop.Kids.Length == 2)
            (condition, body) = (loop.Kids[0].Unwrapped, loop.Kids[1].Unwrapped);
        else
            return [];
        if (condition is not { Kind: IrKind.Binary, Kids.Length: 2 } || (BinaryOp)condition.Op is not (BinaryOp.LT or BinaryOp.LE or BinaryOp.NE))
            return [];
        var (left, bound) = (condition.Kids[0].Unwrapped, condition.Kids[1].Unwrapped);
        // c <= bound ends only below the type's largest value: a constant bound; c != bound only from a known start.
        if ((BinaryOp)condition.Op == BinaryOp.LE && !(bound.Kind == IrKind.Constant && bound.Text is null && bound.Value is >= 0 and < int.MaxValue))
            return [];
        if ((BinaryOp)condition.Op == BinaryOp.NE && left.Kind == IrKind.Slot && left.Index < f.Slots.Length && f.Slots[left.Index] is null)
            return [];
        if (left.Kind != IrKind.Slot || (counter >= 0 && left.Index != counter) || left.TypeMax is not null
            || left.Index >= f.Slots.Length || f.Escaped[left.Index])
            return [];
        // An int counter compared as unsigned (against a u32 bound) is counted when it starts at a known value, not
        // negative, and the bound's own range fits an int: it cannot wrap before the end (tpm_infineon's "for (i = 0;
        // i < size; i++) buf[i] = buf[i + 6];" of a size = (buf[2] << 8) | buf[3] is a memmove). A bound only a branch
        // taught (if (n > 100) return;) is not its own range: the loop stays.
        if (left.Unsigned != condition.Flag && (left.Unsigned || f.Slots[left.Index] is not (>= 0) || !BelowIntTop(bound, 0, f)))
            return [];
        counter = left.Index;
        bool invariant = IsInvariant(bound, loop, counter, f);
        if (!invariant && bound.HasEffects())
            return [];
        bool sizeKnown = invariant && f.Slots[counter] is not null && EvalQuiet(bound, f) is not null;
        while (body is { Kind: IrKind.Compound, Kids: [var only] })
            body = only.Unwrapped;
        bool IsCounter(IrNode n) => n.Unwrapped is { Kind: IrKind.Slot } s && s.Index == counter;
        bool IsStep(IrNode? n) => n switch
        {
            { Kind: IrKind.Unary, Kids: [var v] } => (UnaryOp)n.Op is UnaryOp.PreInc or UnaryOp.PostInc && IsCounter(v),
            { Kind: IrKind.Binary, Kids: [var v, var by] } => (BinaryOp)n.Op == BinaryOp.AddAssign && IsCounter(v) && Known(by, f) == 1,
            _ => false,
        };
        // while (…) a[c++] = v;
        if (step is null && body is { Kind: IrKind.Binary, Kids: [{ } t, _] } && t.Unwrapped is { Kind: IrKind.Index, Kids: [_, var post] }
            && post.Unwrapped is { Kind: IrKind.Unary, Kids: [var v] } p && (UnaryOp)p.Op == UnaryOp.PostInc && IsCounter(v))
            return invariant && !sizeKnown && !t.Kids[0].HasEffects() && !body.Kids[1].HasEffects() && IsMemsetStore(body, f, alone: true) ? ["memset"] : [];
        var statements = body.Kind == IrKind.Compound ? body.Kids.Select(k => k.Unwrapped).ToList() : [body];
        // while (…) { a[c] = v; c++; }: the step is the body's last statement.
        if (step is null && statements.Count > 1)
        {
            step = statements[^1];
            statements.RemoveAt(statements.Count - 1);
        }
        if (!IsStep(step) || statements.Count == 0)
            return [];
        // Every statement a store, nothing else (no call); the memset is a store into an element the counter picks. One alone, or all of
        // constants, each is its own memset; stores of loaded values are distributed only when the
        // destinations are local objects the loads cannot alias (nr_call_to_digi's local ax25_digi).
        bool constants = statements.All(st => st is { Kind: IrKind.Binary, Kids: [_, var v] } && !v.HasEffects() && EvalQuiet(v, f) is not null);
        bool memset = false;
        var copies = new List<string>();
        int others = 0;
        foreach (var statement in statements)
        {
            if (statement is not { Kind: IrKind.Binary, Kids: [var target, var value] } || (BinaryOp)statement.Op != BinaryOp.Assign
                || target.HasEffects() || value.HasEffects())
                return [];
            if (target.Unwrapped is { Kind: IrKind.Index, Kids: [var array, var index] } && IsCounter(index) && !array.HasEffects())
            {
                if (IsMemsetStore(statement, f, alone: statements.Count == 1 || constants))
                    memset = true;
                else if (CopyCall(statement, counter, bound, invariant, loop, f) is { } copy)
                    copies.Add(copy);
                else
                    others++;
            }
            else if (statements.Count == 1)
                return [];
            else
                others++;
        }
        if (sizeKnown)
            return [];
        var calls = new List<string>();
        if (memset && invariant)
            calls.Add("memset");
        // A copy is taken out of the loop only when nothing else is left in it.
        if (others == 0)
            calls.AddRange(copies);
        return calls;
    }

    /// <summary>
    /// The call a store "a[c] = b[c]" (or b[c + k]) of elements of one size becomes: memcpy when either array is
    /// a local object (what is reached through a pointer cannot overlap it; the bound may then be read from memory),
    /// memmove when both are arrays in the struct one unchanged pointer points to (the bound a local, a constant or
    /// a member read through that pointer); between other pointers GCC cannot tell the stores from the loads and
    /// keeps the loop (gcc-12 -O2, the kernel's flags).
    /// </summary>
    private static string? CopyCall(IrNode store, int counter, IrNode bound, bool invariant, IrNode loop, Frame f)
    {
        var target = store.Kids[0].Unwrapped;
        if (store.Kids[1].Unwrapped is not { Kind: IrKind.Index, Kids: [var source, var index] } loaded
            || loaded.ElementSize != target.ElementSize || target.ElementSize <= 0 || source.HasEffects())
            return null;
        var at = index.Unwrapped;
        bool sameElement = at is { Kind: IrKind.Slot } s && s.Index == counter
            || at is { Kind: IrKind.Binary, Kids: [var i, var k] } && (BinaryOp)at.Op == BinaryOp.Add
                && i.Unwrapped is { Kind: IrKind.Slot } c && c.Index == counter && k.Unwrapped is { Kind: IrKind.Constant, Text: null };
        if (!sameElement)
            return null;
        var (to, from) = (target.Kids[0].Unwrapped, source.Unwrapped);
        if (IsLocalObject(to) || IsLocalObject(from))
            return invariant || IsLocalObject(to) ? "memcpy" : null;
        // One pointer the loop does not change, read ahead of the store (tpm_infineon's "buf[i] = buf[i + 6]"): a
        // memmove, when the index read cannot wrap: one ahead, or the bound's own range that far below an int's top
        // (with k an int, s[i] = s[i + 1] is a memmove and s[i] = s[i + 6] stays a loop; gcc-12, the kernel's flags).
        if (to is { Kind: IrKind.Slot, ObjectSize: null } p && from is { Kind: IrKind.Slot } q && p.Index == q.Index
            && p.Index < f.Slots.Length && !f.Escaped[p.Index] && !loop.Written.Contains(p.Index) && invariant
            && at is { Kind: IrKind.Binary, Kids: [_, var ahead] } && ahead.Unwrapped is { Kind: IrKind.Constant, Text: null, Value: >= 1 } distance)
            return distance.Value == 1 || BelowIntTop(bound, (long)distance.Value - 1, f) ? "memmove" : null;
        int? Base(IrNode member) => member is { Kind: IrKind.Generic, PointerMember: true, Kids: [var pointer] }
            && pointer.Unwrapped is { Kind: IrKind.Slot } slot && slot.Index < f.Slots.Length && !loop.Written.Contains(slot.Index)
            ? slot.Index : null;
        if (Base(to) is not int shared || Base(from) != shared)
            return null;
        return invariant || Base(bound) == shared ? "memmove" : null;
    }

    /// <summary>The bound's own range (not what a branch taught) is known, not negative, and that plus
    /// <paramref name="ahead"/> still fits an int: an int counter, or an index that far ahead of it, cannot wrap.</summary>
    private static bool BelowIntTop(IrNode bound, long ahead, Frame f) =>
        Bound.NonNegative(UpperBound(bound, f)) is long most && most + ahead <= int.MaxValue;

    /// <summary>A store of one constant whose bytes are all alike (any into bytes; zero, all ones or an all-zero
    /// aggregate into wider elements); with other stores in the loop, only into a local object.</summary>
    private bool IsMemsetStore(IrNode store, Frame f, bool alone)
    {
        var target = store.Kids[0].Unwrapped;
        var value = store.Kids[1];
        if (!alone && !IsLocalObject(target.Kids[0].Unwrapped))
            return false;
        if (IsZeroAggregate(value))
            return true;
        return EvalQuiet(value, f) is long stored && (target.ElementSize == 1 || stored is 0 or -1);
    }

    /// <summary>An array declared in the function, or a member of a local struct: nothing reached through a pointer can be it.</summary>
    private static bool IsLocalObject(IrNode array) =>
        array is { Kind: IrKind.Slot, ObjectSize: not null } || array is { Kind: IrKind.Generic, ObjectRemaining: not null };

    /// <summary>(struct rb_root){ NULL, }, { 0 }: an aggregate whose every value is zero.</summary>
    private static bool IsZeroAggregate(IrNode value)
    {
        // A compound literal or initializer list (a leaf of no known kind is not).
        var n = value.Unwrapped;
        if (n.Kind != IrKind.Generic || n.Kids.Length == 0 || n.HasEffects())
            return false;
        var stack = new Stack<IrNode>([n]);
        while (stack.Count > 0)
        {
            var x = stack.Pop().Unwrapped;
            if (x.Kind == IrKind.Constant ? x.Value != 0 || x.Text is not null : x.Kind != IrKind.Generic)
                return false;
            foreach (var k in x.Kids)
                stack.Push(k);
        }
        return true;
    }

    /// <summary>A loop's bound GCC can count against: constants and locals the loop does not write, combined
    /// by arithmetic (fq_resize's "idx &lt; (1U &lt;&lt; log)"); nothing read from memory.</summary>
    private static bool IsInvariant(IrNode bound, IrNode loop, int counter, Frame f)
    {
        var n = bound.Unwrapped;
        return n.Kind switch
        {
            IrKind.Constant => n.Text is null,
            IrKind.Slot => n.Index != counter && n.Index < f.Slots.Length && !loop.Written.Contains(n.Index) && !f.Escaped[n.Index],
            IrKind.Binary => (BinaryOp)n.Op is BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul or BinaryOp.Shl or BinaryOp.Shr or BinaryOp.And or BinaryOp.Or
                && n.Kids.Length == 2 && IsInvariant(n.Kids[0], loop, counter, f) && IsInvariant(n.Kids[1], loop, counter, f),
            _ => false,
        };
    }
}
