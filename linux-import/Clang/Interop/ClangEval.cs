// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: constant evaluation of expressions (clang_Cursor_Evaluate).
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_Cursor_Evaluate")]
    internal static partial nint clang_Cursor_Evaluate(CXCursor cursor);

    [LibraryImport(Library, EntryPoint = "clang_EvalResult_getKind")]
    internal static partial int clang_EvalResult_getKind(nint result);

    [LibraryImport(Library, EntryPoint = "clang_EvalResult_isUnsignedInt")]
    internal static partial uint clang_EvalResult_isUnsignedInt(nint result);

    [LibraryImport(Library, EntryPoint = "clang_EvalResult_getAsLongLong")]
    internal static partial long clang_EvalResult_getAsLongLong(nint result);

    [LibraryImport(Library, EntryPoint = "clang_EvalResult_getAsUnsigned")]
    internal static partial ulong clang_EvalResult_getAsUnsigned(nint result);

    [LibraryImport(Library, EntryPoint = "clang_EvalResult_getAsStr")]
    internal static partial nint clang_EvalResult_getAsStr(nint result);

    [LibraryImport(Library, EntryPoint = "clang_EvalResult_dispose")]
    internal static partial void clang_EvalResult_dispose(nint result);

    internal const int EvalInt = 1;
    internal const int EvalStrLiteral = 4;
}
