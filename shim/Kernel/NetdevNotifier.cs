// SPDX-License-Identifier: MIT
// Managed side. The netdevice notifier chain (net/core/dev.c): blocks registered with
// register_netdevice_notifier() hear of every device event (NETDEV_REGISTER, _UP, _GOING_DOWN, _DOWN,
// _UNREGISTER, ...), in priority order; a new block first hears REGISTER and UP of the devices that
// exist (call_netdevice_register_net_notifiers()), a block going hears them go (DOWN, UNREGISTER).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class NetdevNotifier
{
    private static readonly List<nint> Chain = [];

    /// <summary>notifier_call_chain(): each block in turn, until one returns a value with NOTIFY_STOP_MASK.</summary>
    public static int Call(ulong val, nint dev) => Cpu.Run(() => CallChain(Chain.ToList(), val, dev));

    private static int CallChain(IEnumerable<nint> blocks, ulong val, nint dev)
    {
        nint info = Memory.Allocate(NotifierLayout.InfoSize.Size, GfpFlags.Zero);
        if (info == 0)
            return 0x8002; // NOTIFY_BAD
        try
        {
            info.Ptr(NotifierLayout.InfoDev, dev);
            int ret = 0; // NOTIFY_DONE
            foreach (nint nb in blocks)
            {
                var call = (delegate* unmanaged<nint, ulong, nint, int>)nb.Ptr(NotifierLayout.Call);
                ret = call(nb, val, info);
                if ((ret & NotifierLayout.StopMask) != 0)
                    break;
            }
            return ret;
        }
        finally
        {
            Memory.Free(info);
        }
    }

    /// <summary>notifier_to_errno(): 0, or the -errno a block vetoed with.</summary>
    private static int ToErrno(int ret)
    {
        ret &= ~NotifierLayout.StopMask;
        return ret > 1 ? 1 - ret : 0; // NOTIFY_OK is 1
    }

    [KernelSymbol("register_netdevice_notifier"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RegisterNetdeviceNotifier(nint nb)
    {
        if (!NotifierChain.Insert(Chain, nb, NotifierChain.Priority))
            return -17; // -EEXIST
        foreach (var d in NetCore.Registered.ToList())
        {
            int err = ToErrno(CallChain([nb], (ulong)NotifierLayout.Register.Value, d.Pointer));
            if (err != 0)
            {
                Chain.Remove(nb);
                return err;
            }
            if (d.IsUp)
                CallChain([nb], (ulong)NotifierLayout.Up.Value, d.Pointer);
        }
        return 0;
    }

    [KernelSymbol("unregister_netdevice_notifier"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int UnregisterNetdeviceNotifier(nint nb)
    {
        if (!Chain.Remove(nb))
            return -2; // -ENOENT
        foreach (var d in NetCore.Registered.ToList())
        {
            if (d.IsUp)
            {
                CallChain([nb], (ulong)NotifierLayout.GoingDown.Value, d.Pointer);
                CallChain([nb], (ulong)NotifierLayout.Down.Value, d.Pointer);
            }
            CallChain([nb], (ulong)NotifierLayout.Unregister.Value, d.Pointer);
        }
        return 0;
    }

    [KernelSymbol("call_netdevice_notifiers"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int CallNetdeviceNotifiers(ulong val, nint dev) => CallChain(Chain.ToList(), val, dev);

    /// <summary>netdev_notify_peers(): after a move (a migrated VM), the stack announces the device again.</summary>
    [KernelSymbol("netdev_notify_peers"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetdevNotifyPeers(nint dev)
    {
        CallChain(Chain.ToList(), (ulong)NotifierLayout.NotifyPeers.Value, dev);
        CallChain(Chain.ToList(), (ulong)NotifierLayout.ResendIgmp.Value, dev);
    }
}
