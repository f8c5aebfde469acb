// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: CXType queries for function prototypes (result, arguments,
// variadics) and enums' integer types, for checking the shim's C# signatures against the headers.
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_getResultType")]
    internal static partial CXType clang_getResultType(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getNumArgTypes")]
    internal static partial int clang_getNumArgTypes(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getArgType")]
    internal static partial CXType clang_getArgType(CXType type, uint index);

    [LibraryImport(Library, EntryPoint = "clang_isFunctionTypeVariadic")]
    internal static partial uint clang_isFunctionTypeVariadic(CXType type);

    [LibraryImport(Library, EntryPoint = "clang_getEnumDeclIntegerType")]
    internal static partial CXType clang_getEnumDeclIntegerType(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_Type_getValueType")]
    internal static partial CXType clang_Type_getValueType(CXType type);

    internal const uint TranslationUnitSkipFunctionBodies = 0x40;
}
