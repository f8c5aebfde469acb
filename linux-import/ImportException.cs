// SPDX-License-Identifier: MIT
// Managed side. The one exception type the importer throws for bad input: its Message is a
// single line, fit to print as-is after "linuxshim: ", naming the problem and the path.
namespace LinuxShim.Import;

public sealed class ImportException : Exception
{
    public ImportException(string message) : base(message) { }
    public ImportException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Bad input that installing Debian packages would cure: <paramref name="packages"/> names them.</summary>
    public ImportException(string message, IReadOnlyList<string> packages) : base(message) => Packages = packages;

    /// <summary>The Debian packages that provide what is missing (empty when installing would not help).</summary>
    public IReadOnlyList<string> Packages { get; } = [];
}
