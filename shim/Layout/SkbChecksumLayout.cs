// SPDX-License-Identifier: MIT
// Managed side. Where a CHECKSUM_PARTIAL packet's checksum starts and goes (struct sk_buff), and whether it
// is a GSO packet (struct skb_shared_info): what skb_checksum_help() reads.
namespace LinuxShim.Shim.Layout;

public static class SkbChecksumLayout
{
    private const string H = "linux/skbuff.h";
    public static readonly StructField<ushort> CsumStart = KernelLayout.Field<ushort>(H, "sk_buff", "csum_start");
    public static readonly StructField<ushort> CsumOffset = KernelLayout.Field<ushort>(H, "sk_buff", "csum_offset");
    public static readonly StructField<ushort> GsoSize = KernelLayout.Field<ushort>(H, "skb_shared_info", "gso_size");
    public static readonly int ChecksumNone = (int)KernelLayout.Constant(H, "CHECKSUM_NONE", 0);
    public static readonly int ChecksumComplete = (int)KernelLayout.Constant(H, "CHECKSUM_COMPLETE", 2);
}
