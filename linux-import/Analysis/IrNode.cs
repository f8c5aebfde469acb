// SPDX-License-Identifier: MIT
// Managed side. A compact copy of the clang AST of one function body or initializer, built once
// per declaration and then walked many times (once per calling context) by Reachability.
namespace LinuxShim.Import.Analysis;

internal enum IrKind : byte
{
    Generic,      // evaluate the children in order; no value
    Constant,     // folded integer (literal, sizeof, enum constant, constant expression)
    Pass,         // value of the last child (parens, casts, implicit conversions)
    SymbolRef,    // reference to a file-scope function or variable, or a static local (Target)
    Slot,         // a parameter or local variable of the enclosing function (Index)
    LocalDecl,    // declaration of slot Index; child 0, if any, is its initializer
    Call,         // direct call of Target; children are the arguments
    Binary,       // Op = BinaryOp; Flag = operands compare as unsigned
    Unary,        // Op = UnaryOp
    Conditional,  // c ? a : b
    If,           // cond, then, [else]
    Loop,         // while/for/do: Index = child holding a foldable condition, or -1
    Switch,       // cond, body
    Case,         // CaseStmt: value, statement
    Default,      // DefaultStmt: statement
    Break,
    Compound,
    StmtExpr,     // ({ ... }): value of the last statement
    Return,
    Label,        // a goto target: code after a return becomes live again here
    Asm,          // GCC inline assembly; Text holds the template, children its operands
    Unevaluated,  // sizeof/typeof operands that clang could not fold: no code, no references
    Index,        // a[i]: child 0 the array or pointer, child 1 the index
    Goto,         // goto LABEL or continue: control does not reach the next statement
}

internal sealed class IrNode
{
    public static readonly IrNode[] None = [];

    public IrKind Kind;
    public bool Flag;
    public IrNode[] Kids = None;
    public long? Value;
    public int Op;
    public int Index = -1;
    public Symbol? Target;
    public string? Text;

    /// <summary>For expressions naming an object of known size (arrays, string literals, &amp;var): its size in bytes.</summary>
    public long? ObjectSize;

    /// <summary>True when the object is a member reached through a pointer, so only __builtin_object_size type 1 knows it.</summary>
    public bool ObjectIsMember;

    /// <summary>For a member of a variable (not reached through a pointer): what __builtin_object_size type 0
    /// sees, from the member to the end of the variable.</summary>
    public long? ObjectRemaining;

    /// <summary>p-&gt;m: a member reached through the pointer that is the node's one kid.</summary>
    public bool PointerMember;

    /// <summary>For p-&gt;m, m an array and p a pointer: m's offset in bytes in *p. When what p points to has a
    /// known size (it came from kmalloc(sizeof(*p), …)), __builtin_object_size type 0 is that size less the offset.</summary>
    public long? MemberOffset;

    /// <summary>The largest value the expression's type holds, for types narrow enough to bound a size (u8, bool).</summary>
    public long? TypeMax;

    /// <summary>For a loop: the slots declared outside it that it writes or takes the address of. What they
    /// hold before the loop is known; from the loop's first iteration on it is not.</summary>
    public int[] Written = [];

    /// <summary>For a member access (Generic): the member's name, after "~" when it is not a field of a named struct
    /// (a union's, an anonymous record's: it may overlap its neighbours).</summary>
    public string? Member;

    /// <summary>For a member access: the width in bits of its integer or pointer type, negative when signed; 0 for
    /// any other type.</summary>
    public int IntegerBits;

    /// <summary>For a conversion (Pass): to an integer of another width or signedness, a new value to GCC.</summary>
    public bool Converts;

    /// <summary>For a reference to a variable: its type is an unsigned integer (or a pointer).</summary>
    public bool Unsigned;

    /// <summary>For a[i], and for p + i and p - i (p a pointer or an array): the element's size in bytes (0 when not known).</summary>
    public int ElementSize;

    /// <summary>For a call: its value is only tested against zero (!f(), f() == 0, if (f()), f() &amp;&amp; …),
    /// which lets GCC expand memcmp inline.</summary>
    public bool ZeroTested;

    /// <summary>For a call: it stands as a statement, its value unused (sprintf(d, "%s", s) is then strcpy).</summary>
    public bool ValueUnused;

    /// <summary>Marks the call this expression is (through parentheses and conversions) as tested against zero.</summary>
    public void MarkZeroTested()
    {
        if (Unwrapped is { Kind: IrKind.Call } call)
            call.ZeroTested = true;
    }

    /// <summary>The node without the parentheses and implicit conversions around it.</summary>
    public IrNode Unwrapped => Unwrap(out _);

    /// <summary>The node without the parentheses and conversions around it; <paramref name="converted"/>: one of them
    /// changes the value's width or signedness (<see cref="Converts"/>), a new value to GCC.</summary>
    public IrNode Unwrap(out bool converted)
    {
        var n = this;
        converted = false;
        while (n.Kind == IrKind.Pass && n.Kids.Length == 1)
        {
            converted |= n.Converts;
            n = n.Kids[0];
        }
        return n;
    }

    /// <summary>True when evaluating the node can have an effect beyond its value (a call, assignment, asm).</summary>
    public bool HasEffects()
    {
        if (Kind is IrKind.Call or IrKind.Asm or IrKind.StmtExpr)
            return true;
        if (Kind == IrKind.Binary && Op >= (int)Clang.BinaryOp.Assign && Op <= (int)Clang.BinaryOp.OrAssign)
            return true;
        if (Kind == IrKind.Unary && Op is >= (int)Clang.UnaryOp.PostInc and <= (int)Clang.UnaryOp.PreDec)
            return true;
        foreach (var k in Kids)
            if (k.HasEffects())
                return true;
        return false;
    }
}
