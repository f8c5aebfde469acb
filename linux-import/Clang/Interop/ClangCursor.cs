// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: CXCursor queries (kind, names, links, linkage, operators).
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static unsafe partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_visitChildren")]
    internal static partial uint clang_visitChildren(
        CXCursor parent,
        delegate* unmanaged[Cdecl]<CXCursor, CXCursor, nint, CXChildVisitResult> visitor,
        nint clientData);

    [LibraryImport(Library, EntryPoint = "clang_getCursorSpelling")]
    internal static partial CXString clang_getCursorSpelling(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorReferenced")]
    internal static partial CXCursor clang_getCursorReferenced(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorSemanticParent")]
    internal static partial CXCursor clang_getCursorSemanticParent(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_getOffsetOfField")]
    internal static partial long clang_Cursor_getOffsetOfField(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorDefinition")]
    internal static partial CXCursor clang_getCursorDefinition(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCanonicalCursor")]
    internal static partial CXCursor clang_getCanonicalCursor(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_isCursorDefinition")]
    internal static partial uint clang_isCursorDefinition(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_equalCursors")]
    internal static partial uint clang_equalCursors(CXCursor a, CXCursor b);

    [LibraryImport(Library, EntryPoint = "clang_hashCursor")]
    internal static partial uint clang_hashCursor(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_isNull")]
    internal static partial int clang_Cursor_isNull(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorLinkage")]
    internal static partial int clang_getCursorLinkage(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_getStorageClass")]
    internal static partial int clang_Cursor_getStorageClass(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_isFunctionInlined")]
    internal static partial uint clang_Cursor_isFunctionInlined(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_hasAttrs")]
    internal static partial uint clang_Cursor_hasAttrs(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_getVarDeclInitializer")]
    internal static partial CXCursor clang_Cursor_getVarDeclInitializer(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorBinaryOperatorKind")]
    internal static partial int clang_getCursorBinaryOperatorKind(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorUnaryOperatorKind")]
    internal static partial int clang_getCursorUnaryOperatorKind(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getEnumConstantDeclValue")]
    internal static partial long clang_getEnumConstantDeclValue(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorLocation")]
    internal static partial CXSourceLocation clang_getCursorLocation(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getExpansionLocation")]
    internal static partial void clang_getExpansionLocation(
        CXSourceLocation location, out nint file, out uint line, out uint column, out uint offset);

    [LibraryImport(Library, EntryPoint = "clang_getCursorType")]
    internal static partial CXType clang_getCursorType(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCanonicalType")]
    internal static partial CXType clang_getCanonicalType(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_Type_getSizeOf")]
    internal static partial long clang_Type_getSizeOf(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getTypeSpelling")]
    internal static partial CXString clang_getTypeSpelling(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_getNumArguments")]
    internal static partial int clang_Cursor_getNumArguments(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_getCursorPrintingPolicy")]
    internal static partial nint clang_getCursorPrintingPolicy(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_PrintingPolicy_setProperty")]
    internal static partial void clang_PrintingPolicy_setProperty(nint policy, int property, uint value);

    [LibraryImport(Library, EntryPoint = "clang_PrintingPolicy_dispose")]
    internal static partial void clang_PrintingPolicy_dispose(nint policy);

    [LibraryImport(Library, EntryPoint = "clang_getCursorPrettyPrinted")]
    internal static partial CXString clang_getCursorPrettyPrinted(CXCursor cursor, nint policy);

    // CXPrintingPolicyProperty values.
    internal const int PolicyTerseOutput = 10;
    internal const int PolicySuppressInitializers = 7;

    [LibraryImport(Library, EntryPoint = "clang_Cursor_getGCCAssemblyTemplate")]
    internal static partial CXString clang_Cursor_getGCCAssemblyTemplate(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_getGCCAssemblyNumOutputs")]
    internal static partial uint clang_Cursor_getGCCAssemblyNumOutputs(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_isGCCAssemblyVolatile")]
    internal static partial uint clang_Cursor_isGCCAssemblyVolatile(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_isGCCAssemblyHasGoto")]
    internal static partial uint clang_Cursor_isGCCAssemblyHasGoto(CXCursor cursor);
}
