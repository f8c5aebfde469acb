// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: CXIndex and CXTranslationUnit lifetime, parsing, inclusions.
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static unsafe partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_createIndex")]
    internal static partial nint clang_createIndex(int excludeDeclarationsFromPCH, int displayDiagnostics);

    [LibraryImport(Library, EntryPoint = "clang_disposeIndex")]
    internal static partial void clang_disposeIndex(nint index);

    [LibraryImport(Library, EntryPoint = "clang_parseTranslationUnit2")]
    internal static partial CXErrorCode clang_parseTranslationUnit2(
        nint index, byte* sourceFilename, byte** commandLineArgs, int numCommandLineArgs,
        CXUnsavedFile* unsavedFiles, uint numUnsavedFiles, uint options, out nint translationUnit);

    [LibraryImport(Library, EntryPoint = "clang_disposeTranslationUnit")]
    internal static partial void clang_disposeTranslationUnit(nint translationUnit);

    [LibraryImport(Library, EntryPoint = "clang_getTranslationUnitCursor")]
    internal static partial CXCursor clang_getTranslationUnitCursor(nint translationUnit);

    [LibraryImport(Library, EntryPoint = "clang_getInclusions")]
    internal static partial void clang_getInclusions(
        nint translationUnit,
        delegate* unmanaged[Cdecl]<nint, CXSourceLocation*, uint, nint, void> visitor,
        nint clientData);

    [LibraryImport(Library, EntryPoint = "clang_getFileName")]
    internal static partial CXString clang_getFileName(nint file);

    // CXTranslationUnit_Flags used by the importer.
    internal const uint TranslationUnitKeepGoing = 0x200;
    internal const uint TranslationUnitIgnoreNonErrorsFromIncludedFiles = 0x4000;
}
