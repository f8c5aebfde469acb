// SPDX-License-Identifier: MIT
// Test helper. The Debian kernel inputs the integration tests run against unless they name a version:
// Linux 6.1's source (the linux-source-6.1 tarball) and its configured headers, taken by version from the
// installed kernels (whatever else is installed beside it) and shared. Missing inputs fail the tests
// (they are installed by .ci/run), they never skip them.
namespace LinuxShim.TestSupport;

public sealed class KernelFixture
{
    public Importer Importer { get; } = TestKernels.Open(TestKernels.Default);

    /// <summary>The source tree's location (the tarball), as --linux takes it.</summary>
    public string Linux => Importer.Tree.Location;

    /// <summary>The configured build directory, as --build takes it.</summary>
    public string Build => Importer.Build.Path;

    /// <summary>The on-disk tree (the extracted tarball) to build derived test trees from.</summary>
    public string SourceRoot => Importer.Tree.SourceRoot;
}
