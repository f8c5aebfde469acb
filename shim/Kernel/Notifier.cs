// SPDX-License-Identifier: MIT
// Managed side. Notifier chains (kernel/notifier.c): blocks ordered by priority, highest first, a block of equal
// priority after those already there; a block is on a chain at most once.
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static class NotifierChain
{
    /// <summary>notifier_chain_register(): false (-EEXIST) when <paramref name="block"/> is on the chain already.</summary>
    public static bool Insert(List<nint> chain, nint block, Func<nint, int> priority)
    {
        if (chain.Contains(block))
            return false;
        int p = priority(block);
        int at = chain.FindIndex(b => priority(b) < p);
        chain.Insert(at < 0 ? chain.Count : at, block);
        return true;
    }

    /// <summary>The priority of a struct notifier_block.</summary>
    public static int Priority(nint block) => block.I32(NotifierLayout.Priority);
}
