// SPDX-License-Identifier: MIT
// Managed side. A libclang CXIndex: the context translation units are parsed in (one per thread).
using LinuxShim.Import.Clang.Interop;

namespace LinuxShim.Import.Clang;

public sealed class ClangIndex : IDisposable
{
    private nint _handle;

    public ClangIndex()
    {
        try
        {
            _handle = Native.clang_createIndex(0, 0);
        }
        catch (DllNotFoundException e)
        {
            throw new ClangException("libclang could not be loaded (NuGet package libclang.runtime.linux-x64): " + e.Message);
        }
    }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ClangIndex));

    public void Dispose()
    {
        if (_handle != 0)
        {
            Native.clang_disposeIndex(_handle);
            _handle = 0;
        }
    }
}

public sealed class ClangException(string message) : Exception(message);
