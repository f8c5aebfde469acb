// SPDX-License-Identifier: MIT
// Tests of the shim's list debugging (lib/list_debug.c): a consistent list passes, each kind of
// corruption Linux reports is reported, over list_heads in native memory as a driver lays them out.
using System.Runtime.InteropServices;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed unsafe class ListDebugTests : IDisposable
{
    // Four list_heads: a list head, two linked entries, one entry to add.
    private readonly nint* _nodes = (nint*)NativeMemory.AllocZeroed(8, 16);
    private nint Node(int i) => (nint)(_nodes + 2 * i);
    private void Link(int a, int b) { *(nint*)Node(a) = Node(b); *(nint*)(Node(b) + 8) = Node(a); }

    public ListDebugTests()
    {
        Link(0, 1); Link(1, 2); Link(2, 0); // head <-> 1 <-> 2 <-> head
    }

    public void Dispose() => NativeMemory.Free(_nodes);

    [Fact]
    public void AConsistentListPasses()
    {
        Assert.Null(ListDebug.AddCorruption(Node(3), Node(1), Node(2)));
        Assert.Null(ListDebug.DelCorruption(Node(1)));
        Assert.Null(ListDebug.DelCorruption(Node(2)));
    }

    [Fact]
    public void AddingBetweenEntriesThatAreNotNeighboursIsCorruption()
    {
        Assert.Contains("next->prev should be prev", ListDebug.AddCorruption(Node(3), Node(0), Node(2)));
        Link(2, 3); // 2's next is now 3, 3's prev is 2, but 0's prev still names 2
        Assert.Contains("prev->next should be next", ListDebug.AddCorruption(Node(3), Node(2), Node(0)));
    }

    [Fact]
    public void AddingAnEntryNextToItselfIsADoubleAdd()
    {
        Assert.Contains("double add", ListDebug.AddCorruption(Node(1), Node(1), Node(2)));
        Assert.Contains("double add", ListDebug.AddCorruption(Node(2), Node(1), Node(2)));
    }

    [Fact]
    public void DeletingAPoisonedOrUnlinkedEntryIsCorruption()
    {
        *(nint*)Node(3) = (nint)ListLayout.Poison1;
        *(nint*)(Node(3) + 8) = (nint)ListLayout.Poison2;
        Assert.Contains("LIST_POISON1", ListDebug.DelCorruption(Node(3))); // list_del() twice
        *(nint*)Node(3) = Node(2);
        Assert.Contains("LIST_POISON2", ListDebug.DelCorruption(Node(3)));
        *(nint*)(Node(3) + 8) = Node(1); // claims 1 <-> 3 <-> 2, but 1 and 2 point at each other
        Assert.Contains("prev->next should be", ListDebug.DelCorruption(Node(3)));
        *(nint*)(Node(3) + 8) = 0;
        Assert.Contains("prev is NULL", ListDebug.DelCorruption(Node(3)));
    }
}
