// SPDX-License-Identifier: MIT
// Managed side. Turns the clang AST of one definition into IrNodes: keeps what decides which code
// survives compilation (constants, conditions, calls, references, object sizes) and drops the rest.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed class IrBuilder(UnitIndex index)
{
    private const CursorKind MemberRef = (CursorKind)47;
    private const CursorKind BreakStmt = (CursorKind)213;
    private const CursorKind ContinueStmt = (CursorKind)212;

    private readonly Dictionary<Cursor, int> _slots = new();
    private readonly HashSet<int> _read = [];
    private readonly Dictionary<int, int> _declaredAtLoopDepth = new();
    private int _loopDepth;

    /// <summary>For each slot, the calls whose test against zero was stored in it (x = !call, x = call != 0):
    /// the call and whether the test is != 0.</summary>
    private readonly Dictionary<int, List<(IrNode Call, bool NonZero)>> _heldTests = new();

    /// <summary>For each loop being built, from the outermost: the slots it writes (IrNode.Written).</summary>
    private readonly List<HashSet<int>> _loopWrites = [];

    public void Build(Symbol symbol, Cursor definition)
    {
        if (definition.Kind == CursorKind.VarDecl)
        {
            var init = definition.VarInitializer;
            symbol.Body = init.IsNull ? null : Node(init);
            return;
        }
        IrNode? body = null;
        int parameters = 0;
        foreach (var child in definition.Children())
        {
            if (child.Kind == CursorKind.ParmDecl)
                _slots[child] = parameters++;
            else if (child.Kind == CursorKind.CompoundStmt)
                body = Node(child);
        }
        symbol.Body = body;
        symbol.ParamCount = parameters;
        symbol.SlotCount = _slots.Count;
        symbol.ParamRead = new bool[parameters];
        for (int i = 0; i < parameters; i++)
            symbol.ParamRead[i] = _read.Contains(i);
    }

    private static IrNode Leaf(IrKind kind, long? value = null) => new() { Kind = kind, Value = value };

    private IrNode With(IrKind kind, List<Cursor> kids, int op = 0)
    {
        var nodes = new IrNode[kids.Count];
        for (int i = 0; i < nodes.Length; i++)
            nodes[i] = Node(kids[i]);
        return new IrNode { Kind = kind, Kids = nodes, Op = op };
    }

    private IrNode Node(Cursor c)
    {
        switch (c.Kind)
        {
            case CursorKind.IntegerLiteral:
            case CursorKind.CharacterLiteral:
                return Leaf(IrKind.Constant, c.EvaluateInteger());
            case CursorKind.UnaryExpr:
                return c.EvaluateInteger() is long size ? Leaf(IrKind.Constant, size) : Leaf(IrKind.Unevaluated);
            case CursorKind.StringLiteral:
                // The address of a literal is a known constant to the compiler: non-null, foldable by strlen().
                return new IrNode { Kind = IrKind.Constant, Value = 1, ObjectSize = c.TypeSize, Text = c.EvaluateString() ?? CString.FromSpelling(c.Spelling) };
            case CursorKind.DeclRefExpr:
            {
                var node = Reference(c.Referenced);
                if (c.CanonicalTypeKind == TypeKind.ConstantArray)
                    node.ObjectSize = c.TypeSize;
                node.TypeMax ??= NarrowTypeMax(c);
                node.Unsigned = c.CanonicalTypeKind.IsUnsigned();
                return node;
            }
            case CursorKind.MemberRefExpr:
            {
                var kids = c.Children();
                var node = With(IrKind.Generic, kids);
                node.PointerMember = kids.Count == 1 && StripImplicit(kids[0]).CanonicalTypeKind == TypeKind.Pointer;
                // A load's bound is kept by its path (Reachability.Bounds); a union's fields overlap, a named struct's do
                // not; a bit-field is not followed (a store to it is truncated).
                if (c.Referenced.BitFieldWidth is null)
                    node.Member = c.Referenced.IsStructField ? c.Spelling : "~" + c.Spelling;
                node.IntegerBits = c.CanonicalTypeKind == TypeKind.Pointer ? 64 : Integer(c.CanonicalTypeKind) is { } integer ? (integer.Unsigned ? integer.Bits : -integer.Bits) : 0;
                // p->buf, buf the last field of its struct: GCC 12 (no -fstrict-flex-arrays) takes it for an
                // array that may run past its declared size, so its object size is not known (fortify's checks
                // on it fold away); so too p[i].buf and (*p).buf (nfnetlink_cthelper's
                // helper->expect_policy[i].name: strlen, not strnlen). Reached in a variable (local.buf), or in an
                // array member (h->arr[i].buf), the variable or the array bounds it.
                // What it may run into is what was allocated: p holding kmalloc(sizeof(*p) + n) gives the trailing array
                // (a flexible one too) the rest of the allocation, whatever the type (gcc-12: samsung-laptop's
                // strlen(samsung->sdiag), sdiag its struct's last field, is fortify's strnlen and fortify_panic).
                bool trailing = kids.Count == 1 && ThroughPointer(kids[0]) && c.Referenced.IsTrailingField;
                bool array = c.CanonicalTypeKind == TypeKind.ConstantArray || trailing && c.CanonicalTypeKind == TypeKind.IncompleteArray;
                if (array && node.PointerMember && c.Referenced.OffsetOfFieldBits is long at)
                    node.MemberOffset = at / 8;
                if (c.CanonicalTypeKind == TypeKind.ConstantArray && !trailing)
                {
                    node.ObjectSize = c.TypeSize;
                    node.ObjectIsMember = true;
                    // local.member: GCC sees the variable, so type 0 is what follows the member in it.
                    if (kids.Count == 1 && kids[0].Kind == CursorKind.DeclRefExpr && kids[0].CanonicalTypeKind == TypeKind.Record
                        && kids[0].TypeSize is long whole && kids[0].FieldOffsetBits(c.Spelling) is long bits)
                        node.ObjectRemaining = whole - bits / 8;
                }
                node.TypeMax = NarrowTypeMax(c);
                return node;
            }
            case CursorKind.CallExpr:
                return Call(c);
            case CursorKind.BinaryOperator:
            case CursorKind.CompoundAssignOperator:
            {
                var op = c.BinaryOperator;
                var kids = c.Children();
                var node = With(IrKind.Binary, kids, (int)op);
                if (op is >= BinaryOp.Assign and <= BinaryOp.OrAssign && node.Kids.Length > 0)
                    NoteWrite(node.Kids[0]);
                if (op == BinaryOp.Assign && node.Kids.Length == 2 && node.Kids[0].Unwrapped.Kind == IrKind.Slot)
                    NoteHeldTest(node.Kids[0].Unwrapped.Index, node.Kids[1]);
                // A struct assignment is a block copy: its size, for Reachability to see a libcall in a large one.
                if (op == BinaryOp.Assign && kids.Count == 2 && kids[0].CanonicalTypeKind == TypeKind.Record)
                    node.ObjectSize = kids[0].TypeSize;
                // p + k, p - k: the size of what p points to, for __builtin_object_size (phy->buf + 1 has buf's size less one).
                if (op is BinaryOp.Add or BinaryOp.Sub && kids.Count == 2 && kids[0].CanonicalTypeKind is TypeKind.Pointer or TypeKind.ConstantArray
                    && c.PointeeSize is long pointee)
                    node.ElementSize = (int)pointee;
                if (op is >= BinaryOp.Div and <= BinaryOp.NE or >= BinaryOp.DivAssign and <= BinaryOp.ShrAssign && kids.Count == 2)
                    node.Flag = kids[0].CanonicalTypeKind.IsUnsigned() || kids[1].CanonicalTypeKind.IsUnsigned();
                if (op is BinaryOp.EQ or BinaryOp.NE && node.Kids.Length == 2)
                {
                    if (IsZero(node.Kids[1]))
                        node.Kids[0].MarkZeroTested();
                    if (IsZero(node.Kids[0]))
                        node.Kids[1].MarkZeroTested();
                }
                if (op is BinaryOp.LAnd or BinaryOp.LOr)
                {
                    foreach (var operand in node.Kids)
                        operand.MarkZeroTested();
                    UnmarkCombinedHeldTests(node, op == BinaryOp.LOr);
                }
                if (op is BinaryOp.Or or BinaryOp.And)
                    UnmarkCombinedZeroTests(node, op == BinaryOp.Or);
                return node;
            }
            case CursorKind.UnaryOperator:
            {
                var op = c.UnaryOperator;
                var kids = c.Children();
                var node = With(IrKind.Unary, kids, (int)op);
                if (op == UnaryOp.LNot && node.Kids.Length == 1)
                    node.Kids[0].MarkZeroTested();
                if (op is UnaryOp.PostInc or UnaryOp.PostDec or UnaryOp.PreInc or UnaryOp.PreDec && node.Kids.Length > 0)
                    NoteWrite(node.Kids[0]);
                if (op == UnaryOp.AddrOf && node.Kids.Length == 1)
                {
                    NoteWrite(node.Kids[0]);
                    var target = node.Kids[0].Unwrapped;
                    if (target.Kind is IrKind.SymbolRef or IrKind.Slot && kids[0].TypeSize is long whole)
                        node.ObjectSize = whole;
                    else if (target.ObjectIsMember || kids[0].Kind == CursorKind.MemberRefExpr)
                    {
                        node.ObjectSize = kids[0].TypeSize;
                        node.ObjectIsMember = true;
                    }
                }
                return node;
            }
            case CursorKind.ConditionalOperator:
            {
                var node = With(IrKind.Conditional, c.Children());
                if (node.Kids.Length == 3)
                    node.Kids[0].MarkZeroTested();
                return node;
            }
            case CursorKind.ArraySubscriptExpr:
            {
                var node = With(IrKind.Index, c.Children());
                node.ElementSize = (int)(c.TypeSize ?? 0);
                // buf[2] of a u8 buf: at most 255, as a member or a variable of the type is.
                node.TypeMax = NarrowTypeMax(c);
                return node;
            }
            case CursorKind.ParenExpr:
                return With(IrKind.Pass, c.Children());
            case CursorKind.CStyleCastExpr:
            {
                // Children are the written type (possibly typeof(expr), unevaluated) and then the operand.
                var kids = c.Children();
                if (kids.Count == 0)
                    return Leaf(IrKind.Generic);
                var cast = With(IrKind.Pass, [kids[^1]]);
                cast.Converts = Converts(c, kids[^1]);
                return cast;
            }
            case CursorKind.UnexposedExpr:
            {
                var kids = c.Children();
                if (kids.Count == 1 && kids[0].Kind != CursorKind.TypeRef)
                {
                    var conversion = Passing(kids[0]);
                    conversion.Converts = Converts(c, kids[0]);
                    return conversion;
                }
                if (kids.Count > 0 && kids[0].Kind == MemberRef)
                    return With(IrKind.Generic, kids); // designated initializer: .field = value
                // Builtins clang keeps unexposed (__builtin_types_compatible_p, offsetof, __builtin_choose_expr…):
                // when clang folds them, their operands generate no code.
                if (c.EvaluateInteger() is long folded)
                    return Leaf(IrKind.Constant, folded);
                // __builtin_choose_expr(constant, a, b) compiles only the chosen operand (fortify's strlen()).
                if (kids.Count == 3 && kids[0].EvaluateInteger() is long choice)
                    return Passing(kids[choice != 0 ? 1 : 2]);
                return With(IrKind.Generic, kids);
            }
            case CursorKind.IfStmt:
            {
                var node = With(IrKind.If, c.Children());
                if (node.Kids.Length > 0)
                    node.Kids[0].MarkZeroTested();
                return node;
            }
            case CursorKind.WhileStmt:
            case CursorKind.ForStmt:
                return Loop(c, c.Kind == CursorKind.WhileStmt ? 0 : -1);
            case CursorKind.DoStmt:
            {
                // do { … } while (0) is how macros make one statement: not a loop.
                var kids = c.Children();
                if (kids.Count == 2 && kids[1].EvaluateInteger() == 0)
                {
                    // Flag: a break in it leaves it, not what holds it.
                    var once = With(IrKind.Generic, [kids[0]]);
                    once.Flag = true;
                    return once;
                }
                return Loop(c, -1);
            }
            case CursorKind.SwitchStmt:
                return With(IrKind.Switch, c.Children());
            case CursorKind.CaseStmt:
                return With(IrKind.Case, c.Children());
            case CursorKind.DefaultStmt:
                return With(IrKind.Default, c.Children());
            case BreakStmt:
                return Leaf(IrKind.Break);
            case CursorKind.GotoStmt:
            case ContinueStmt:
                return Leaf(IrKind.Goto);
            case CursorKind.LabelStmt:
                return With(IrKind.Label, c.Children());
            case CursorKind.CompoundStmt:
            {
                var node = With(IrKind.Compound, c.Children());
                // A call standing as a statement: its value is thrown away.
                foreach (var statement in node.Kids)
                    if (statement.Unwrapped is { Kind: IrKind.Call } call)
                        call.ValueUnused = true;
                return node;
            }
            case CursorKind.StmtExpr:
                return With(IrKind.StmtExpr, c.Children());
            case CursorKind.GenericSelectionExpr:
            {
                // _Generic(x, T1: a, T2: b): x is not evaluated and only the association x's type selects is
                // compiled (6.12's dev_fwnode() picks __dev_fwnode or __dev_fwnode_const). libclang does not say
                // which was selected; the expression has the selected one's type, so that one is it when unique.
                var associations = c.Children().Where(k => (int)k.Kind is >= 100 and < 200).Skip(1).ToList();
                string type = c.CanonicalTypeSpelling;
                var selected = associations.Where(a => a.CanonicalTypeSpelling == type).ToList();
                return selected.Count == 1 ? Passing(selected[0]) : With(IrKind.Generic, associations);
            }
            case CursorKind.ReturnStmt:
                return With(IrKind.Return, c.Children());
            case CursorKind.GCCAsmStmt:
            {
                var node = With(IrKind.Asm, c.Children());
                node.Text = c.AsmTemplate;
                node.Flag = c.AsmVolatile;
                // Output operands ("=r" (x), "+m" (v)) come first: the assembly writes them.
                node.Index = Math.Min(c.AsmOutputCount, node.Kids.Length);
                for (int i = 0; i < node.Index; i++)
                    NoteWrite(node.Kids[i]);
                return node;
            }
            case CursorKind.VarDecl:
                return LocalDeclaration(c);
            case CursorKind.StaticAssert:
                return Leaf(IrKind.Generic);
            default:
                // Declarations, type and member references, attributes: no code of their own.
                int k = (int)c.Kind;
                if (k < 100 || k >= 300)
                    return Leaf(IrKind.Generic);
                return With(IrKind.Generic, c.Children());
        }
    }

    /// <summary>The struct a member is taken from is reached through a pointer: p (for p->m), p[i] or *p (for
    /// p[i].m, (*p).m), p a pointer rather than an array.</summary>
    private static bool ThroughPointer(Cursor b)
    {
        b = StripImplicit(b);
        if (b.CanonicalTypeKind == TypeKind.Pointer)
            return true;
        if (b.Kind == CursorKind.ArraySubscriptExpr && b.Children() is [var array, _])
            return StripImplicit(array).CanonicalTypeKind == TypeKind.Pointer;
        return b.Kind == CursorKind.UnaryOperator && b.UnaryOperator == UnaryOp.Deref;
    }

    private static Cursor StripImplicit(Cursor c)
    {
        while (c.Kind is CursorKind.UnexposedExpr or CursorKind.ParenExpr && c.Children() is [var inner])
            c = inner;
        return c;
    }

    /// <summary>bool and unsigned char (u8) hold at most 1 and 255: a size of that type is bounded.</summary>
    private static long? NarrowTypeMax(Cursor c) => (int)c.CanonicalTypeKind switch
    {
        3 => 1,      // CXType_Bool
        4 or 5 => 255, // CXType_Char_U, CXType_UChar
        _ => null,
    };

    /// <summary>An integer conversion that changes width or signedness: GCC computes a new value (int to size_t),
    /// where the range known there is its own.</summary>
    private static bool Converts(Cursor conversion, Cursor operand)
    {
        return Integer(conversion.CanonicalTypeKind) is { } to && Integer(operand.CanonicalTypeKind) is { } from && to != from;
    }

    /// <summary>An integer type's width in bits and signedness.</summary>
    private static (int Bits, bool Unsigned)? Integer(TypeKind kind) => (int)kind switch
    {
        3 => (1, true),                 // bool
        4 or 5 => (8, true),            // char (unsigned), unsigned char
        13 or 14 => (8, false),         // char, signed char
        8 => (16, true), 16 => (16, false),
        9 => (32, true), 17 => (32, false),
        10 or 11 => (64, true), 18 or 19 => (64, false),
        _ => null,
    };

    /// <summary>A node that stands for its one operand (a conversion): same value, same object.</summary>
    private IrNode Passing(Cursor operand)
    {
        var inner = Node(operand);
        return new IrNode { Kind = IrKind.Pass, Kids = [inner], ObjectSize = inner.ObjectSize, ObjectIsMember = inner.ObjectIsMember,
            ObjectRemaining = inner.ObjectRemaining };
    }

    private IrNode Loop(Cursor c, int conditionIndex)
    {
        var kids = c.Children();
        // for (int i = 0; …): i lives across the iterations, as if declared before the loop.
        IrNode? init = c.Kind == CursorKind.ForStmt && kids.Count > 0 && kids[0].Kind == CursorKind.DeclStmt ? Node(kids[0]) : null;
        _loopDepth++;
        var written = new HashSet<int>();
        _loopWrites.Add(written);
        try
        {
            var nodes = new IrNode[kids.Count];
            for (int i = 0; i < nodes.Length; i++)
                nodes[i] = i == 0 && init is not null ? init : Node(kids[i]);
            // for (init; cond; inc) body, all four written (for_each_child_of_node()): the condition is the
            // second child, checked after the init; with fewer, which child is which is not known.
            bool initThenCondition = c.Kind == CursorKind.ForStmt && nodes.Length == 4;
            return new IrNode { Kind = IrKind.Loop, Kids = nodes, Index = initThenCondition ? 1 : conditionIndex, Flag = initThenCondition,
                Written = [.. written.Order()] };
        }
        finally
        {
            _loopDepth--;
            _loopWrites.RemoveAt(_loopWrites.Count - 1);
        }
    }

    /// <summary>A slot that lives across the iterations of a loop and is written, or has its address taken,
    /// inside it has no single value to follow in the loop (the body is walked once): the loop lists it
    /// (IrNode.Written) and Reachability forgets it at the loop's head, after what it held before was used.
    /// A local declared inside the loop starts again at its declaration in every iteration, so what the walk
    /// sees is what each iteration does (fortify's "const size_t __p_size = …" in a memcpy inside a loop).
    /// Outside loops, writes are followed and an address taken ends tracking from that point.</summary>
    private void NoteWrite(IrNode target)
    {
        target = target.Unwrapped;
        if (target.Kind != IrKind.Slot)
            return;
        int declared = _declaredAtLoopDepth.GetValueOrDefault(target.Index);
        // Every enclosing loop the slot was declared outside of writes it (loop k is at depth k + 1).
        for (int k = declared; k < _loopWrites.Count; k++)
            _loopWrites[k].Add(target.Index);
    }

    private IrNode LocalDeclaration(Cursor c)
    {
        if (c.StorageClass == StorageClass.Static)
        {
            // A static local is emitted only if referenced, unless it is __used (__ADDRESSABLE in static_call()).
            if (c.HasAttributes && UnitIndex.IsUsed(c))
                return new IrNode { Kind = IrKind.SymbolRef, Target = index.SymbolFor(c) };
            return Leaf(IrKind.Generic);
        }
        if (c.StorageClass == StorageClass.Extern)
            return Leaf(IrKind.Generic);
        int slot = _slots.Count;
        _slots[c] = slot;
        _declaredAtLoopDepth[slot] = _loopDepth;
        var init = c.VarInitializer;
        var declaration = new IrNode { Kind = IrKind.LocalDecl, Index = slot, Kids = init.IsNull ? IrNode.None : [Node(init)] };
        if (declaration.Kids.Length == 1)
            NoteHeldTest(slot, declaration.Kids[0]);
        // __attribute__((cleanup(fn))) (the kernel's __free(x), guard(), scoped_guard()) calls fn(&var) when
        // the variable goes out of scope. Where exactly does not change what is referenced: the call is
        // walked right after the declaration, with an argument whose value is unknown.
        if (UnitIndex.CleanupFunction(c) is { } name && index.Function(name) is { } cleanup)
            return new IrNode { Kind = IrKind.Pass, Kids = [declaration, new IrNode { Kind = IrKind.Call, Target = cleanup, Kids = [Leaf(IrKind.Generic)] }] };
        return declaration;
    }

    private IrNode Reference(Cursor referenced)
    {
        switch (referenced.Kind)
        {
            case CursorKind.EnumConstantDecl:
                return Leaf(IrKind.Constant, referenced.EnumValue);
            case CursorKind.ParmDecl:
            case CursorKind.VarDecl:
                if (_slots.TryGetValue(referenced, out int slot))
                {
                    _read.Add(slot);
                    return new IrNode { Kind = IrKind.Slot, Index = slot };
                }
                if (referenced.Kind == CursorKind.ParmDecl || referenced.StorageClass == StorageClass.Register)
                    return Leaf(IrKind.Generic); // a global register variable (current_stack_pointer): no symbol
                if (referenced.Linkage == Linkage.None && referenced.StorageClass != StorageClass.Static)
                    return Leaf(IrKind.Generic); // a local of an enclosing scope we have not seen
                return new IrNode { Kind = IrKind.SymbolRef, Target = index.SymbolFor(referenced) };
            case CursorKind.FunctionDecl:
                return new IrNode { Kind = IrKind.SymbolRef, Target = index.SymbolFor(referenced) };
            default:
                return Leaf(IrKind.Generic);
        }
    }

    private IrNode Call(Cursor c)
    {
        var kids = c.Children();
        var callee = c.Referenced;
        if (callee.IsNull || callee.Kind != CursorKind.FunctionDecl || kids.Count == 0)
            return With(IrKind.Generic, kids);
        var target = index.SymbolFor(callee);
        var node = With(IrKind.Call, kids.GetRange(1, kids.Count - 1));
        node.Target = target;
        return node;
    }

    /// <summary>
    /// GCC folds tests of several values against zero joined bitwise into one test of their OR:
    /// (a != 0) | (b != 0) is (a | b) != 0, and (a == 0) &amp; (b == 0) is (a | b) == 0 (also through !!x and !x, and
    /// across a whole chain, which it reassociates). A call whose value is folded so is no longer compared with
    /// zero itself: gcc-12 calls enic's two !!memcmp(…, 16) joined by | although each alone would be inline.
    /// </summary>
    private static void UnmarkCombinedZeroTests(IrNode node, bool or)
    {
        var tested = Operands(node, or ? BinaryOp.Or : BinaryOp.And).Select(o => ZeroTestedCall(o, or)).OfType<IrNode>().ToList();
        if (tested.Count >= 2)
            foreach (var call in tested)
                call.ZeroTested = false;
    }

    private void NoteHeldTest(int slot, IrNode value)
    {
        foreach (bool nonZero in (ReadOnlySpan<bool>)[false, true])
            if (ZeroTestedCall(value.Unwrapped, nonZero) is { } call)
            {
                if (!_heldTests.TryGetValue(slot, out var held))
                    _heldTests[slot] = held = [];
                held.Add((call, nonZero));
            }
    }

    /// <summary>
    /// Tests against zero that were stored in locals and are joined by &amp;&amp; (== 0 tests) or || (!= 0 tests):
    /// with both values already computed, GCC evaluates the condition without branching (ifcombine), as
    /// (a | b) == 0 or (a | b) != 0, so neither call is compared with zero itself (sfp's
    /// "cotsworks = !memcmp(…, 16); cotsworks_sfbg = !memcmp(…, 4); if (cotsworks &amp;&amp; cotsworks_sfbg)" calls
    /// both; gcc-12 -O2 with the kernel's flags, whatever the locals' types and other writes). A call written in
    /// the condition itself is evaluated only when the first test passes, and stays inline; != 0 tests joined
    /// by &amp;&amp; cannot be folded so.
    /// </summary>
    private void UnmarkCombinedHeldTests(IrNode node, bool or)
    {
        var holders = Operands(node, or ? BinaryOp.LOr : BinaryOp.LAnd)
            .Select(o => o.Kind == IrKind.Slot && _heldTests.TryGetValue(o.Index, out var held) ? held.Where(h => h.NonZero == or).ToList() : [])
            .Where(held => held.Count > 0).ToList();
        if (holders.Count >= 2)
            foreach (var (call, _) in holders.SelectMany(held => held))
                call.ZeroTested = false;
    }

    /// <summary>The operands of a chain of one operator (a | b | c), whatever its grouping, unwrapped.</summary>
    private static List<IrNode> Operands(IrNode node, BinaryOp op)
    {
        var operands = new List<IrNode>();
        void Flatten(IrNode n)
        {
            var u = n.Unwrapped;
            if (u.Kind == IrKind.Binary && u.Op == (int)op && u.Kids.Length == 2)
            {
                Flatten(u.Kids[0]);
                Flatten(u.Kids[1]);
            }
            else
                operands.Add(u);
        }
        Flatten(node);
        return operands;
    }

    /// <summary>The integer constant 0 (through parentheses and conversions), not a string literal.</summary>
    private static bool IsZero(IrNode n) => n.Unwrapped is { Kind: IrKind.Constant, Value: 0, Text: null };

    /// <summary>The call <paramref name="n"/> tests against zero: call != 0 or !!call when <paramref name="nonZero"/>,
    /// call == 0 or !call otherwise; else null.</summary>
    private static IrNode? ZeroTestedCall(IrNode n, bool nonZero)
    {
        static IrNode? Call(IrNode k) => k.Unwrapped is { Kind: IrKind.Call } c ? c : null;
        static bool Not(IrNode k) => k.Kind == IrKind.Unary && k.Op == (int)UnaryOp.LNot && k.Kids.Length == 1;
        if (n.Kind == IrKind.Binary && n.Kids.Length == 2 && n.Op == (int)(nonZero ? BinaryOp.NE : BinaryOp.EQ))
            return IsZero(n.Kids[1]) ? Call(n.Kids[0]) : IsZero(n.Kids[0]) ? Call(n.Kids[1]) : null;
        if (Not(n))
        {
            var inner = n.Kids[0].Unwrapped;
            return nonZero ? (Not(inner) ? Call(inner.Kids[0]) : null) : Call(inner);
        }
        return null;
    }

}
