// SPDX-License-Identifier: MIT
// Tests for KernelTree.NormalizePath: canonical forms and rejection of paths that leave the tree.
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Tests.Tree;

public class NormalizePathTests
{
    [Theory]
    [InlineData("drivers/foo/foo.c", "drivers/foo/foo.c")]
    [InlineData("./drivers//foo/./foo.c", "drivers/foo/foo.c")]
    [InlineData("drivers/bar/../foo/", "drivers/foo")]
    [InlineData("include/..", "")]
    [InlineData("", "")]
    public void Canonicalizes(string input, string expected) =>
        Assert.Equal(expected, KernelTree.NormalizePath(input));

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("drivers/../../etc/passwd")]
    [InlineData("..")]
    public void RejectsPathsOutsideTheTree(string input)
    {
        var e = Assert.Throws<ImportException>(() => KernelTree.NormalizePath(input));
        Assert.Equal($"path {input} is outside the kernel tree", e.Message);
    }
}
