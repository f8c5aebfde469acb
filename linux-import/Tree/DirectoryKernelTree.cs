// SPDX-License-Identifier: MIT
// Managed side. A kernel tree given as a plain source directory: it is its own SourceRoot.
namespace LinuxShim.Import.Tree;

internal sealed class DirectoryKernelTree : FileSystemKernelTree
{
    private DirectoryKernelTree(string location) : base(location)
    {
        Location = location;
    }

    public override string Kind => "directory";

    public override string Location { get; }

    public override string? Revision => null;

    public override string? Commit => null;

    public static DirectoryKernelTree Create(string location)
    {
        var tree = new DirectoryKernelTree(location);
        tree.EnsureKernelTree();
        return tree;
    }

    private protected override void MaterializeCore(string normalizedPath)
    {
        // The files are already on disk.
    }
}
