// SPDX-License-Identifier: MIT
// Managed side. One parsed C file (libclang CXTranslationUnit): parse, diagnostics, root cursor, included files.
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Import.Clang.Interop;

namespace LinuxShim.Import.Clang;

public sealed record Diagnostic(bool IsError, string Text);

public sealed unsafe class TranslationUnit : IDisposable
{
    private nint _handle;

    private TranslationUnit(nint handle) => _handle = handle;

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(TranslationUnit));

    /// <summary>
    /// Parses <paramref name="file"/> with compiler <paramref name="arguments"/> (no program name).
    /// Throws <see cref="ClangException"/> only when libclang cannot produce an AST at all;
    /// compile errors are reported through <see cref="Diagnostics"/>. With <paramref name="declarationsOnly"/>,
    /// function bodies are skipped (declarations and types only, several times faster).
    /// </summary>
    public static TranslationUnit Parse(ClangIndex index, string file, IReadOnlyList<string> arguments, bool declarationsOnly = false)
    {
        var pinned = new List<nint>();
        try
        {
            nint fileName = Utf8(file, pinned);
            var argv = new nint[arguments.Count];
            for (int i = 0; i < argv.Length; i++)
                argv[i] = Utf8(arguments[i], pinned);
            fixed (nint* args = argv)
            {
                var code = Native.clang_parseTranslationUnit2(
                    index.Handle, (byte*)fileName, (byte**)args, argv.Length, null, 0,
                    Native.TranslationUnitKeepGoing | Native.TranslationUnitIgnoreNonErrorsFromIncludedFiles
                    | (declarationsOnly ? Native.TranslationUnitSkipFunctionBodies : 0),
                    out nint tu);
                if (code != CXErrorCode.Success || tu == 0)
                    throw new ClangException($"libclang could not parse {file} ({code})");
                return new TranslationUnit(tu);
            }
        }
        finally
        {
            foreach (var p in pinned)
                Marshal.FreeHGlobal(p);
        }
    }

    private static nint Utf8(string s, List<nint> owned)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        nint p = Marshal.AllocHGlobal(bytes.Length + 1);
        Marshal.Copy(bytes, 0, p, bytes.Length);
        ((byte*)p)[bytes.Length] = 0;
        owned.Add(p);
        return p;
    }

    public Cursor Cursor => new(Native.clang_getTranslationUnitCursor(Handle), this);

    // A struct's last field offset, asked for every trailing-array question about its fields (amdgpu's
    // adev->member: a struct of hundreds of fields, thousands of accesses per source).
    private readonly Dictionary<Cursor, long> _lastFieldOffsets = [];

    internal long LastFieldOffset(Cursor record)
    {
        if (!_lastFieldOffsets.TryGetValue(record, out long last))
            _lastFieldOffsets[record] = last = record.LastFieldOffsetBits();
        return last;
    }

    public IReadOnlyList<Diagnostic> Diagnostics
    {
        get
        {
            var list = new List<Diagnostic>();
            uint n = Native.clang_getNumDiagnostics(Handle);
            for (uint i = 0; i < n; i++)
            {
                nint d = Native.clang_getDiagnostic(Handle, i);
                try
                {
                    int severity = Native.clang_getDiagnosticSeverity(d);
                    string text = Native.Take(Native.clang_formatDiagnostic(d, Native.DiagnosticDisplayLocation));
                    list.Add(new Diagnostic(severity >= Native.SeverityError, text));
                }
                finally
                {
                    Native.clang_disposeDiagnostic(d);
                }
            }
            return list;
        }
    }

    /// <summary>Every file the parse read (the main file and all headers), as clang names them.</summary>
    public IReadOnlyList<string> IncludedFiles()
    {
        var files = new List<string>();
        var handle = GCHandle.Alloc(files);
        try
        {
            Native.clang_getInclusions(Handle, &CollectInclusion, GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
        return files;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void CollectInclusion(nint file, CXSourceLocation* stack, uint depth, nint data)
    {
        ((List<string>)GCHandle.FromIntPtr(data).Target!).Add(Native.Take(Native.clang_getFileName(file)));
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            Native.clang_disposeTranslationUnit(_handle);
            _handle = 0;
        }
    }
}
