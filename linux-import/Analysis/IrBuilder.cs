// SPDX-License-Identifier: MIT
// Managed side. Turns the clang AST of one definition into IrNodes: keeps what decides which code
// survives compilation (constants, conditions, calls, references) and drops the rest.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal sealed class IrBuilder(UnitIndex index)
{
    private readonly Dictionary<Cursor, int> _params = new();
    private readonly Dictionary<Cursor, int> _locals = new();
    private readonly List<IrNode> _localDecls = [];
    private readonly HashSet<int> _written = [];

    public void Build(Symbol symbol, Cursor definition)
    {
        if (definition.Kind == CursorKind.VarDecl)
        {
            var init = definition.VarInitializer;
            symbol.Body = init.IsNull ? null : Node(init);
            return;
        }
        IrNode? body = null;
        foreach (var child in definition.Children())
        {
            if (child.Kind == CursorKind.ParmDecl)
                _params[child] = _params.Count;
            else if (child.Kind == CursorKind.CompoundStmt)
                body = Node(child);
        }
        // A local keeps its initial value only if nothing assigns it or takes its address.
        foreach (var decl in _localDecls)
            if (_written.Contains(decl.Index))
                decl.Op = 1;
        symbol.Body = body;
        symbol.ParamCount = _params.Count;
        symbol.LocalCount = _locals.Count;
        if (body is { Kind: IrKind.Compound, Kids: [{ Kind: IrKind.Return, Kids: [var expression] }] })
            symbol.ReturnExpression = expression;
    }

    private const CursorKind MemberRef = (CursorKind)47;

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
                return Leaf(IrKind.Constant, 1);
            case CursorKind.DeclRefExpr:
                return Reference(c.Referenced);
            case CursorKind.CallExpr:
                return Call(c);
            case CursorKind.BinaryOperator:
            case CursorKind.CompoundAssignOperator:
            {
                var op = c.BinaryOperator;
                var node = With(IrKind.Binary, c.Children(), (int)op);
                if (op >= BinaryOp.Assign && op <= BinaryOp.OrAssign && node.Kids.Length > 0)
                    NoteWrite(node.Kids[0]);
                return node;
            }
            case CursorKind.UnaryOperator:
            {
                var op = c.UnaryOperator;
                var node = With(IrKind.Unary, c.Children(), (int)op);
                if (op is UnaryOp.PostInc or UnaryOp.PostDec or UnaryOp.PreInc or UnaryOp.PreDec or UnaryOp.AddrOf && node.Kids.Length > 0)
                    NoteWrite(node.Kids[0]);
                return node;
            }
            case CursorKind.ConditionalOperator:
                return With(IrKind.Conditional, c.Children());
            case CursorKind.ParenExpr:
                return With(IrKind.Pass, c.Children());
            case CursorKind.CStyleCastExpr:
            {
                // Children are the written type (possibly typeof(expr), unevaluated) and then the operand.
                var kids = c.Children();
                return kids.Count == 0 ? Leaf(IrKind.Generic) : With(IrKind.Pass, [kids[^1]]);
            }
            case CursorKind.UnexposedExpr:
            {
                var kids = c.Children();
                if (kids.Count == 1 && kids[0].Kind != CursorKind.TypeRef)
                    return With(IrKind.Pass, kids);
                if (kids.Count > 0 && kids[0].Kind == MemberRef)
                    return With(IrKind.Generic, kids); // designated initializer: .field = value
                // Builtins clang keeps unexposed (__builtin_types_compatible_p, offsetof, __builtin_choose_expr…):
                // when clang folds them, their operands generate no code.
                if (c.EvaluateInteger() is long folded)
                    return Leaf(IrKind.Constant, folded);
                return With(IrKind.Generic, kids);
            }
            case CursorKind.IfStmt:
                return With(IrKind.If, c.Children());
            case CursorKind.WhileStmt:
            {
                var node = With(IrKind.Loop, c.Children());
                node.Index = 0;
                return node;
            }
            case CursorKind.ForStmt:
                return With(IrKind.Loop, c.Children());
            case CursorKind.SwitchStmt:
                return With(IrKind.Switch, c.Children());
            case CursorKind.CaseStmt:
                return With(IrKind.Case, c.Children());
            case CursorKind.DefaultStmt:
                return With(IrKind.Default, c.Children());
            case (CursorKind)213: // BreakStmt
                return Leaf(IrKind.Break);
            case CursorKind.LabelStmt:
                return With(IrKind.Label, c.Children());
            case CursorKind.CompoundStmt:
                return With(IrKind.Compound, c.Children());
            case CursorKind.StmtExpr:
                return With(IrKind.StmtExpr, c.Children());
            case CursorKind.ReturnStmt:
                return With(IrKind.Return, c.Children());
            case CursorKind.GCCAsmStmt:
            {
                var node = With(IrKind.Asm, c.Children());
                node.Text = c.AsmTemplate;
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

    private void NoteWrite(IrNode target)
    {
        while (target.Kind == IrKind.Pass && target.Kids.Length > 0)
            target = target.Kids[^1];
        if (target.Kind == IrKind.LocalRef)
            _written.Add(target.Index);
    }

    private IrNode LocalDeclaration(Cursor c)
    {
        if (c.StorageClass == StorageClass.Static || c.StorageClass == StorageClass.Extern)
            return Leaf(IrKind.Generic); // emitted only if referenced; references go through SymbolRef
        int id = _locals.Count;
        _locals[c] = id;
        var init = c.VarInitializer;
        var decl = new IrNode { Kind = IrKind.LocalDecl, Index = id, Kids = init.IsNull ? IrNode.None : [Node(init)] };
        _localDecls.Add(decl);
        return decl;
    }

    private IrNode Reference(Cursor referenced)
    {
        switch (referenced.Kind)
        {
            case CursorKind.EnumConstantDecl:
                return Leaf(IrKind.Constant, referenced.EnumValue);
            case CursorKind.ParmDecl:
                return _params.TryGetValue(referenced, out int p)
                    ? new IrNode { Kind = IrKind.ParamRef, Index = p }
                    : Leaf(IrKind.Generic);
            case CursorKind.VarDecl:
                if (referenced.StorageClass == StorageClass.Register)
                    return Leaf(IrKind.Generic); // a global register variable (current_stack_pointer): no symbol
                if (_locals.TryGetValue(referenced, out int l))
                    return new IrNode { Kind = IrKind.LocalRef, Index = l };
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
        var node = With(IrKind.Call, kids.GetRange(1, kids.Count - 1));
        node.Target = index.SymbolFor(callee);
        return node;
    }
}
