// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: CXType queries for record layouts (field offsets, bit-fields).
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static unsafe partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_Type_getOffsetOf", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long clang_Type_getOffsetOf(CXType type, string field);

    [LibraryImport(Library, EntryPoint = "clang_getTypeDeclaration")]
    internal static partial CXCursor clang_getTypeDeclaration(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getFieldDeclBitWidth")]
    internal static partial int clang_getFieldDeclBitWidth(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_isBitField")]
    internal static partial uint clang_Cursor_isBitField(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Cursor_isAnonymousRecordDecl")]
    internal static partial uint clang_Cursor_isAnonymousRecordDecl(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_isConstQualifiedType")]
    internal static partial uint clang_isConstQualifiedType(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_isVolatileQualifiedType")]
    internal static partial uint clang_isVolatileQualifiedType(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getElementType")]
    internal static partial CXType clang_getElementType(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getPointeeType")]
    internal static partial CXType clang_getPointeeType(CXType type);
}
