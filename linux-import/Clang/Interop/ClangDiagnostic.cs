// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: diagnostics of a translation unit.
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_getNumDiagnostics")]
    internal static partial uint clang_getNumDiagnostics(nint translationUnit);

    [LibraryImport(Library, EntryPoint = "clang_getDiagnostic")]
    internal static partial nint clang_getDiagnostic(nint translationUnit, uint index);

    [LibraryImport(Library, EntryPoint = "clang_disposeDiagnostic")]
    internal static partial void clang_disposeDiagnostic(nint diagnostic);

    [LibraryImport(Library, EntryPoint = "clang_getDiagnosticSeverity")]
    internal static partial int clang_getDiagnosticSeverity(nint diagnostic);

    [LibraryImport(Library, EntryPoint = "clang_formatDiagnostic")]
    internal static partial CXString clang_formatDiagnostic(nint diagnostic, uint options);

    // CXDiagnostic_DisplaySourceLocation | CXDiagnostic_DisplayColumn
    internal const uint DiagnosticDisplayLocation = 0x1 | 0x2;
    internal const int SeverityError = 3;
    internal const int SeverityFatal = 4;
}
