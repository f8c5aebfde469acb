// SPDX-License-Identifier: MIT
// Managed side. Managed device resources (drivers/base/devres.c): devm_/dmam_/pcim_ allocations
// register their release on the device; when its driver is detached, or its probe fails, they are
// released in reverse order (devres_release_all()), as the driver core does.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Devres
{
    private static readonly Dictionary<nint, List<(nint Key, Action Release)>> Releases = [];

    /// <summary>Registers <paramref name="release"/> to run when <paramref name="dev"/> loses its driver.</summary>
    public static void Add(nint dev, Action release) => Add(dev, 0, release);

    /// <summary>As <see cref="Add(nint, Action)"/>, for a resource the driver may release early by <paramref name="key"/> (its address).</summary>
    public static void Add(nint dev, nint key, Action release)
    {
        lock (Releases)
        {
            if (!Releases.TryGetValue(dev, out var list))
                Releases[dev] = list = [];
            list.Add((key, release));
        }
    }

    /// <summary>Releases now the last resource of <paramref name="dev"/> registered with <paramref name="key"/> (devres_release()); false if there is none.</summary>
    public static bool Release(nint dev, nint key)
    {
        Action? release = null;
        lock (Releases)
        {
            if (key != 0 && Releases.TryGetValue(dev, out var list) && list.FindLastIndex(r => r.Key == key) is var i and >= 0)
            {
                release = list[i].Release;
                list.RemoveAt(i);
            }
        }
        release?.Invoke();
        return release is not null;
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
        List<(nint Key, Action Release)>? list;
        lock (Releases)
            Releases.Remove(dev, out list);
        if (list is null)
            return;
        for (int i = list.Count - 1; i >= 0; i--)
            list[i].Release();
    }

    [KernelSymbol("devm_kmalloc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmKmalloc(nint dev, nuint size, uint gfp)
    {
        nint p = Memory.Allocate((long)size, gfp);
        if (p != 0)
            Add(dev, p, () => Memory.Free(p));
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
            Add(dev, netdev, () => NetCore.Free(netdev));
        return netdev;
    }

    // devm_kfree(): frees a devm_kmalloc() block before the driver goes; a block the device does not own is
    // a WARN in Linux, which then frees nothing.
    [KernelSymbol("devm_kfree"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DevmKfree(nint dev, nint p)
    {
        if (!Release(dev, p))
            Machine.Log(4, $"WARNING: devm_kfree(0x{p:x}): not a managed allocation of this device");
    }

    // Generic devres nodes (devres_alloc()/devres_add()/devres_free()): a driver's own managed resource, data the
    // driver fills, whose release function runs with the device and the data when the driver goes, then the node is
    // freed. Nodes not yet added are only known here.
    private static readonly Dictionary<nint, nint> Unadded = [];

    [KernelSymbol("__devres_alloc_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevresAllocNode(nint release, nuint size, uint gfp, int nid, nint name)
    {
        nint data = Memory.Allocate((long)Math.Max(size, 1), gfp | GfpFlags.Zero);
        if (data != 0)
            lock (Unadded)
                Unadded[data] = release;
        return data;
    }

    [KernelSymbol("devres_add"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DevresAdd(nint dev, nint res)
    {
        nint release;
        lock (Unadded)
            if (!Unadded.Remove(res, out release))
            {
                Machine.Fatal($"devres_add(0x{res:x}): not a resource devres_alloc() made, or added twice");
                return;
            }
        Add(dev, res, () =>
        {
            if (release != 0)
                ((delegate* unmanaged<nint, nint, void>)release)(dev, res);
            Memory.Free(res);
        });
    }

    [KernelSymbol("devres_free"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DevresFree(nint res)
    {
        if (res == 0)
            return;
        lock (Unadded)
            if (!Unadded.Remove(res))
            {
                Machine.Fatal($"devres_free(0x{res:x}): not a resource devres_alloc() made, or one already added");
                return;
            }
        Memory.Free(res);
    }

    // devm_add_action() (6.1) / __devm_add_action() (6.12, with a name for debugging): action(data) when the driver goes.
    [KernelSymbol("devm_add_action"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevmAddAction(nint dev, nint action, nint data) => AddAction(dev, action, data);

    [KernelSymbol("__devm_add_action"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevmAddActionNamed(nint dev, nint action, nint data, nint name) => AddAction(dev, action, data);

    private static int AddAction(nint dev, nint action, nint data)
    {
        Add(dev, () => ((delegate* unmanaged<nint, void>)action)(data));
        return 0;
    }

    // devm_ioremap(): ioremap() undone by iounmap() when the driver goes.
    [KernelSymbol("devm_ioremap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmIoremap(nint dev, ulong offset, ulong size)
    {
        nint p = ((delegate* unmanaged[Cdecl]<ulong, ulong, nint>)&Io.Ioremap)(offset, size);
        if (p != 0)
            Add(dev, p, () => ((delegate* unmanaged[Cdecl]<nint, void>)&Io.Iounmap)(p));
        return p;
    }

    // __devm_request_region() (kernel/resource.c): __request_region(), released when the driver goes.
    [KernelSymbol("__devm_request_region"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmRequestRegion(nint dev, nint parent, ulong start, ulong n, nint name)
    {
        nint res = ((delegate* unmanaged[Cdecl]<nint, ulong, ulong, nint, int, nint>)&Resource.RequestRegion)(parent, start, n, name, 0);
        if (res != 0)
            Add(dev, res, () => ((delegate* unmanaged[Cdecl]<nint, ulong, ulong, void>)&Resource.ReleaseRegion)(parent, start, n));
        return res;
    }

    // devm_register_netdev() (net/devres.c): register_netdev(), unregistered when the driver goes; the
    // net_device must itself be device-managed, so that it is freed after that (a WARN and -EINVAL otherwise).
    [KernelSymbol("devm_register_netdev"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevmRegisterNetdev(nint dev, nint ndev)
    {
        bool managed;
        lock (Releases)
            managed = Releases.TryGetValue(dev, out var list) && list.Exists(r => r.Key == ndev);
        if (!managed)
        {
            Machine.Log(4, "WARNING: devm_register_netdev() of a net_device not allocated with devm_alloc_etherdev_mqs()");
            return -22;
        }
        int err = ((delegate* unmanaged[Cdecl]<nint, int>)&NetCore.RegisterNetdev)(ndev);
        if (err == 0)
            Add(dev, () => ((delegate* unmanaged[Cdecl]<nint, void>)&NetCore.UnregisterNetdev)(ndev));
        return err;
    }
}
