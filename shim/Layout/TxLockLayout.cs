// SPDX-License-Identifier: MIT
// Managed side. The transmit queue state bit netif_tx_lock() sets (include/linux/netdevice.h).
namespace LinuxShim.Shim.Layout;

public static class TxLockLayout
{
    private const string H = "linux/netdevice.h";
    public static readonly int Frozen = (int)KernelLayout.Constant(H, "__QUEUE_STATE_FROZEN", 2);
}
