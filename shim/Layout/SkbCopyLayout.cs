// SPDX-License-Identifier: MIT
// Managed side. What a private copy of an sk_buff (skb_realloc_headroom()) must not take over from the
// original (struct sk_buff's list links, socket and destructor, its clone and head state), and the
// offsets it moves with a new head (the inner headers) and the GSO state it keeps (struct skb_shared_info).
namespace LinuxShim.Shim.Layout;

public static class SkbCopyLayout
{
    private const string H = "linux/skbuff.h";
    public static readonly StructField Prev = KernelLayout.Field(H, "sk_buff", "prev");
    public static readonly StructField Sk = KernelLayout.Field(H, "sk_buff", "sk");
    public static readonly StructField Destructor = KernelLayout.Field(H, "sk_buff", "destructor");
    public static readonly StructField Cloned = KernelLayout.Field(H, "sk_buff", "cloned");
    public static readonly StructField Nohdr = KernelLayout.Field(H, "sk_buff", "nohdr");
    public static readonly StructField Fclone = KernelLayout.Field(H, "sk_buff", "fclone");
    public static readonly StructField InnerTransportHeader = KernelLayout.Field(H, "sk_buff", "inner_transport_header");
    public static readonly StructField InnerNetworkHeader = KernelLayout.Field(H, "sk_buff", "inner_network_header");
    public static readonly StructField InnerMacHeader = KernelLayout.Field(H, "sk_buff", "inner_mac_header");
    public static readonly StructField GsoSegs = KernelLayout.Field(H, "skb_shared_info", "gso_segs");
    public static readonly StructField GsoType = KernelLayout.Field(H, "skb_shared_info", "gso_type");
}
