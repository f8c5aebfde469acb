// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: CXString functions, and the one place CXStrings become .NET strings.
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static partial class Native
{
    [LibraryImport(Library, EntryPoint = "clang_getCString")]
    internal static partial nint clang_getCString(CXString s);

    [LibraryImport(Library, EntryPoint = "clang_disposeString")]
    internal static partial void clang_disposeString(CXString s);

    /// <summary>Copies a CXString into a .NET string and disposes it.</summary>
    internal static string Take(CXString s)
    {
        try
        {
            nint p = clang_getCString(s);
            return p == 0 ? "" : Marshal.PtrToStringUTF8(p) ?? "";
        }
        finally
        {
            clang_disposeString(s);
        }
    }
}
