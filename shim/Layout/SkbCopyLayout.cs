// SPDX-License-Identifier: MIT
// Managed side. What a private copy of an sk_buff (skb_realloc_headroom()) must not take over from the
// original (struct sk_buff's list links, socket and destructor, its clone and head state), and the
// offsets it moves with a new head (the inner headers) and the GSO state it keeps (struct skb_shared_info).
namespace LinuxShim.Shim.Layout;

public static class SkbCopyLayout
{
    private const string H = "linux/skbuff.h";
    public static readonly StructField<nint> Prev = KernelLayout.Field<nint>(H, "sk_buff", "prev");
    public static readonly StructField<nint> Sk = KernelLayout.Field<nint>(H, "sk_buff", "sk");
    public static readonly StructField<nint> Destructor = KernelLayout.Field<nint>(H, "sk_buff", "destructor");
    public static readonly BitField Cloned = KernelLayout.BitField(H, "sk_buff", "cloned");
    public static readonly BitField Nohdr = KernelLayout.BitField(H, "sk_buff", "nohdr");
    public static readonly BitField Fclone = KernelLayout.BitField(H, "sk_buff", "fclone");
    public static readonly StructField<ushort> InnerTransportHeader = KernelLayout.Field<ushort>(H, "sk_buff", "inner_transport_header");
    public static readonly StructField<ushort> InnerNetworkHeader = KernelLayout.Field<ushort>(H, "sk_buff", "inner_network_header");
    public static readonly StructField<ushort> InnerMacHeader = KernelLayout.Field<ushort>(H, "sk_buff", "inner_mac_header");
    public static readonly StructField<ushort> GsoSegs = KernelLayout.Field<ushort>(H, "skb_shared_info", "gso_segs");
    public static readonly StructField<uint> GsoType = KernelLayout.Field<uint>(H, "skb_shared_info", "gso_type");
}
