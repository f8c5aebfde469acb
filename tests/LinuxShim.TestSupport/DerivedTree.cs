// SPDX-License-Identifier: MIT
// Test helper. A directory kernel tree made at test time: the Debian tree's Makefile, include/ and
// arch/ (linked, not copied) plus driver directories the test writes. Deleted on Dispose.
namespace LinuxShim.TestSupport;

public sealed class DerivedTree : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("linuxshim-tree-").FullName;

    public DerivedTree(string sourceRoot)
    {
        File.Copy(Path.Combine(sourceRoot, "Makefile"), Path.Combine(Root, "Makefile"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "include"), Path.Combine(sourceRoot, "include"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "arch"), Path.Combine(sourceRoot, "arch"));
    }

    /// <summary>Writes a file at a tree-relative path.</summary>
    public string Write(string path, string text)
    {
        string full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
