// SPDX-License-Identifier: MIT
// Managed side. IPv4 address notifiers (net/ipv4/devinet.c): register_inetaddr_notifier() puts a block on the
// inetaddr chain, which Linux calls with NETDEV_UP/NETDEV_DOWN when an interface gains or loses an IPv4 address.
// A driver host has no IPv4 stack: its interfaces carry frames for a stack on the other side of the netif (the
// host OS's, through a TAP, or a netif client's), and no address is ever assigned in here, so the chain exists,
// keeps its blocks in order, and has no event to deliver. via-velocity listens on it to program wake-on-ARP for
// the address; here it never hears of one, as on a Linux where no address was configured.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Devinet
{
    private static readonly List<nint> Chain = [];

    /// <summary>The blocks on the inetaddr chain, in the order a call would visit them.</summary>
    public static IReadOnlyList<nint> Blocks
    {
        get
        {
            lock (Chain)
                return [.. Chain];
        }
    }

    [KernelSymbol("register_inetaddr_notifier"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RegisterInetaddrNotifier(nint nb)
    {
        lock (Chain)
            return NotifierChain.Insert(Chain, nb, NotifierChain.Priority) ? 0 : -17; // -EEXIST
    }

    [KernelSymbol("unregister_inetaddr_notifier"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int UnregisterInetaddrNotifier(nint nb)
    {
        lock (Chain)
            return Chain.Remove(nb) ? 0 : -2; // -ENOENT
    }
}
