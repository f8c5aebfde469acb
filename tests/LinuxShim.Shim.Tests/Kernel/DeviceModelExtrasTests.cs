// SPDX-License-Identifier: MIT
// Tests of what the shim keeps per device for the driver core: keyed managed resources a driver frees
// early (devm_kfree), attribute files (device_create_file), the PCI status register's error bits,
// counting semaphores on the one CPU, and printk's rate limit.
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Pci;
using Semaphore = LinuxShim.Shim.Kernel.Semaphore;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed unsafe class DeviceModelExtrasTests
{
    private static nint NewDevice() => 0x2000 + Random.Shared.Next(1, 1 << 20) * 16;

    [Fact]
    public void AKeyedResourceIsReleasedOnceEarlyAndNotAgain()
    {
        nint dev = NewDevice();
        var released = new List<string>();
        Devres.Add(dev, 0x100, () => released.Add("a"));
        Devres.Add(dev, 0x200, () => released.Add("b"));
        Assert.True(Devres.Release(dev, 0x100));
        Assert.Equal(["a"], released);
        Assert.False(Devres.Release(dev, 0x100)); // gone already: devm_kfree() warns
        Assert.False(Devres.Release(dev, 0x300));
        Assert.Equal(1, Devres.Count(dev));
        Devres.ReleaseAll(dev);
        Assert.Equal(["a", "b"], released);
    }

    [Fact]
    public void AnAttributeFileExistsOnceUntilRemoved()
    {
        nint dev = NewDevice(), attr = 0x4242;
        Assert.True(Sysfs.Create(dev, attr));
        Assert.False(Sysfs.Create(dev, attr)); // -EEXIST
        Assert.Equal(1, Sysfs.Count(dev));
        Assert.True(Sysfs.Remove(dev, attr));
        Assert.False(Sysfs.Remove(dev, attr));
        Assert.Equal(0, Sysfs.Count(dev));
    }

    [Fact]
    public void StatusErrorsAreReturnedAndWrittenBackToClearThem()
    {
        using var function = new MemoryPciFunction(0x10ec, 0x8139, 0x020000);
        function.WriteConfig(0x06, 2, 0x8000 | 0x2000 | 0x0010 | 0x0200); // parity, master abort; capability list, DEVSEL
        Assert.Equal(0xa000, PciCore.StatusGetAndClearErrors(function));
        Assert.Equal(0xa000u, function.ReadConfig(0x06, 2)); // what was written: only the error bits (write-1-to-clear)
        function.WriteConfig(0x06, 2, 0x0010);
        Assert.Equal(0, PciCore.StatusGetAndClearErrors(function));
        Assert.Equal(0x0010u, function.ReadConfig(0x06, 2)); // nothing to clear: nothing written
    }

    [Fact]
    public void DownWaitsForUp()
    {
        uint count = 0;
        uint* p = &count;
        bool upRan = false;
        Thread? up = null;
        Cpu.Run(() =>
        {
            // Started while this context holds the CPU, up() can run only once down() gives the CPU up waiting.
            up = new Thread(() => Cpu.Run(() => { upRan = true; Semaphore.Up(p); }));
            up.Start();
            Semaphore.Down(p);
            Assert.True(upRan);
        });
        Assert.Equal(0u, count);
        Assert.True(up!.Join(TimeSpan.FromSeconds(20)));
        Assert.False(Semaphore.TryDown(p));
        Semaphore.Up(p);
        Assert.True(Semaphore.TryDown(p));
    }

    [Fact]
    public void RatelimitAllowsABurstPerInterval()
    {
        var limit = new Printk.Ratelimit(5000, 10);
        Assert.Equal(10, Enumerable.Range(0, 15).Count(_ => limit.Allow(1000)));
        Assert.False(limit.Allow(5999));
        Assert.True(limit.Allow(6000)); // a new interval
    }
}
