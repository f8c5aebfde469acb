// SPDX-License-Identifier: MIT
// Tests of the shim's sysfs bookkeeping (fs/sysfs/symlink.c's sysfs_create_link()/sysfs_remove_link()): a name
// is taken once per directory, and removal frees it. shimtest.c checks the same through the kernel symbols.
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed class SysfsTests
{
    [Fact]
    public void ALinkNameIsTakenOncePerDirectoryUntilRemoved()
    {
        nint parent = 0x7100_0000, other = 0x7100_1000;
        Assert.True(Sysfs.CreateLink(parent, "port0"));
        Assert.False(Sysfs.CreateLink(parent, "port0"));   // -EEXIST
        Assert.True(Sysfs.CreateLink(parent, "port1"));
        Assert.True(Sysfs.CreateLink(other, "port0"));     // another directory
        Assert.True(Sysfs.HasLink(parent, "port0"));
        Assert.True(Sysfs.RemoveLink(parent, "port0"));
        Assert.False(Sysfs.HasLink(parent, "port0"));
        Assert.False(Sysfs.RemoveLink(parent, "port0"));   // gone already: ignored
        Assert.True(Sysfs.HasLink(other, "port0"));
        Assert.True(Sysfs.CreateLink(parent, "port0"));
        foreach (var (dir, name) in new[] { (parent, "port0"), (parent, "port1"), (other, "port0") })
            Assert.True(Sysfs.RemoveLink(dir, name));
    }

    [Fact]
    public void LinksAndAttributesAreKeptApart()
    {
        nint kobj = 0x7200_0000, attr = 0x7200_0100;
        Assert.True(Sysfs.Create(kobj, attr));
        Assert.True(Sysfs.CreateLink(kobj, "driver"));
        Assert.Equal(1, Sysfs.Count(kobj));
        Assert.True(Sysfs.Remove(kobj, attr));
        Assert.True(Sysfs.HasLink(kobj, "driver"));
        Assert.True(Sysfs.RemoveLink(kobj, "driver"));
    }
}
