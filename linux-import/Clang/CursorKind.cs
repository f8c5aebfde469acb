// SPDX-License-Identifier: MIT
// Managed side. The libclang cursor kinds the importer looks at (values of enum CXCursorKind).
namespace LinuxShim.Import.Clang;

public enum CursorKind
{
    StructDecl = 2,
    UnionDecl = 3,
    EnumDecl = 5,
    FieldDecl = 6,
    EnumConstantDecl = 7,
    FunctionDecl = 8,
    VarDecl = 9,
    ParmDecl = 10,
    TypedefDecl = 20,
    TypeRef = 43,
    UnexposedExpr = 100,
    DeclRefExpr = 101,
    MemberRefExpr = 102,
    CallExpr = 103,
    IntegerLiteral = 106,
    StringLiteral = 109,
    CharacterLiteral = 110,
    ParenExpr = 111,
    UnaryOperator = 112,
    ArraySubscriptExpr = 113,
    BinaryOperator = 114,
    CompoundAssignOperator = 115,
    ConditionalOperator = 116,
    CStyleCastExpr = 117,
    CompoundLiteralExpr = 118,
    InitListExpr = 119,
    AddrLabelExpr = 120,
    StmtExpr = 121,
    GenericSelectionExpr = 122,
    UnaryExpr = 136,
    UnexposedStmt = 200,
    LabelStmt = 201,
    CompoundStmt = 202,
    CaseStmt = 203,
    DefaultStmt = 204,
    IfStmt = 205,
    SwitchStmt = 206,
    WhileStmt = 207,
    DoStmt = 208,
    ForStmt = 209,
    GotoStmt = 210,
    ReturnStmt = 214,
    GCCAsmStmt = 215,
    NullStmt = 230,
    DeclStmt = 231,
    TranslationUnit = 350,
    UnexposedAttr = 400,
    StaticAssert = 602,
}

/// <summary>CXLinkageKind.</summary>
public enum Linkage { Invalid = 0, None = 1, Internal = 2, UniqueExternal = 3, External = 4 }

/// <summary>CX_StorageClass.</summary>
public enum StorageClass { Invalid = 0, None = 1, Extern = 2, Static = 3, PrivateExtern = 4, Auto = 6, Register = 7 }

/// <summary>CXBinaryOperatorKind (LLVM 17 and later).</summary>
public enum BinaryOp
{
    Invalid = 0, PtrMemD, PtrMemI, Mul, Div, Rem, Add, Sub, Shl, Shr, Cmp, LT, GT, LE, GE, EQ, NE,
    And, Xor, Or, LAnd, LOr, Assign, MulAssign, DivAssign, RemAssign, AddAssign, SubAssign,
    ShlAssign, ShrAssign, AndAssign, XorAssign, OrAssign, Comma,
}

/// <summary>CXUnaryOperatorKind (LLVM 17 and later).</summary>
public enum UnaryOp
{
    Invalid = 0, PostInc, PostDec, PreInc, PreDec, AddrOf, Deref, Plus, Minus, Not, LNot, Real, Imag, Extension, Coawait,
}

/// <summary>The CXTypeKind values the importer distinguishes.</summary>
public enum TypeKind
{
    Invalid = 0, Bool = 3, CharU = 4, UChar = 5, UShort = 8, UInt = 9, ULong = 10, ULongLong = 11, UInt128 = 12,
    Pointer = 101, Record = 105, ConstantArray = 112, IncompleteArray = 114,
}

public static class TypeKinds
{
    /// <summary>Compared and shifted as unsigned by C's usual arithmetic conversions.</summary>
    public static bool IsUnsigned(this TypeKind kind) => kind is >= TypeKind.Bool and <= TypeKind.UInt128 or TypeKind.Pointer;

    /// <summary>An integer or enumeration type (CXType_Bool … CXType_Int128, CXType_Enum).</summary>
    public static bool IsInteger(this TypeKind kind) => (int)kind is >= 3 and <= 20 or 106;
}
