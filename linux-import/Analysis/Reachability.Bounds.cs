// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: upper bounds of sizes, as GCC's value ranges give them. A size
// clamped by min(n, 64), reduced by % or &, or 4 - (len % 4), has a largest value: GCC then expands memcpy
// and memset inline (up to Builtins.InlineStringOpLimit) and proves fortify's "p_size < size" false.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
    /// <summary>The largest value the expression can have, taken as a size (GCC expands a memcpy whose size
    /// is min(int, 32) inline too), or null when nothing bounds it. Reads the frame, evaluates nothing.</summary>
    private static long? UpperBound(IrNode expr, Frame f, int depth = 0)
    {
        if (depth > 16)
            return null;
        long? bound = BoundOfKind(expr, f, depth);
        return expr.Unwrapped.TypeMax is long max ? Min(bound, max) : bound;
    }

    private static long? BoundOfKind(IrNode expr, Frame f, int depth)
    {
        var n = expr.Unwrapped;
        switch (n.Kind)
        {
            case IrKind.Constant:
                return n.Text is null && n.Value >= 0 ? n.Value : null;
            case IrKind.Slot:
                if (n.Index >= f.Slots.Length)
                    return null;
                return f.Slots[n.Index] is long v ? (v >= 0 ? v : null) : f.Upper[n.Index];
            case IrKind.Call:
                return f.CallBounds.TryGetValue(n, out long returned) ? returned : null;
            case IrKind.StmtExpr or IrKind.Compound when n.Kids.Length > 0:
                return UpperBound(n.Kids[^1], f, depth + 1);
            case IrKind.Conditional when n.Kids.Length == 3:
                return ConditionalBound(n, f, depth);
            case IrKind.Binary when n.Kids.Length == 2:
            {
                var op = (BinaryOp)n.Op;
                long? a = UpperBound(n.Kids[0], f, depth + 1), b = UpperBound(n.Kids[1], f, depth + 1);
                long? ca = Known(n.Kids[0], f), cb = Known(n.Kids[1], f);
                try
                {
                    return op switch
                    {
                        BinaryOp.Rem when n.Flag && cb > 0 => cb - 1,
                        BinaryOp.And when ca >= 0 || cb >= 0 => Min(ca >= 0 ? ca : null, cb >= 0 ? cb : null),
                        BinaryOp.Add when a is not null && b is not null => checked(a + b),
                        BinaryOp.Sub when ca is long c && b is long bb && bb <= c => c,
                        BinaryOp.Mul when a is not null && b is not null => checked(a * b),
                        BinaryOp.Shr when cb is >= 0 and < 64 && a is not null => a >> (int)cb,
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

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <summary>min(x, y) and max(x, y) as the kernel writes them ((x) &lt; (y) ? (x) : (y)), or any other choice.</summary>
    private static long? ConditionalBound(IrNode n, Frame f, int depth)
    {
        long? x = UpperBound(n.Kids[1], f, depth + 1), y = UpperBound(n.Kids[2], f, depth + 1);
        if (n.Kids[0].Unwrapped is { Kind: IrKind.Binary, Kids.Length: 2 } cond
            && (BinaryOp)cond.Op is BinaryOp.LT or BinaryOp.LE or BinaryOp.GT or BinaryOp.GE)
        {
            bool less = (BinaryOp)cond.Op is BinaryOp.LT or BinaryOp.LE;
            bool straight = Same(cond.Kids[0], n.Kids[1], f) && Same(cond.Kids[1], n.Kids[2], f);
            bool swapped = Same(cond.Kids[0], n.Kids[2], f) && Same(cond.Kids[1], n.Kids[1], f);
            // a < b ? a : b and a > b ? b : a are min: as large as the smaller bound.
            if (straight && less || swapped && !less)
                return Min(x, y);
        }
        return x is not null && y is not null ? Math.Max(x.Value, y.Value) : null;
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
    /// "p_size &lt; size" is false for a size no larger than p_size. Unsigned comparisons only (sizes).</summary>
    private static long? CompareWithBound(BinaryOp op, IrNode left, IrNode right, Frame f)
    {
        long? ka = Known(left, f), kb = Known(right, f);
        long? ua = ka is null ? UpperBound(left, f) : null, ub = kb is null ? UpperBound(right, f) : null;
        if (ka is long a && a >= 0 && ub is long b)
        {
            // a OP x, 0 <= x <= b
            return op switch
            {
                BinaryOp.LT when a >= b => 0,
                BinaryOp.LE when a > b => 0,
                BinaryOp.GE when a >= b => 1,
                BinaryOp.GT when a > b => 1,
                _ => null,
            };
        }
        if (kb is long c && c >= 0 && ua is long d)
        {
            // x OP c, 0 <= x <= d
            return op switch
            {
                BinaryOp.GT when d <= c => 0,
                BinaryOp.GE when d < c => 0,
                BinaryOp.LE when d <= c => 1,
                BinaryOp.LT when d < c => 1,
                _ => null,
            };
        }
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
            f.Upper[slot] = Math.Max(op == BinaryOp.GT ? c : c - 1, k);
    }

    /// <summary>Bounds of variables a loop writes hold only where the walk of its body set them.</summary>
    private static void ForgetLoopBounds(Frame f)
    {
        for (int i = 0; i < f.Upper.Length; i++)
            if (f.Opaque[i])
                f.Upper[i] = null;
    }

    private static void SetUpper(int slot, long? bound, Frame f)
    {
        if (slot >= 0 && slot < f.Upper.Length)
            f.Upper[slot] = f.Opaque[slot] || f.Escaped[slot] ? null : bound;
    }
}
