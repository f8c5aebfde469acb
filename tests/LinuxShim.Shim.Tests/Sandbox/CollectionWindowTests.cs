// SPDX-License-Identifier: MIT
// Tests of the window the lock-down hands its seccomp listener over in: no garbage collection may run
// there (a collection reads /proc files the filter gives to the listener, and nobody answers yet).
using System.Runtime;

namespace LinuxShim.Shim.Tests.Sandbox;

public sealed class CollectionWindowTests
{
    [Fact]
    public void NoCollectionRunsInsideTheWindowAndCollectionsResumeAfterIt()
    {
        // Outside the window the same allocations collect (or the test could not tell the window from no window).
        Assert.True(CollectionsWhileAllocating() > 0, "48 MiB in small objects ran no collection");
        var (held, mode, collections) = LinuxShim.Shim.Sandbox.Sandbox.WithoutCollections(128L << 20, held =>
            (held, GCSettings.LatencyMode, CollectionsWhileAllocating()));
        Assert.True(held, "the runtime did not promise 128 MiB without a collection");
        Assert.Equal(GCLatencyMode.NoGCRegion, mode);
        Assert.Equal(0, collections);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
        int after = GC.CollectionCount(0);
        GC.Collect(0);
        Assert.True(GC.CollectionCount(0) > after, "collections did not resume after the window");
    }

    private static int CollectionsWhileAllocating()
    {
        int before = GC.CollectionCount(0);
        for (int i = 0; i < 48 << 10; i++)
            GC.KeepAlive(new byte[1000]);
        return GC.CollectionCount(0) - before;
    }

    [Fact]
    public void AWindowAllocatedPastItsBudgetEndsQuietly()
    {
        bool held = LinuxShim.Shim.Sandbox.Sandbox.WithoutCollections(1L << 20, held =>
        {
            var kept = new List<byte[]>();
            for (int i = 0; i < 64; i++)
                kept.Add(new byte[128 << 10]); // 8 MiB against a 1 MiB budget: the runtime ends the region itself
            GC.KeepAlive(kept);
            return held;
        });
        Assert.True(held);
        Assert.NotEqual(GCLatencyMode.NoGCRegion, GCSettings.LatencyMode);
    }
}
