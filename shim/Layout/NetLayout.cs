// SPDX-License-Identifier: MIT
// Managed side. Fields of the networking structures the shim touches (net_device, netdev_queue,
// napi_struct, sk_buff, skb_shared_info, dql) and the constants it relies on.
namespace LinuxShim.Shim.Layout;

public static class NetDevLayout
{
    private const string H = "linux/netdevice.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "net_device");
    public static readonly StructField Name = KernelLayout.Field(H, "net_device", "name");
    public static readonly StructField<ulong> State = KernelLayout.Field<ulong>(H, "net_device", "state");
    public static readonly StructField<nint> DevAddr = KernelLayout.Field<nint>(H, "net_device", "dev_addr");
    public static readonly StructField PermAddr = KernelLayout.Field(H, "net_device", "perm_addr");
    public static readonly StructField<byte> AddrLen = KernelLayout.Field<byte>(H, "net_device", "addr_len");
    public static readonly StructField<ushort> Type = KernelLayout.Field<ushort>(H, "net_device", "type");
    public static readonly StructField<uint> Mtu = KernelLayout.Field<uint>(H, "net_device", "mtu");
    public static readonly StructField<uint> MinMtu = KernelLayout.Field<uint>(H, "net_device", "min_mtu");
    public static readonly StructField<uint> MaxMtu = KernelLayout.Field<uint>(H, "net_device", "max_mtu");
    public static readonly StructField<ushort> HardHeaderLen = KernelLayout.Field<ushort>(H, "net_device", "hard_header_len");
    public static readonly StructField<uint> Flags = KernelLayout.Field<uint>(H, "net_device", "flags");
    public static readonly StructField<uint> TxQueueLen = KernelLayout.Field<uint>(H, "net_device", "tx_queue_len");
    public static readonly StructField Broadcast = KernelLayout.Field(H, "net_device", "broadcast");
    public static readonly StructField<nint> NetdevOps = KernelLayout.Field<nint>(H, "net_device", "netdev_ops");
    public static readonly StructField<nint> EthtoolOps = KernelLayout.Field<nint>(H, "net_device", "ethtool_ops");
    public static readonly StructField<nint> Tx = KernelLayout.Field<nint>(H, "net_device", "_tx");
    public static readonly StructField<uint> NumTxQueues = KernelLayout.Field<uint>(H, "net_device", "num_tx_queues");
    public static readonly StructField<uint> RealNumTxQueues = KernelLayout.Field<uint>(H, "net_device", "real_num_tx_queues");
    public static readonly StructField<uint> NumRxQueues = KernelLayout.Field<uint>(H, "net_device", "num_rx_queues");
    public static readonly StructField<uint> RealNumRxQueues = KernelLayout.Field<uint>(H, "net_device", "real_num_rx_queues");
    public static readonly StructField<byte> RegState = KernelLayout.Field<byte>(H, "net_device", "reg_state");
    public static readonly StructField<int> Ifindex = KernelLayout.Field<int>(H, "net_device", "ifindex");
    public static readonly StructField Stats = KernelLayout.Field(H, "net_device", "stats");
    public static readonly StructField Dev = KernelLayout.Field(H, "net_device", "dev");
    public static readonly StructField<nint> PhyDev = KernelLayout.Field<nint>(H, "net_device", "phydev");
    public static readonly StructField<int> WatchdogTimeo = KernelLayout.Field<int>(H, "net_device", "watchdog_timeo");
    public static readonly StructField<ulong> Features = KernelLayout.Field<ulong>(H, "net_device", "features");
    public static readonly StructField<uint> GsoMaxSize = KernelLayout.Field<uint>(H, "net_device", "gso_max_size");
    public static readonly StructField<ushort> GsoMaxSegs = KernelLayout.Field<ushort>(H, "net_device", "gso_max_segs");
    // unsigned long long in 6.1, a 32-bit bit-field in 6.12 (the bits after it are lltx and friends): the IFF_* private flags fit in 32.
    public static readonly BitField PrivFlags = KernelLayout.LowBits(H, "net_device", "priv_flags", 32);
    public static readonly uint IffLiveAddrChange = (uint)KernelLayout.Constant(H, "IFF_LIVE_ADDR_CHANGE", 1 << 15);

    // The hardware address lists (netdev_hw_addr_list): list heads the driver walks in ndo_set_rx_mode.
    public static readonly StructField UnicastList = KernelLayout.Field(H, "net_device", "uc.list");
    public static readonly StructField MulticastList = KernelLayout.Field(H, "net_device", "mc.list");
    public static readonly StructField DevAddrsList = KernelLayout.Field(H, "net_device", "dev_addrs.list");
    public static readonly StructField<int> MulticastCount = KernelLayout.Field<int>(H, "net_device", "mc.count");

    // One entry of such a list.
    public static readonly StructSize HwAddrSize = KernelLayout.SizeOf(H, "netdev_hw_addr");
    public static readonly StructField HwAddrList = KernelLayout.Field(H, "netdev_hw_addr", "list");
    public static readonly StructField HwAddrAddr = KernelLayout.Field(H, "netdev_hw_addr", "addr");
    public static readonly StructField<byte> HwAddrType = KernelLayout.Field<byte>(H, "netdev_hw_addr", "type");
    public static readonly StructField<int> HwAddrRefcount = KernelLayout.Field<int>(H, "netdev_hw_addr", "refcount");
    public static readonly byte HwAddrMulticast = (byte)KernelLayout.Constant(H, "NETDEV_HW_ADDR_T_MULTICAST", 4);

    public static readonly int Align = (int)KernelLayout.Constant(H, "NETDEV_ALIGN", 32);
    public static readonly int StateStart = (int)KernelLayout.Constant(H, "__LINK_STATE_START", 0);
    public static readonly int StatePresent = (int)KernelLayout.Constant(H, "__LINK_STATE_PRESENT", 1);
    public static readonly int StateNoCarrier = (int)KernelLayout.Constant(H, "__LINK_STATE_NOCARRIER", 2);
    public static readonly byte Registered = (byte)KernelLayout.Constant(H, "NETREG_REGISTERED", 1);
    public static readonly byte Unregistered = (byte)KernelLayout.Constant(H, "NETREG_UNREGISTERED", 3);
    public static readonly uint IffUp = (uint)KernelLayout.Constant(H, "IFF_UP", 1);
    public static readonly uint IffBroadcast = (uint)KernelLayout.Constant(H, "IFF_BROADCAST", 2);
    public static readonly uint IffPromisc = (uint)KernelLayout.Constant(H, "IFF_PROMISC", 0x100);
    public static readonly uint IffAllmulti = (uint)KernelLayout.Constant(H, "IFF_ALLMULTI", 0x200);
    public static readonly uint IffMulticast = (uint)KernelLayout.Constant(H, "IFF_MULTICAST", 0x1000);
    public static readonly int MaxAddrLen = (int)KernelLayout.Constant(H, "MAX_ADDR_LEN", 32);

    public static readonly StructField<nint> OpsOpen = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_open");
    public static readonly StructField<nint> OpsStop = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_stop");
    public static readonly StructField<nint> OpsStartXmit = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_start_xmit");
    public static readonly StructField<nint> OpsSetRxMode = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_set_rx_mode");
    public static readonly StructField<nint> OpsGetStats64 = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_get_stats64");
    public static readonly StructField<nint> OpsChangeMtu = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_change_mtu");
    public static readonly StructField<nint> OpsSetMacAddress = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_set_mac_address");
    public static readonly StructField<nint> OpsTxTimeout = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_tx_timeout");
    public static readonly StructField<nint> OpsInit = KernelLayout.Field<nint>(H, "net_device_ops", "ndo_init");
}

public static class TxQueueLayout
{
    private const string H = "linux/netdevice.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "netdev_queue");
    public static readonly StructField<nint> Dev = KernelLayout.Field<nint>(H, "netdev_queue", "dev");
    public static readonly StructField<ulong> State = KernelLayout.Field<ulong>(H, "netdev_queue", "state");
    public static readonly StructField<ulong> TransStart = KernelLayout.Field<ulong>(H, "netdev_queue", "trans_start");
    /// <summary>The queue's count of transmit timeouts (atomic_long_t; sysfs queues/tx-N/tx_timeout).</summary>
    public static readonly StructField<ulong> TransTimeout = KernelLayout.Field<ulong>(H, "netdev_queue", "trans_timeout.counter");
    public static readonly StructField Dql = KernelLayout.Field(H, "netdev_queue", "dql");
    public static readonly int DrvXoff = (int)KernelLayout.Constant(H, "__QUEUE_STATE_DRV_XOFF", 0);
    public static readonly int StackXoff = (int)KernelLayout.Constant(H, "__QUEUE_STATE_STACK_XOFF", 1);
    public static readonly int Frozen = (int)KernelLayout.Constant(H, "__QUEUE_STATE_FROZEN", 2);
}

public static class DqlLayout
{
    private const string H = "linux/dynamic_queue_limits.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "dql");
    public static readonly StructField<uint> NumQueued = KernelLayout.Field<uint>(H, "dql", "num_queued");
    public static readonly StructField<uint> AdjLimit = KernelLayout.Field<uint>(H, "dql", "adj_limit");
    public static readonly StructField<uint> LastObjCnt = KernelLayout.Field<uint>(H, "dql", "last_obj_cnt");
    public static readonly StructField<uint> Limit = KernelLayout.Field<uint>(H, "dql", "limit");
    public static readonly StructField<uint> NumCompleted = KernelLayout.Field<uint>(H, "dql", "num_completed");
    public static readonly StructField<uint> MaxLimit = KernelLayout.Field<uint>(H, "dql", "max_limit");
    public static readonly StructField<uint> MinLimit = KernelLayout.Field<uint>(H, "dql", "min_limit");
    public static readonly uint MaxLimitValue = (uint)KernelLayout.Constant(H, "DQL_MAX_LIMIT", 0x70000000);
}

public static class NapiLayout
{
    private const string H = "linux/netdevice.h";
    public static readonly StructField<ulong> State = KernelLayout.Field<ulong>(H, "napi_struct", "state");
    public static readonly StructField<int> Weight = KernelLayout.Field<int>(H, "napi_struct", "weight");
    public static readonly StructField<nint> Poll = KernelLayout.Field<nint>(H, "napi_struct", "poll");
    public static readonly StructField<nint> Dev = KernelLayout.Field<nint>(H, "napi_struct", "dev");
    public static readonly StructField<nint> Skb = KernelLayout.Field<nint>(H, "napi_struct", "skb");
    public static readonly int Sched = (int)KernelLayout.Constant(H, "NAPI_STATE_SCHED", 0);
    public static readonly int Missed = (int)KernelLayout.Constant(H, "NAPI_STATE_MISSED", 1);
    public static readonly int Disable = (int)KernelLayout.Constant(H, "NAPI_STATE_DISABLE", 2);
    public static readonly int Npsvc = (int)KernelLayout.Constant(H, "NAPI_STATE_NPSVC", 3);
}

public static class SkbLayout
{
    private const string H = "linux/skbuff.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "sk_buff");
    public static readonly StructField<nint> Dev = KernelLayout.Field<nint>(H, "sk_buff", "dev");
    public static readonly StructField<uint> Len = KernelLayout.Field<uint>(H, "sk_buff", "len");
    public static readonly StructField<uint> DataLen = KernelLayout.Field<uint>(H, "sk_buff", "data_len");
    public static readonly StructField<ushort> MacLen = KernelLayout.Field<ushort>(H, "sk_buff", "mac_len");
    public static readonly StructField<ushort> QueueMapping = KernelLayout.Field<ushort>(H, "sk_buff", "queue_mapping");
    public static readonly BitField IpSummed = KernelLayout.BitField(H, "sk_buff", "ip_summed");
    public static readonly BitField PktType = KernelLayout.BitField(H, "sk_buff", "pkt_type");
    public static readonly BitField HeadFrag = KernelLayout.BitField(H, "sk_buff", "head_frag");
    public static readonly StructField<ushort> Protocol = KernelLayout.Field<ushort>(H, "sk_buff", "protocol");
    public static readonly StructField<ushort> TransportHeader = KernelLayout.Field<ushort>(H, "sk_buff", "transport_header");
    public static readonly StructField<ushort> NetworkHeader = KernelLayout.Field<ushort>(H, "sk_buff", "network_header");
    public static readonly StructField<ushort> MacHeader = KernelLayout.Field<ushort>(H, "sk_buff", "mac_header");
    public static readonly StructField<uint> Tail = KernelLayout.Field<uint>(H, "sk_buff", "tail");
    public static readonly StructField<uint> End = KernelLayout.Field<uint>(H, "sk_buff", "end");
    public static readonly StructField<nint> Head = KernelLayout.Field<nint>(H, "sk_buff", "head");
    public static readonly StructField<nint> Data = KernelLayout.Field<nint>(H, "sk_buff", "data");
    public static readonly StructField<uint> Truesize = KernelLayout.Field<uint>(H, "sk_buff", "truesize");
    public static readonly StructField<int> Users = KernelLayout.Field<int>(H, "sk_buff", "users");
    public static readonly StructField<nint> Next = KernelLayout.Field<nint>(H, "sk_buff", "next");
    public static readonly StructField<ushort> CsumStart = KernelLayout.Field<ushort>(H, "sk_buff", "csum_start");
    public static readonly StructField<ushort> CsumOffset = KernelLayout.Field<ushort>(H, "sk_buff", "csum_offset");
    public static readonly StructField<nint> FragList = KernelLayout.Field<nint>(H, "skb_shared_info", "frag_list");

    public static readonly StructSize SharedInfoSize = KernelLayout.SizeOf(H, "skb_shared_info");
    public static readonly StructField<byte> NrFrags = KernelLayout.Field<byte>(H, "skb_shared_info", "nr_frags");
    public static readonly StructField<int> Dataref = KernelLayout.Field<int>(H, "skb_shared_info", "dataref");
    public static readonly StructField Frags = KernelLayout.Field(H, "skb_shared_info", "frags");
    public static readonly StructSize FragSize = KernelLayout.SizeOf("linux/bvec.h", "bio_vec");
    public static readonly StructField<nint> FragPage = KernelLayout.Field<nint>("linux/bvec.h", "bio_vec", "bv_page");
    public static readonly StructField<uint> FragLen = KernelLayout.Field<uint>("linux/bvec.h", "bio_vec", "bv_len");
    public static readonly StructField<uint> FragOffset = KernelLayout.Field<uint>("linux/bvec.h", "bio_vec", "bv_offset");

    // NET_SKB_PAD is max(32, L1_CACHE_BYTES), which a static assert cannot evaluate; assert its input.
    public static readonly int Pad = Math.Max(32, (int)KernelLayout.Constant(H, "L1_CACHE_BYTES", 64));
    public static readonly int CacheBytes = (int)KernelLayout.Constant(H, "SMP_CACHE_BYTES", 64);
    public static readonly int PacketHost = (int)KernelLayout.Constant(H, "PACKET_HOST", 0);
    public static readonly int PacketBroadcast = (int)KernelLayout.Constant(H, "PACKET_BROADCAST", 1);
    public static readonly int PacketMulticast = (int)KernelLayout.Constant(H, "PACKET_MULTICAST", 2);
    public static readonly int PacketOtherHost = (int)KernelLayout.Constant(H, "PACKET_OTHERHOST", 3);
    public static readonly int ChecksumPartial = (int)KernelLayout.Constant(H, "CHECKSUM_PARTIAL", 3);
}
