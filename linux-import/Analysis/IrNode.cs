// SPDX-License-Identifier: MIT
// Managed side. A compact copy of the clang AST of one function body or initializer, built once
// per declaration and then walked many times (once per calling context) by Reachability.
using LinuxShim.Import.Clang;

namespace LinuxShim.Import.Analysis;

internal enum IrKind : byte
{
    Generic,      // evaluate the children in order; no value
    Constant,     // folded integer (literal, sizeof, enum constant, constant expression)
    Pass,         // value of the last child (parens, casts, implicit conversions)
    SymbolRef,    // reference to a file-scope function or variable (Symbol)
    ParamRef,     // reference to a parameter of the enclosing function (Index)
    LocalRef,     // reference to a local variable of the enclosing function (Index)
    LocalDecl,    // declaration of local Index; child 0, if any, is its initializer
    Call,         // direct call of Symbol; children are the arguments
    Binary,       // Op = BinaryOp
    Unary,        // Op = UnaryOp
    Conditional,  // c ? a : b
    If,           // cond, then, [else]
    Loop,         // while/for: children as clang gives them; Index = child holding the condition, or -1
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
}

internal sealed class IrNode
{
    public static readonly IrNode[] None = [];

    public IrKind Kind;
    public IrNode[] Kids = None;
    public long? Value;
    public int Op;
    public int Index = -1;
    public Symbol? Target;
    public string? Text;
}
