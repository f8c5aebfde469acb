// SPDX-License-Identifier: MIT
// Managed side. Managed device resources (drivers/base/devres.c): devm_/dmam_/pcim_ allocations
// register their release on the device; when its driver is detached, or its probe fails, they are
// released in reverse order (devres_release_all()), as the driver core does.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Devres
{
    private static readonly Dictionary<nint, List<Action>> Releases = [];

    /// <summary>Registers <paramref name="release"/> to run when <paramref name="dev"/> loses its driver.</summary>
    public static void Add(nint dev, Action release)
    {
        lock (Releases)
        {
            if (!Releases.TryGetValue(dev, out var list))
                Releases[dev] = list = [];
            list.Add(release);
        }
    }

    /// <summary>How many releases <paramref name="dev"/> has pending.</summary>
    public static int Count(nint dev)
    {
        lock (Releases)
            return Releases.TryGetValue(dev, out var list) ? list.Count : 0;
    }

    /// <summary>Runs the releases of <paramref name="dev"/>, the last registered first.</summary>
    public static void ReleaseAll(nint dev)
    {
        List<Action>? list;
        lock (Releases)
            Releases.Remove(dev, out list);
        if (list is null)
            return;
        for (int i = list.Count - 1; i >= 0; i--)
            list[i]();
    }

    [KernelSymbol("devm_kmalloc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmKmalloc(nint dev, nuint size, uint gfp)
    {
        nint p = Memory.Allocate((long)size, gfp);
        if (p != 0)
            Add(dev, () => Memory.Free(p));
        return p;
    }

    [KernelSymbol("dmam_alloc_attrs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DmamAllocAttrs(nint dev, nuint size, ulong* handle, uint gfp, ulong attrs)
    {
        nint p = Dma.AllocCoherent(size, gfp, handle);
        if (p != 0)
            Add(dev, () => Memory.Free(p));
        return p;
    }

    [KernelSymbol("devm_alloc_etherdev_mqs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmAllocEtherdevMqs(nint dev, int sizeofPriv, uint txqs, uint rxqs)
    {
        nint netdev = NetCore.AllocEtherdev(sizeofPriv, txqs, rxqs);
        if (netdev != 0)
            Add(dev, () => NetCore.Free(netdev));
        return netdev;
    }
}
