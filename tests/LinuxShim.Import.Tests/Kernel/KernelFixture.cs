// SPDX-License-Identifier: MIT
// Test helper. The Debian kernel inputs the integration tests run against: the linux-source-6.1
// tarball and the linux-headers-*-amd64 build directory, opened once and shared. Missing inputs
// fail the tests (they are installed by .ci/run), they never skip them.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kernel;

public sealed class KernelFixture : IDisposable
{
    public Importer Importer { get; }
    public string Linux { get; }
    public string Build { get; }

    public KernelFixture()
    {
        Linux = Importer.FindDefaultLinux(out _)
            ?? throw new InvalidOperationException("no kernel source tree: install linux-source-6.1 (.ci/run does)");
        Build = BuildDirectory.FindDefault(out _)
            ?? throw new InvalidOperationException("no kernel build directory: install linux-headers-amd64 (.ci/run does)");
        Importer = Importer.Open(Linux, Build);
    }

    /// <summary>The on-disk tree (the extracted tarball) to build derived test trees from.</summary>
    public string SourceRoot => Importer.Tree.SourceRoot;

    public void Dispose() => Importer.Dispose();
}

[CollectionDefinition(Name)]
public sealed class KernelCollection : ICollectionFixture<KernelFixture>
{
    public const string Name = "Debian 6.1 kernel";
}
