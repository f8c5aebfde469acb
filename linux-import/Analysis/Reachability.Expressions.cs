// SPDX-License-Identifier: MIT
// Managed side. Reachability, continued: operators, as the compiler folds them (C's unsigned compares,
// compound assignment, writes to followed locals).
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed partial class Reachability
{
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
            // A struct copied whole that is larger than GCC copies inline (sst's *codec = caps_mp3, 11144 bytes)
            // is a memcpy; from a constant GCC stores the constant instead, clearing the block first: memset. In a
            // function optimized for size either is inline (rep movs, rep stos).
            if (op == BinaryOp.Assign && n.ObjectSize > Builtins.InlineStringOpLimit && _quiet == 0)
                EmitLibraryCall(n.Kids[1].Unwrapped is { Kind: IrKind.SymbolRef, Target: { } source } && ReadOnlyVariables.IsConstantAggregate(source) ? "memset" : "memcpy", null, null);
            var target = n.Kids[0].Unwrapped;
            long? old = target.Kind == IrKind.Slot ? Eval(target, f) : EvalLValue(n.Kids[0], f);
            long? value = Eval(n.Kids[1], f);
            // A store through memory may change any load (the kernel builds with -fno-strict-aliasing), but for
            // another field of the struct the same local points to (r->x = 1 leaves r->len).
            if (target.Kind != IrKind.Slot)
            {
                LoadBound.Stored(f, target);
                if (op == BinaryOp.Assign && value is long stored)
                    LoadBound.StoredValue(f, target, stored);
            }
            if (op != BinaryOp.Assign)
                value = Arithmetic(CompoundOperator(op), old, value, n.Flag);
            if (target.Kind == IrKind.Slot)
            {
                Assign(target.Index, value, f);
                if (value is null && op == BinaryOp.Assign)
                    SetUpper(target.Index, n.Kids[1], f);
                if (op == BinaryOp.Assign)
                {
                    NoteSign(target.Index, n.Kids[1], f);
                    NoteObjectSize(target.Index, n.Kids[1], f);
                }
            }
            return value;
        }
        long? a = Eval(n.Kids[0], f);
        long? b = Eval(n.Kids[1], f);
        if (op == BinaryOp.Comma)
            return b;
        long? result = Arithmetic(op, a, b, n.Flag);
        if (result is null && op is BinaryOp.LT or BinaryOp.LE or BinaryOp.GT or BinaryOp.GE)
            result = n.Flag ? CompareWithBound(op, n.Kids[0], n.Kids[1], f) : CompareSignedWithBound(op, n.Kids[0], n.Kids[1], f);
        return result;
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

    /// <summary>A character of a string literal the compiler sees through (*s or s[1] of a parameter an inline
    /// function was passed "abc"): its value, 0 for the terminating NUL. 6.12's seq_puts() picks seq_putc(),
    /// seq_write() or __seq_puts() by __builtin_constant_p(*s) and s[0], s[1].</summary>
    private long? CharacterOf(IrNode pointer, long? index, Frame f)
    {
        if (LiteralOf(pointer, f) is not { } text || index is not long i || i < 0)
            return null;
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return i < bytes.Length ? bytes[i] : i == bytes.Length ? 0 : null;
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
                else
                    f.Clock.Epoch++;
                return op is UnaryOp.PreInc or UnaryOp.PreDec ? updated : v;
            }
            case UnaryOp.Plus or UnaryOp.Extension:
                return v;
            case UnaryOp.AddrOf:
                if (_quiet == 0 && n.Kids[0].Unwrapped is { Kind: IrKind.Slot } escaped && escaped.Index < f.Escaped.Length)
                {
                    f.Escaped[escaped.Index] = true;
                    f.Slots[escaped.Index] = null;
                    f.Upper[escaped.Index] = null;
                    f.Learnt[escaped.Index] = null;
                    f.NonNegative[escaped.Index] = false;
                    f.Size0[escaped.Index] = f.Size1[escaped.Index] = null;
                }
                return null;
            case UnaryOp.Deref:
                return CharacterOf(n.Kids[0], 0, f);
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
}
