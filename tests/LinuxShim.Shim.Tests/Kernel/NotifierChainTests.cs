// SPDX-License-Identifier: MIT
// Tests of the notifier chain order (kernel/notifier.c notifier_chain_register()) that the netdevice and inetaddr
// chains share: highest priority first, equal priorities in registration order, each block once.
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed class NotifierChainTests
{
    [Fact]
    public void BlocksAreOrderedByPriorityAndRegisteredOnce()
    {
        var priority = new Dictionary<nint, int> { [1] = 0, [2] = 10, [3] = 0, [4] = -5, [5] = 10 };
        var chain = new List<nint>();
        foreach (nint b in new nint[] { 1, 2, 3, 4, 5 })
            Assert.True(NotifierChain.Insert(chain, b, p => priority[p]));
        Assert.Equal([2, 5, 1, 3, 4], chain);
        Assert.False(NotifierChain.Insert(chain, 3, p => priority[p])); // -EEXIST
        Assert.Equal(5, chain.Count);
    }
}
