// SPDX-License-Identifier: MIT
// Test helper. The tests of this project that share one opened Debian 6.1 kernel (KernelFixture).
namespace LinuxShim.Supervisor.Tests;

[CollectionDefinition(Name)]
public sealed class KernelCollection : ICollectionFixture<KernelFixture>
{
    public const string Name = "Debian 6.1 kernel";
}
