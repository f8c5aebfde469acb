// SPDX-License-Identifier: MIT
// Managed side. The network namespace a net_device belongs to (possible_net_t nd_net, a pointer under
// CONFIG_NET_NS): alloc_netdev_mqs() puts every device in init_net.
namespace LinuxShim.Shim.Layout;

public static class NetNamespaceLayout
{
    public static readonly StructField<nint> NdNet = KernelLayout.Field<nint>("linux/netdevice.h", "net_device", "nd_net.net");
}
