// SPDX-License-Identifier: MIT
// Managed side, raw libclang binding: the native library name and the C structs passed by value.
// Layouts follow clang-c/Index.h and clang-c/CXString.h of LLVM 22 (libclang.runtime.linux-x64 22.1.8).
using System.Runtime.InteropServices;

namespace LinuxShim.Import.Clang.Interop;

internal static partial class Native
{
    /// <summary>Resolved through the NuGet package's runtimes/linux-x64/native/libclang.so.</summary>
    internal const string Library = "libclang";
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXString
{
    public nint Data;
    public uint PrivateFlags;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXCursor
{
    public int Kind;
    public int XData;
    public nint Data0, Data1, Data2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXSourceLocation
{
    public nint Ptr0, Ptr1;
    public uint IntData;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXType
{
    public int Kind;
    public nint Data0, Data1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct CXUnsavedFile
{
    public nint Filename;
    public nint Contents;
    public nuint Length;
}

internal enum CXErrorCode
{
    Success = 0,
    Failure = 1,
    Crashed = 2,
    InvalidArguments = 3,
    ASTReadError = 4,
}

internal enum CXChildVisitResult
{
    Break = 0,
    Continue = 1,
    Recurse = 2,
}
