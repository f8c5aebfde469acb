// SPDX-License-Identifier: MIT
// Managed side. Fields of the driver model's structures (buses, drivers, devices: include/linux/device*.h),
// of scatterlists, XDP receive-queue info and notifier blocks, and the CPU hotplug states the shim relies on.
namespace LinuxShim.Shim.Layout;

public static class DeviceModelLayout
{
    private const string H = "linux/device.h";
    public static readonly StructField<nint> Bus = KernelLayout.Field<nint>(H, "device", "bus");
    public static readonly StructField<nint> Release = KernelLayout.Field<nint>(H, "device", "release");
    public static readonly StructField<nint> Type = KernelLayout.Field<nint>(H, "device", "type");
    public static readonly StructField<nint> Class = KernelLayout.Field<nint>(H, "device", "class");
    public static readonly StructField<nint> TypeRelease = KernelLayout.Field<nint>(H, "device_type", "release");
    public static readonly StructField<nint> ClassDevRelease = KernelLayout.Field<nint>("linux/device/class.h", "class", "dev_release");

    private const string B = "linux/device/bus.h";
    public static readonly StructField<nint> BusName = KernelLayout.Field<nint>(B, "bus_type", "name");
    public static readonly StructField<nint> BusMatch = KernelLayout.Field<nint>(B, "bus_type", "match");
    public static readonly StructField<nint> BusProbe = KernelLayout.Field<nint>(B, "bus_type", "probe");
    public static readonly StructField<nint> BusRemove = KernelLayout.Field<nint>(B, "bus_type", "remove");

    private const string D = "linux/device/driver.h";
    public static readonly StructField<nint> DriverBus = KernelLayout.Field<nint>(D, "device_driver", "bus");
    public static readonly StructField<nint> DriverProbe = KernelLayout.Field<nint>(D, "device_driver", "probe");
    public static readonly StructField<nint> DriverRemove = KernelLayout.Field<nint>(D, "device_driver", "remove");
}

public static class ScatterlistLayout
{
    private const string H = "linux/scatterlist.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "scatterlist");
    public static readonly StructField<ulong> PageLink = KernelLayout.Field<ulong>(H, "scatterlist", "page_link");
    public static readonly StructField<uint> Offset = KernelLayout.Field<uint>(H, "scatterlist", "offset");
    public static readonly StructField<uint> Length = KernelLayout.Field<uint>(H, "scatterlist", "length");
    public static readonly ulong Chain = (ulong)KernelLayout.Constant(H, "SG_CHAIN", 1);
    public static readonly ulong End = (ulong)KernelLayout.Constant(H, "SG_END", 2);
}

public static class XdpLayout
{
    private const string H = "net/xdp.h";
    public static readonly StructField<nint> RxqDev = KernelLayout.Field<nint>(H, "xdp_rxq_info", "dev");
    public static readonly StructField<uint> RxqQueueIndex = KernelLayout.Field<uint>(H, "xdp_rxq_info", "queue_index");
    public static readonly StructField<uint> RxqRegState = KernelLayout.Field<uint>(H, "xdp_rxq_info", "reg_state");
    public static readonly StructField<uint> RxqMemType = KernelLayout.Field<uint>(H, "xdp_rxq_info", "mem.type");
    public static readonly StructField<uint> RxqMemId = KernelLayout.Field<uint>(H, "xdp_rxq_info", "mem.id");
    public static readonly StructField<uint> RxqNapiId = KernelLayout.Field<uint>(H, "xdp_rxq_info", "napi_id");
    public static readonly StructField<uint> RxqFragSize = KernelLayout.Field<uint>(H, "xdp_rxq_info", "frag_size");
    public static readonly StructSize RxqSize = KernelLayout.SizeOf(H, "xdp_rxq_info");
    public static readonly uint MemTypePageShared = (uint)KernelLayout.Constant(H, "MEM_TYPE_PAGE_SHARED", 0);
    public static readonly uint MemTypePageOrder0 = (uint)KernelLayout.Constant(H, "MEM_TYPE_PAGE_ORDER0", 1);
    public static readonly uint MemTypePagePool = (uint)KernelLayout.Constant(H, "MEM_TYPE_PAGE_POOL", 2);
    public static readonly uint MemTypeXskBuffPool = (uint)KernelLayout.Constant(H, "MEM_TYPE_XSK_BUFF_POOL", 3);
}

public static class NotifierLayout
{
    private const string H = "linux/notifier.h";
    public static readonly StructField<nint> Call = KernelLayout.Field<nint>(H, "notifier_block", "notifier_call");
    public static readonly StructField<int> Priority = KernelLayout.Field<int>(H, "notifier_block", "priority");
    public static readonly StructField<nint> InfoDev = KernelLayout.Field<nint>("linux/netdevice.h", "netdev_notifier_info", "dev");
    public static readonly StructSize InfoSize = KernelLayout.SizeOf("linux/netdevice.h", "netdev_notifier_info");
    public static readonly int StopMask = (int)KernelLayout.Constant(H, "NOTIFY_STOP_MASK", 0x8000);

    // enum netdev_cmd: its values moved between kernels (NETDEV_NOTIFY_PEERS is 19 in 6.1), so they are read.
    private const string N = "linux/netdevice.h";
    public static readonly KernelConstant Up = KernelLayout.ConstantOf(N, "NETDEV_UP");
    public static readonly KernelConstant Down = KernelLayout.ConstantOf(N, "NETDEV_DOWN");
    public static readonly KernelConstant Register = KernelLayout.ConstantOf(N, "NETDEV_REGISTER");
    public static readonly KernelConstant Unregister = KernelLayout.ConstantOf(N, "NETDEV_UNREGISTER");
    public static readonly KernelConstant GoingDown = KernelLayout.ConstantOf(N, "NETDEV_GOING_DOWN");
    public static readonly KernelConstant NotifyPeers = KernelLayout.ConstantOf(N, "NETDEV_NOTIFY_PEERS");
    public static readonly KernelConstant ResendIgmp = KernelLayout.ConstantOf(N, "NETDEV_RESEND_IGMP");
}

public static class CpuHotplugLayout
{
    private const string H = "linux/cpuhotplug.h";
    public static readonly KernelConstant PrepareDyn = KernelLayout.ConstantOf(H, "CPUHP_BP_PREPARE_DYN");
    public static readonly KernelConstant PrepareDynEnd = KernelLayout.ConstantOf(H, "CPUHP_BP_PREPARE_DYN_END");
    public static readonly KernelConstant OnlineDyn = KernelLayout.ConstantOf(H, "CPUHP_AP_ONLINE_DYN");
    public static readonly KernelConstant OnlineDynEnd = KernelLayout.ConstantOf(H, "CPUHP_AP_ONLINE_DYN_END");
    public static readonly KernelConstant Online = KernelLayout.ConstantOf(H, "CPUHP_ONLINE");
}
