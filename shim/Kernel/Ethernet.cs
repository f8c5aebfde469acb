// SPDX-License-Identifier: MIT
// Managed side. Ethernet helpers (net/ethernet/eth.c, net/core/dev_addr_lists.c): frame type and
// packet class on receive, hardware address checks and updates.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Ethernet
{
    private const int HeaderLength = 14;
    private const ushort EthP8023Min = 0x0600, EthP8023 = 0x0001, EthP8022 = 0x0004;

    [KernelSymbol("eth_type_trans"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ushort EthTypeTrans(nint skb, nint dev)
    {
        skb.Ptr(SkbLayout.Dev, dev);
        nint data = skb.Ptr(SkbLayout.Data);
        skb.U16(SkbLayout.MacHeader, (ushort)(data - skb.Ptr(SkbLayout.Head)));
        skb.U16(SkbLayout.MacLen, HeaderLength);
        // skb_pull_inline(): a frame shorter than its header is not pulled (the stack then drops it).
        if (skb.U32(SkbLayout.Len) >= HeaderLength)
        {
            skb.Ptr(SkbLayout.Data, data + HeaderLength);
            skb.U32(SkbLayout.Len, skb.U32(SkbLayout.Len) - HeaderLength);
            skb.U16(SkbLayout.NetworkHeader, (ushort)(data + HeaderLength - skb.Ptr(SkbLayout.Head)));
        }

        var dest = new ReadOnlySpan<byte>((void*)data, 6);
        int type = SkbLayout.PacketHost;
        if ((dest[0] & 1) != 0)
            type = dest.IndexOfAnyExcept((byte)0xff) < 0 ? SkbLayout.PacketBroadcast : SkbLayout.PacketMulticast;
        else if (!dest.SequenceEqual(new ReadOnlySpan<byte>((void*)dev.Ptr(NetDevLayout.DevAddr), 6)))
            type = SkbLayout.PacketOtherHost;
        skb.Bits(SkbLayout.PktType, (uint)type);

        ushort proto = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>((void*)(data + 12), 2));
        if (proto >= EthP8023Min)
            return *(ushort*)(data + 12); // already network order
        // 802.3 frame: raw IPX when the payload starts 0xFFFF, else 802.2 LLC.
        ushort raw = *(ushort*)(data + HeaderLength) == 0xffff ? EthP8023 : EthP8022;
        return BinaryPrimitives.ReverseEndianness(raw);
    }

    /// <summary>
    /// eth_header_parse_protocol() (net/ethernet/eth.c): the type field of the skb's Ethernet header, as it is
    /// (network order). dev_queue_xmit() resets the MAC header to the data before a driver sees a frame; one the
    /// host handed over without a MAC header set (~0) has it at the data.
    /// </summary>
    [KernelSymbol("eth_header_parse_protocol"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ushort EthHeaderParseProtocol(nint skb)
    {
        ushort mac = skb.U16(SkbLayout.MacHeader);
        nint header = mac == 0xffff ? skb.Ptr(SkbLayout.Data) : skb.Ptr(SkbLayout.Head) + mac;
        return *(ushort*)(header + 12);
    }

    public static bool IsValidEtherAddress(ReadOnlySpan<byte> a) => (a[0] & 1) == 0 && a.IndexOfAnyExcept((byte)0) >= 0;

    [KernelSymbol("eth_validate_addr"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int EthValidateAddr(nint dev) =>
        IsValidEtherAddress(new ReadOnlySpan<byte>((void*)dev.Ptr(NetDevLayout.DevAddr), 6)) ? 0 : -99; // -EADDRNOTAVAIL

    [KernelSymbol("dev_addr_mod"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DevAddrMod(nint dev, uint offset, nint addr, nuint len) =>
        Buffer.MemoryCopy((void*)addr, (void*)(dev.Ptr(NetDevLayout.DevAddr) + (nint)offset), (long)len, (long)len);

    [KernelSymbol("eth_mac_addr"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int EthMacAddr(nint dev, nint sockaddr)
    {
        nint data = sockaddr + 2; // struct sockaddr { sa_family_t sa_family; char sa_data[14]; }
        if (!IsValidEtherAddress(new ReadOnlySpan<byte>((void*)data, 6)))
            return -99;
        Buffer.MemoryCopy((void*)data, (void*)dev.Ptr(NetDevLayout.DevAddr), 6, 6);
        return 0;
    }

    // net/ethernet/eth.c: a running device takes a new address only if it says it can (IFF_LIVE_ADDR_CHANGE).
    [KernelSymbol("eth_prepare_mac_addr_change"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int EthPrepareMacAddrChange(nint dev, nint sockaddr)
    {
        if ((dev.Bits(NetDevLayout.PrivFlags) & NetDevLayout.IffLiveAddrChange) == 0 && dev.TestBit(NetDevLayout.State, NetDevLayout.StateStart))
            return -16; // -EBUSY
        return IsValidEtherAddress(new ReadOnlySpan<byte>((void*)(sockaddr + 2), 6)) ? 0 : -99;
    }

    [KernelSymbol("eth_commit_mac_addr_change"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void EthCommitMacAddrChange(nint dev, nint sockaddr) =>
        Buffer.MemoryCopy((void*)(sockaddr + 2), (void*)dev.Ptr(NetDevLayout.DevAddr), 6, 6);
}
