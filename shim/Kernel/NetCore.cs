// SPDX-License-Identifier: MIT
// Managed side. The Linux network core (net/core/dev.c) as a driver sees it: net_device allocation
// and registration, transmit queues, carrier, NAPI, and the receive path, which hands each frame to
// the host's NetDevice (and from there to a TAP or a netif client).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

/// <summary>A frame the driver passed up: valid only during the call (copy it); <paramref name="batched"/> as in <see cref="NetDevice.Received"/>.</summary>
public delegate void FrameUp(ReadOnlySpan<byte> frame, bool batched);

/// <summary>A registered network interface, as the host drives it.</summary>
public sealed unsafe class NetDevice
{
    internal NetDevice(nint dev) => Pointer = dev;

    public nint Pointer { get; }
    public string Name => Access.CString(Pointer.At(NetDevLayout.Name)) ?? "";
    public bool IsUp => Pointer.TestBit(NetDevLayout.State, NetDevLayout.StateStart);
    public bool Carrier => !Pointer.TestBit(NetDevLayout.State, NetDevLayout.StateNoCarrier);
    public int Mtu => (int)Pointer.U32(NetDevLayout.Mtu);

    public byte[] Mac
    {
        get
        {
            var mac = new byte[6];
            new ReadOnlySpan<byte>((void*)Pointer.Ptr(NetDevLayout.DevAddr), 6).CopyTo(mac);
            return mac;
        }
    }

    /// <summary>
    /// Frames the driver passed up (called in softirq context, on the CPU: copy and return). The flag is true
    /// when the frame came in a NAPI poll: more may follow, and <see cref="ReceiveBatchEnd"/> is called once
    /// the NET_RX softirq has polled everything (the point to hand the batch on, as GRO_NORMAL lists are
    /// handed to the stack at the end of a poll); false when the frame came alone (netif_rx from an interrupt).
    /// </summary>
    public FrameUp? Received { get; set; }

    /// <summary>The end of a NET_RX softirq in which frames were passed up with the flag set (on the CPU).</summary>
    public Action? ReceiveBatchEnd { get; set; }

    /// <summary>Raised when the driver wakes its transmit queue after stopping it.</summary>
    public event Action? TxWoken;

    /// <summary>Raised when the carrier changes (true: link up).</summary>
    public event Action<bool>? CarrierChanged;

    internal void OnTxWoken() => TxWoken?.Invoke();
    internal void OnCarrier(bool up) => CarrierChanged?.Invoke(up);

    public long RxFrames, RxDropped;

    private nint Queue0 => Pointer.Ptr(NetDevLayout.Tx);

    // netif_xmit_frozen_or_stopped(): stopped by the driver or the stack, or frozen by netif_tx_lock().
    public bool TxStopped => (Queue0.U64(TxQueueLayout.State) & ((1UL << TxQueueLayout.DrvXoff) | (1UL << TxQueueLayout.StackXoff) | (1UL << TxQueueLayout.Frozen))) != 0;

    /// <summary>Brings the interface up (dev_open): ndo_open, then the receive mode. 0 or -errno.</summary>
    public int Open() => Cpu.Run(() =>
    {
        if (IsUp)
            return 0;
        Locking.RtnlLock();
        try
        {
            return OpenHoldingRtnl();
        }
        finally
        {
            Locking.RtnlUnlock();
        }
    });

    /// <summary>dev_open() as a driver calls it (stmmac's reset task): on the CPU, under the RTNL it holds.</summary>
    internal int OpenHoldingRtnl()
    {
        if (IsUp)
            return 0;
        Pointer.SetBit(NetDevLayout.State, NetDevLayout.StateStart);
        var open = (delegate* unmanaged<nint, int>)Op(NetDevLayout.OpsOpen);
        int r = open != null ? open(Pointer) : 0;
        if (r != 0)
        {
            Pointer.ClearBit(NetDevLayout.State, NetDevLayout.StateStart);
            return r;
        }
        Pointer.U32(NetDevLayout.Flags, Pointer.U32(NetDevLayout.Flags) | NetDevLayout.IffUp);
        TxWatchdog.Transmitted(Pointer); // dev_activate: netif_trans_update before the watchdog runs
        var rxMode = (delegate* unmanaged<nint, void>)Op(NetDevLayout.OpsSetRxMode);
        if (rxMode != null)
            rxMode(Pointer);
        NetdevNotifier.Call((ulong)NotifierLayout.Up.Value, Pointer); // dev_open(): call_netdevice_notifiers(NETDEV_UP)
        return 0;
    }

    /// <summary>Takes the interface down (dev_close): ndo_stop.</summary>
    public void Close() => Cpu.Run(() =>
    {
        if (!IsUp)
            return;
        Locking.RtnlLock();
        try
        {
            CloseHoldingRtnl();
        }
        finally
        {
            Locking.RtnlUnlock();
        }
    });

    /// <summary>dev_close() as a driver calls it: on the CPU, under the RTNL it holds.</summary>
    internal void CloseHoldingRtnl()
    {
        if (!IsUp)
            return;
        NetdevNotifier.Call((ulong)NotifierLayout.GoingDown.Value, Pointer); // __dev_close_many()
        Pointer.ClearBit(NetDevLayout.State, NetDevLayout.StateStart);
        var stop = (delegate* unmanaged<nint, int>)Op(NetDevLayout.OpsStop);
        if (stop != null)
            stop(Pointer);
        Pointer.U32(NetDevLayout.Flags, Pointer.U32(NetDevLayout.Flags) & ~NetDevLayout.IffUp);
        NetdevNotifier.Call((ulong)NotifierLayout.Down.Value, Pointer); // dev_close_many()
    }

    /// <summary>
    /// Hands frames <paramref name="first"/>.. (<paramref name="count"/> of them, each <paramref name="lengths"/>[i]
    /// bytes of <paramref name="frames"/>[i]) to ndo_start_xmit (with bottom halves off, as dev_queue_xmit does) one after another, as the core's dev_hard_start_xmit()
    /// hands over a burst the qdisc dequeued: every frame but the last with netdev_xmit_more() true, so that a driver
    /// that can (e1000, e1000e, virtio_net…) rings its doorbell once per burst. A frame goes over as "more" only when
    /// the one behind it is already in an sk_buff, so a burst never ends with a doorbell owed. The burst ends at the
    /// first frame the driver does not take, or when it stops its queue (retry after <see cref="TxWoken"/>).
    /// Returns how many frames the driver took.
    /// </summary>
    public int TransmitBurst(byte[][] frames, int[] lengths, int first, int count) => count <= 0 ? 0 : Cpu.Run(() =>
    {
        if (!IsUp || TxStopped)
            return 0;
        byte* more = Machine.Library is { } lib ? lib.Descriptor->XmitMore : null;
        int sent = 0;
        nint next = SkbFor(frames[first], lengths[first]);
        while (next != 0)
        {
            nint skb = next;
            next = sent + 1 < count ? SkbFor(frames[first + sent + 1], lengths[first + sent + 1]) : 0;
            if (!XmitOnCpu(skb, more, next != 0))
                break;
            sent++;
            if (!IsUp || TxStopped)
                break;
        }
        if (next != 0)
            SkBuff.Free(next); // a frame behind one that ended the burst: still ours, and still in the caller's hands
        Softirq.RunPending();
        return sent;
    });

    // A frame in an sk_buff for this device, as the stack hands one to the driver; 0 when none could be had.
    private nint SkbFor(byte[] frame, int len)
    {
        nint skb = SkBuff.Alloc(len + SkbLayout.Pad, SkbLayout.Pad, 0);
        if (skb == 0)
            return 0;
        fixed (byte* f = frame)
        {
            Buffer.MemoryCopy(f, (void*)SkBuff.Put(skb, len), len, len);
            skb.Ptr(SkbLayout.Dev, Pointer);
            skb.U16(SkbLayout.MacHeader, (ushort)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head)));
            if (len >= 14)
            {
                skb.U16(SkbLayout.Protocol, *(ushort*)(f + 12));
                skb.U16(SkbLayout.NetworkHeader, (ushort)(skb.U16(SkbLayout.MacHeader) + 14));
            }
        }
        return skb;
    }

    // ndo_start_xmit of one sk_buff with bottom halves off, netdev_xmit_more() telling whether another follows. False
    // (the skb freed: NETDEV_TX_BUSY leaves it ours) when the driver did not take it.
    private bool XmitOnCpu(nint skb, byte* more, bool another)
    {
        var xmit = (delegate* unmanaged<nint, nint, int>)Op(NetDevLayout.OpsStartXmit);
        Cpu.AddPreempt(Cpu.SoftirqDisableOffset);
        int r;
        if (more != null)
            *more = another ? (byte)1 : (byte)0;
        try
        {
            r = xmit(skb, Pointer);
        }
        finally
        {
            if (more != null)
                *more = 0;
            Cpu.AddPreempt(-Cpu.SoftirqDisableOffset);
        }
        Progress.Transmitted();
        if (r != 0)
        {
            SkBuff.Free(skb);
            return false;
        }
        TxWatchdog.Transmitted(Pointer);
        return true;
    }

    /// <summary>Changes the MTU (dev_set_mtu): within min_mtu..max_mtu, through ndo_change_mtu where the driver has one. 0 or -errno.</summary>
    public int ChangeMtu(int mtu) => Cpu.Run(() =>
    {
        if (mtu < (int)Pointer.U32(NetDevLayout.MinMtu) || mtu > (int)Pointer.U32(NetDevLayout.MaxMtu))
            return -22; // EINVAL
        Locking.RtnlLock();
        try
        {
            var change = (delegate* unmanaged<nint, int, int>)Op(NetDevLayout.OpsChangeMtu);
            if (change != null)
                return change(Pointer, mtu);
            Pointer.U32(NetDevLayout.Mtu, (uint)mtu);
            return 0;
        }
        finally
        {
            Locking.RtnlUnlock();
        }
    });

    /// <summary>Sets the station address (dev_set_mac_address) through ndo_set_mac_address. 0 or -errno.</summary>
    public int SetMac(ReadOnlySpan<byte> mac)
    {
        if (mac.Length != 6)
            return -22;
        ulong packed = 0;
        for (int i = 0; i < 6; i++)
            packed |= (ulong)mac[i] << (8 * i);
        return Cpu.Run(() =>
        {
            var set = (delegate* unmanaged<nint, nint, int>)Op(NetDevLayout.OpsSetMacAddress);
            if (set == null)
                return -95; // EOPNOTSUPP
            nint sockaddr = Memory.Allocate(16, GfpFlags.Zero); // struct sockaddr: family, 14 bytes of address
            *(ushort*)sockaddr = 1; // ARPHRD_ETHER
            for (int i = 0; i < 6; i++)
                *(byte*)(sockaddr + 2 + i) = (byte)(packed >> (8 * i));
            Locking.RtnlLock();
            try
            {
                return set(Pointer, sockaddr);
            }
            finally
            {
                Locking.RtnlUnlock();
                Memory.Free(sockaddr);
            }
        });
    }

    /// <summary>The multicast list the driver was given (dev->mc), in order.</summary>
    public List<byte[]> Multicast => Cpu.Run(() =>
    {
        var list = new List<byte[]>();
        nint head = Pointer.At(NetDevLayout.MulticastList);
        for (nint e = *(nint*)head; e != head && list.Count < 4096; e = *(nint*)e)
        {
            nint ha = e - NetDevLayout.HwAddrList.Offset;
            list.Add(new ReadOnlySpan<byte>((void*)ha.At(NetDevLayout.HwAddrAddr), 6).ToArray());
        }
        return list;
    });

    /// <summary>
    /// Replaces the multicast list (as dev_mc_add/dev_mc_del would leave it) and lets the driver program
    /// its filter (ndo_set_rx_mode) when the interface is up. 0 or -errno.
    /// </summary>
    public int SetMulticast(IReadOnlyList<byte[]> groups)
    {
        if (groups.Any(g => g.Length != 6 || (g[0] & 1) == 0))
            return -22; // EINVAL: group addresses only
        return Cpu.Run(() =>
        {
            Locking.RtnlLock();
            try
            {
                nint head = Pointer.At(NetDevLayout.MulticastList);
                for (nint e = *(nint*)head; e != head;)
                {
                    nint next = *(nint*)e;
                    Memory.Free(e - NetDevLayout.HwAddrList.Offset);
                    e = next;
                }
                Waiting.InitListHead(head);
                int count = 0;
                foreach (var g in groups.DistinctBy(Convert.ToHexString))
                {
                    nint ha = Memory.Allocate(NetDevLayout.HwAddrSize.Size, GfpFlags.Zero);
                    if (ha == 0)
                        return -12; // ENOMEM
                    g.CopyTo(new Span<byte>((void*)ha.At(NetDevLayout.HwAddrAddr), 6));
                    ha.U8(NetDevLayout.HwAddrType, NetDevLayout.HwAddrMulticast);
                    ha.I32(NetDevLayout.HwAddrRefcount, 1);
                    // list_add_tail
                    nint node = ha.At(NetDevLayout.HwAddrList), last = ((nint*)head)[1];
                    ((nint*)node)[0] = head;
                    ((nint*)node)[1] = last;
                    ((nint*)last)[0] = node;
                    ((nint*)head)[1] = node;
                    count++;
                }
                Pointer.I32(NetDevLayout.MulticastCount, count);
                var rxMode = (delegate* unmanaged<nint, void>)Op(NetDevLayout.OpsSetRxMode);
                if (IsUp && rxMode != null)
                    rxMode(Pointer);
                return 0;
            }
            finally
            {
                Locking.RtnlUnlock();
            }
        });
    }

    /// <summary>The driver's statistics (ndo_get_stats64), as rtnl_link_stats64's first fields.</summary>
    public ulong[] Statistics() => Cpu.Run(() =>
    {
        var stats = new ulong[24];
        fixed (ulong* s = stats)
        {
            var get = (delegate* unmanaged<nint, ulong*, void>)Op(NetDevLayout.OpsGetStats64);
            if (get != null)
                get(Pointer, s);
            else
                NetCore.CopyStats(s, Pointer.At(NetDevLayout.Stats));
        }
        return stats;
    });

    private nint Op(StructField<nint> f)
    {
        nint ops = Pointer.Ptr(NetDevLayout.NetdevOps);
        return ops == 0 ? 0 : ops.Ptr(f);
    }
}

public static unsafe class NetCore
{
    private static readonly List<NetDevice> Devices = [];
    private static readonly List<nint> PollList = [];
    private static bool _pollScheduled;
    private static int _ifindex = 1;

    public static IReadOnlyList<NetDevice> Registered => Devices;

    /// <summary>Raised when a driver registers an interface.</summary>
    public static event Action<NetDevice>? Added;

    public static NetDevice? Find(nint dev) => Devices.FirstOrDefault(d => d.Pointer == dev);

    private static int PrivateOffset => (NetDevLayout.Size.Size + NetDevLayout.Align - 1) & ~(NetDevLayout.Align - 1);

    [KernelSymbol("alloc_etherdev_mqs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocEtherdevMqs(int sizeofPriv, uint txqs, uint rxqs) => AllocEtherdev(sizeofPriv, txqs, rxqs);

    /// <summary>alloc_etherdev_mqs(): as net/ethernet/eth.c, alloc_netdev_mqs() with ether_setup().</summary>
    public static nint AllocEtherdev(int sizeofPriv, uint txqs, uint rxqs)
    {
        nint dev = AllocNetdev(sizeofPriv, "eth%d", txqs, rxqs);
        if (dev != 0)
            EtherSetup(dev);
        return dev;
    }

    /// <summary>alloc_netdev_mqs() (net/core/dev.c): the device, its queues and private area, named by the
    /// template, then the driver's <paramref name="setup"/> fills in the rest (8390's calls ether_setup).
    /// The name assignment type only tells sysfs how the name came about; there is no sysfs here.</summary>
    [KernelSymbol("alloc_netdev_mqs"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocNetdevMqs(int sizeofPriv, byte* name, byte nameAssignType, nint setup, uint txqs, uint rxqs)
    {
        if (txqs < 1 || rxqs < 1) // as Linux: "Unable to allocate device with zero queues"
            return 0;
        string template = Marshal.PtrToStringUTF8((nint)name) ?? "eth%d";
        if (template.Length >= 16)
            return 0;
        nint dev = AllocNetdev(sizeofPriv, template, txqs, rxqs);
        if (dev != 0 && setup != 0)
            ((delegate* unmanaged<nint, void>)setup)(dev);
        return dev;
    }

    /// <summary>ether_setup() (net/ethernet/eth.c): Ethernet's type, header length, MTU range, address length,
    /// queue length, flags and broadcast address.</summary>
    [KernelSymbol("ether_setup"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void EtherSetupExport(nint dev) => EtherSetup(dev);

    private static void EtherSetup(nint dev)
    {
        dev.U8(NetDevLayout.AddrLen, 6);
        dev.U16(NetDevLayout.Type, 1); // ARPHRD_ETHER
        dev.U32(NetDevLayout.Mtu, 1500);
        dev.U32(NetDevLayout.MinMtu, 68);
        dev.U32(NetDevLayout.MaxMtu, 1500);
        dev.U16(NetDevLayout.HardHeaderLen, 14);
        dev.U32(NetDevLayout.Flags, NetDevLayout.IffBroadcast | NetDevLayout.IffMulticast);
        dev.U32(NetDevLayout.TxQueueLen, 1000);
        NativeMemory.Fill((void*)dev.At(NetDevLayout.Broadcast), 6, 0xff);
    }

    private static nint AllocNetdev(int sizeofPriv, string name, uint txqs, uint rxqs)
    {
        txqs = Math.Max(txqs, 1);
        nint dev = Memory.Allocate(PrivateOffset + sizeofPriv, GfpFlags.Zero, NetDevLayout.Align);
        nint queues = Memory.Allocate(TxQueueLayout.Size.Size * txqs, GfpFlags.Zero, 64);
        nint addr = Memory.Allocate(NetDevLayout.MaxAddrLen, GfpFlags.Zero);
        if (dev == 0 || queues == 0 || addr == 0)
            return 0;
        Access.WriteCString(dev.At(NetDevLayout.Name), 16, name);
        dev.Ptr(NetDevLayout.DevAddr, addr);
        dev.U32(NetDevLayout.GsoMaxSize, 65536);
        dev.U16(NetDevLayout.GsoMaxSegs, 65535);
        dev.Ptr(NetDevLayout.Tx, queues);
        dev.Ptr(NetNamespaceLayout.NdNet, Machine.Library is { } lib ? lib.Descriptor->InitNet : 0); // dev_net_set(dev, &init_net)
        foreach (var list in (ReadOnlySpan<StructField>)[NetDevLayout.UnicastList, NetDevLayout.MulticastList, NetDevLayout.DevAddrsList])
            Waiting.InitListHead(dev.At(list));
        if (Machine.Library is { } l && l.Descriptor->NetdevAllocParts != null && l.Descriptor->NetdevAllocParts(dev) != 0)
        {
            Memory.Free(queues);
            Memory.Free(addr);
            Memory.Free(dev);
            return 0;
        }
        dev.U32(NetDevLayout.NumTxQueues, txqs);
        dev.U32(NetDevLayout.RealNumTxQueues, txqs);
        dev.U32(NetDevLayout.NumRxQueues, Math.Max(rxqs, 1));
        dev.U32(NetDevLayout.RealNumRxQueues, Math.Max(rxqs, 1));
        for (int i = 0; i < txqs; i++)
        {
            nint q = queues + i * TxQueueLayout.Size.Size;
            q.Ptr(TxQueueLayout.Dev, dev);
            ResetDql(q.At(TxQueueLayout.Dql));
        }
        return dev;
    }

    // Byte queue limits stay out of the way: the limit is the largest there is.
    private static void ResetDql(nint dql)
    {
        NativeMemory.Clear((void*)dql, (nuint)DqlLayout.Size.Size);
        dql.U32(DqlLayout.Limit, DqlLayout.MaxLimitValue);
        dql.U32(DqlLayout.AdjLimit, DqlLayout.MaxLimitValue);
        dql.U32(DqlLayout.MaxLimit, DqlLayout.MaxLimitValue);
    }

    [KernelSymbol("dql_reset"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DqlReset(nint dql) => ResetDql(dql);

    [KernelSymbol("dql_completed"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DqlCompleted(nint dql, uint count)
    {
        uint completed = dql.U32(DqlLayout.NumCompleted) + count;
        dql.U32(DqlLayout.NumCompleted, completed);
        dql.U32(DqlLayout.AdjLimit, dql.U32(DqlLayout.Limit) + completed);
    }

    [KernelSymbol("free_netdev"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreeNetdev(nint dev) => Free(dev);

    // As net/core/dev.c: the latest transmit start over the device's queues.
    [KernelSymbol("dev_trans_start"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong DevTransStart(nint dev)
    {
        nint queues = dev.Ptr(NetDevLayout.Tx);
        ulong latest = 0;
        for (uint i = 0; i < dev.U32(NetDevLayout.NumTxQueues); i++)
        {
            ulong start = (queues + (int)i * TxQueueLayout.Size.Size).U64(TxQueueLayout.TransStart);
            if (latest == 0 || (long)(start - latest) > 0) // time_after()
                latest = start;
        }
        return latest;
    }

    public static void Free(nint dev)
    {
        if (dev == 0)
            return;
        if (Machine.Library is { } lib && lib.Descriptor->NetdevFreeParts != null)
            lib.Descriptor->NetdevFreeParts(dev);
        Memory.Free(dev.Ptr(NetDevLayout.Tx));
        Memory.Free(dev.Ptr(NetDevLayout.DevAddr));
        Memory.Free(dev);
    }

    // register_netdev() takes the RTNL around register_netdevice(); the caller of register_netdevice() holds it.
    // Neither needs it here: registration runs on the one CPU and waits for nothing.
    [KernelSymbol("register_netdev"), KernelSymbol("register_netdevice"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int RegisterNetdev(nint dev)
    {
        string pattern = Access.CString(dev.At(NetDevLayout.Name)) ?? "eth%d";
        if (pattern.Contains("%d"))
        {
            int n = 0;
            while (Devices.Any(d => d.Name == pattern.Replace("%d", n.ToString())))
                n++;
            Access.WriteCString(dev.At(NetDevLayout.Name), 16, pattern.Replace("%d", n.ToString()));
        }
        var init = dev.Ptr(NetDevLayout.NetdevOps) is var ops and not 0 ? (delegate* unmanaged<nint, int>)ops.Ptr(NetDevLayout.OpsInit) : null;
        if (init != null && init(dev) is var r and not 0)
            return r;
        Buffer.MemoryCopy((void*)dev.Ptr(NetDevLayout.DevAddr), (void*)dev.At(NetDevLayout.PermAddr), 6, 6);
        dev.I32(NetDevLayout.Ifindex, _ifindex++);
        dev.SetBit(NetDevLayout.State, NetDevLayout.StatePresent);
        dev.U8(NetDevLayout.RegState, NetDevLayout.Registered);
        var d = new NetDevice(dev);
        Devices.Add(d);
        int veto = NetdevNotifier.Call((ulong)NotifierLayout.Register.Value, dev) & ~NotifierLayout.StopMask;
        if (veto > 1) // notifier_to_errno(): a block refused the device, which is rolled back (NETDEV_UNREGISTER)
        {
            NetdevNotifier.Call((ulong)NotifierLayout.Unregister.Value, dev);
            Devices.Remove(d);
            dev.U8(NetDevLayout.RegState, NetDevLayout.Unregistered);
            return 1 - veto;
        }
        Added?.Invoke(d);
        TxWatchdog.Start();
        return 0;
    }

    [KernelSymbol("unregister_netdev"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void UnregisterNetdev(nint dev)
    {
        Find(dev)?.Close();
        Unregister(dev);
    }

    // unregister_netdevice(dev) is unregister_netdevice_queue(dev, NULL): the caller holds the RTNL. A list head
    // batches devices for unregister_netdevice_many(), which the shim does not have.
    [KernelSymbol("unregister_netdevice_queue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void UnregisterNetdeviceQueue(nint dev, nint head)
    {
        if (head != 0)
        {
            Machine.Fatal("unregister_netdevice_queue: batched unregistration (unregister_netdevice_many) is not implemented");
            return;
        }
        Find(dev)?.CloseHoldingRtnl();
        Unregister(dev);
    }

    private static void Unregister(nint dev)
    {
        var d = Find(dev);
        if (d is not null)
            NetdevNotifier.Call((ulong)NotifierLayout.Unregister.Value, dev);
        dev.U8(NetDevLayout.RegState, NetDevLayout.Unregistered);
        if (d is not null)
            Devices.Remove(d);
    }

    private static IEnumerable<nint> TxQueues(nint dev)
    {
        nint queues = dev.Ptr(NetDevLayout.Tx);
        for (uint i = 0; i < dev.U32(NetDevLayout.NumTxQueues); i++)
            yield return queues + (int)i * TxQueueLayout.Size.Size;
    }

    // netif_tx_lock(): every queue's xmit lock (a spinlock: nothing to take on the one CPU) and the queue frozen,
    // so no transmit starts until netif_tx_unlock() thaws them and reschedules each one.
    [KernelSymbol("netif_tx_lock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifTxLock(nint dev)
    {
        foreach (nint q in TxQueues(dev))
            q.SetBit(TxQueueLayout.State, TxQueueLayout.Frozen);
    }

    [KernelSymbol("netif_tx_unlock"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifTxUnlock(nint dev)
    {
        foreach (nint q in TxQueues(dev))
            if (q.ClearBit(TxQueueLayout.State, TxQueueLayout.Frozen))
                Find(dev)?.OnTxWoken(); // netif_schedule_queue()
    }

    [KernelSymbol("netif_tx_stop_all_queues"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifTxStopAllQueues(nint dev)
    {
        foreach (nint q in TxQueues(dev))
            q.SetBit(TxQueueLayout.State, TxQueueLayout.DrvXoff);
    }

    private static readonly Dictionary<(nint Dev, uint Type), Dictionary<ushort, ulong>> XpsMaps = [];

    /// <summary>The CPUs (bit n: CPU n) whose transmissions __netif_set_xps_queue() steered to <paramref name="queue"/>.</summary>
    public static ulong XpsCpus(nint dev, ushort queue) =>
        XpsMaps.TryGetValue((dev, 0u), out var map) && map.TryGetValue(queue, out var cpus) ? cpus : 0;

    // Transmit packet steering (net/core/dev.c): which CPUs' (XPS_CPUS) or receive queues' (XPS_RXQS) packets go
    // to a transmit queue. Kept per device; the host transmits from the one CPU on the queue it maps.
    [KernelSymbol("__netif_set_xps_queue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int NetifSetXpsQueue(nint dev, ulong* mask, ushort index, uint type)
    {
        if (index >= dev.U32(NetDevLayout.NumTxQueues))
            return -22;
        if (!XpsMaps.TryGetValue((dev, type), out var map))
            XpsMaps[(dev, type)] = map = [];
        map[index] = type == 0 ? mask[0] & ((1UL << Cpumask.CpuIds) - 1) : mask[0];
        return 0;
    }

    [KernelSymbol("netif_device_attach"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifDeviceAttach(nint dev)
    {
        if (!dev.SetBit(NetDevLayout.State, NetDevLayout.StatePresent) && dev.TestBit(NetDevLayout.State, NetDevLayout.StateStart))
            WakeQueue(dev.Ptr(NetDevLayout.Tx));
    }

    [KernelSymbol("netif_device_detach"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifDeviceDetach(nint dev)
    {
        if (dev.ClearBit(NetDevLayout.State, NetDevLayout.StatePresent) && dev.TestBit(NetDevLayout.State, NetDevLayout.StateStart))
            dev.Ptr(NetDevLayout.Tx).SetBit(TxQueueLayout.State, TxQueueLayout.DrvXoff);
    }

    /// <summary>Sets the carrier (the NOCARRIER state bit) and tells the host's device when it changes.</summary>
    public static void SetCarrier(nint dev, bool up)
    {
        bool changed = up
            ? dev.ClearBit(NetDevLayout.State, NetDevLayout.StateNoCarrier)
            : !dev.SetBit(NetDevLayout.State, NetDevLayout.StateNoCarrier);
        if (changed)
            Find(dev)?.OnCarrier(up);
    }

    [KernelSymbol("netif_carrier_on"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifCarrierOn(nint dev) => SetCarrier(dev, true);

    [KernelSymbol("netif_carrier_off"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifCarrierOff(nint dev) => SetCarrier(dev, false);

    private static void WakeQueue(nint queue)
    {
        if (queue.ClearBit(TxQueueLayout.State, TxQueueLayout.DrvXoff))
            Find(queue.Ptr(TxQueueLayout.Dev))?.OnTxWoken();
    }

    [KernelSymbol("netif_tx_wake_queue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifTxWakeQueue(nint queue) => WakeQueue(queue);

    [KernelSymbol("netif_schedule_queue"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifScheduleQueue(nint queue) => Find(queue.Ptr(TxQueueLayout.Dev))?.OnTxWoken();

    [KernelSymbol("netdev_stats_to_stats64"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetdevStatsToStats64(ulong* stats64, nint netdevStats) => CopyStats(stats64, netdevStats);

    /// <summary>struct net_device_stats is 24 unsigned longs in the order of rtnl_link_stats64's first 24 u64s.</summary>
    /// <summary>
    /// dev_get_stats(): the driver's ndo_get_stats64 (else its legacy counters in dev->stats), plus what the core
    /// itself dropped for the device (net/core/dev.c adds its core_stats the same way).
    /// </summary>
    [KernelSymbol("dev_get_stats"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong* DevGetStats(nint dev, ulong* storage)
    {
        nint ops = dev.Ptr(NetDevLayout.NetdevOps);
        var get = ops == 0 ? null : (delegate* unmanaged<nint, ulong*, void>)ops.Ptr(NetDevLayout.OpsGetStats64);
        for (int i = 0; i < 24; i++)
            storage[i] = 0;
        if (get != null)
            get(dev, storage);
        else
            CopyStats(storage, dev.At(NetDevLayout.Stats));
        if (Find(dev) is { } device)
            storage[6] += (ulong)device.RxDropped; // rx_dropped
        return storage;
    }

    [KernelSymbol("dev_close"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DevClose(nint dev) => Find(dev)?.CloseHoldingRtnl();

    // dev_open() (net/core/dev.c), as stmmac's reset task reopens its interface under the RTNL. A device the host
    // does not know (never registered) cannot be opened: -ENODEV, as __dev_open() for one not present.
    [KernelSymbol("dev_open"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevOpen(nint dev, nint extack) => Find(dev)?.OpenHoldingRtnl() ?? -19;

    // linkwatch_fire_event() (net/core/link_watch.c): Linux defers the operstate and the notification of a carrier
    // change to its link-watch work. Here netif_carrier_on/off tell the host at once (SetCarrier), and operstate
    // (the testing and dormant states phylib's self-tests set) has no reader, so there is nothing left to do.
    [KernelSymbol("linkwatch_fire_event"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void LinkwatchFireEvent(nint dev)
    {
    }

    /// <summary>
    /// netdev_pick_tx() (net/core/dev.c) for an skb with no socket and no XPS maps: the receive queue it was recorded
    /// with (queue_mapping - 1, folded into the real transmit queues), else queue 0. Linux spreads unrecorded flows by
    /// their flow hash; on one CPU every such flow on one queue keeps each in order, and which queue a flow takes is
    /// not seen by the peer.
    /// </summary>
    [KernelSymbol("netdev_pick_tx"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ushort NetdevPickTx(nint dev, nint skb, nint sbDev)
    {
        uint queues = Math.Max(1, dev.U32(NetDevLayout.RealNumTxQueues));
        uint recorded = skb.U16(SkbLayout.QueueMapping);
        return recorded == 0 ? (ushort)0 : (ushort)((recorded - 1) % queues);
    }

    private static nint _ethtoolPhyOps;

    /// <summary>What phylib registered as the ethtool core's PHY operations (ethtool_set_ethtool_phy_ops()); no ethtool netlink here calls them.</summary>
    public static nint EthtoolPhyOps => _ethtoolPhyOps;

    [KernelSymbol("ethtool_set_ethtool_phy_ops"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void EthtoolSetEthtoolPhyOps(nint ops) => _ethtoolPhyOps = ops;

    // drivers/net/phy/mii_timestamper.c: no MII time-stamping device registers here, so a PHY whose node names
    // one waits for it, as in Linux until its driver comes (ERR_PTR(-EPROBE_DEFER)); there is none to unregister.
    [KernelSymbol("register_mii_timestamper"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint RegisterMiiTimestamper(nint node, uint port) => -517;

    [KernelSymbol("unregister_mii_timestamper"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void UnregisterMiiTimestamper(nint miiTs)
    {
    }

    // drivers/net/phy/mdio-boardinfo.c: no board file registers MDIO devices here (device trees describe them).
    [KernelSymbol("mdiobus_setup_mdiodev_from_board_info"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void MdiobusSetupMdiodevFromBoardInfo(nint bus, nint callback)
    {
    }

    // net/core/dev.c: queues in use, at most the ones allocated (and at least one).
    [KernelSymbol("netif_set_real_num_tx_queues"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int NetifSetRealNumTxQueues(nint dev, uint count) => SetRealQueues(dev, count, NetDevLayout.NumTxQueues, NetDevLayout.RealNumTxQueues);

    [KernelSymbol("netif_set_real_num_rx_queues"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int NetifSetRealNumRxQueues(nint dev, uint count) => SetRealQueues(dev, count, NetDevLayout.NumRxQueues, NetDevLayout.RealNumRxQueues);

    private static int SetRealQueues(nint dev, uint count, StructField<uint> allocated, StructField<uint> real)
    {
        if (count < 1 || count > dev.U32(allocated))
            return -22;
        dev.U32(real, count);
        return 0;
    }

    // net/core/dev.c: a device without its own check takes every feature the stack offers.
    [KernelSymbol("passthru_features_check"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong PassthruFeaturesCheck(nint skb, nint dev, ulong features) => features;

    internal static void CopyStats(ulong* stats64, nint netdevStats)
    {
        for (int i = 0; i < 24; i++)
            stats64[i] = ((ulong*)netdevStats)[i];
    }

    // NAPI.
    [KernelSymbol("netif_napi_add_weight"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifNapiAddWeight(nint dev, nint napi, nint poll, int weight)
    {
        napi.Ptr(NapiLayout.Dev, dev);
        napi.Ptr(NapiLayout.Poll, poll);
        napi.I32(NapiLayout.Weight, weight);
        napi.SetBit(NapiLayout.State, NapiLayout.Sched); // disabled until napi_enable()
        napi.SetBit(NapiLayout.State, NapiLayout.Npsvc);
    }

    /// <summary>
    /// dev_set_threaded(): threaded NAPI, where a kthread per instance polls instead of the NET_RX softirq, is not
    /// offered. On the shim's one CPU under the big lock (DESIGN D5) a poll thread would take turns with the softirq
    /// thread and gain the driver nothing, so every instance is polled from the softirq. Turning it off succeeds
    /// (it never is on); turning it on takes net/core/dev.c's path for a poll thread that cannot be made: the device
    /// stays in softirq mode, no instance gets NAPI_STATE_THREADED, and the error is returned (-EOPNOTSUPP: no
    /// allocation failed). Drivers (atl1c) ask for it as a preference and go on without it.
    /// </summary>
    [KernelSymbol("dev_set_threaded"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevSetThreaded(nint dev, byte threaded)
    {
        if (threaded == 0)
            return 0;
        Machine.Log(6, $"{Access.CString(dev.At(NetDevLayout.Name))}: threaded NAPI is not offered; NAPI is polled from the NET_RX softirq");
        return -95;
    }

    [KernelSymbol("__netif_napi_del"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NetifNapiDel(nint napi) => PollList.Remove(napi);

    [KernelSymbol("napi_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NapiEnable(nint napi)
    {
        napi.ClearBit(NapiLayout.State, NapiLayout.Npsvc);
        napi.ClearBit(NapiLayout.State, NapiLayout.Sched);
    }

    [KernelSymbol("napi_disable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NapiDisable(nint napi)
    {
        napi.SetBit(NapiLayout.State, NapiLayout.Disable);
        Cpu.WaitUntil(() => !napi.SetBit(NapiLayout.State, NapiLayout.Sched));
        napi.SetBit(NapiLayout.State, NapiLayout.Npsvc);
        PollList.Remove(napi);
        napi.ClearBit(NapiLayout.State, NapiLayout.Disable);
    }

    [KernelSymbol("napi_schedule_prep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte NapiSchedulePrep(nint napi)
    {
        if (napi.TestBit(NapiLayout.State, NapiLayout.Disable))
            return 0;
        if (napi.SetBit(NapiLayout.State, NapiLayout.Sched))
        {
            napi.SetBit(NapiLayout.State, NapiLayout.Missed);
            return 0;
        }
        return 1;
    }

    [KernelSymbol("__napi_schedule"), KernelSymbol("__napi_schedule_irqoff"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NapiSchedule(nint napi) => Schedule(napi);

    private static void Schedule(nint napi)
    {
        if (!PollList.Contains(napi))
            PollList.Add(napi);
        if (!_pollScheduled)
        {
            _pollScheduled = true;
            Softirq.Raise(NetRxAction);
        }
    }

    [KernelSymbol("napi_complete_done"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte NapiCompleteDone(nint napi, int workDone)
    {
        if (napi.ClearBit(NapiLayout.State, NapiLayout.Missed))
        {
            Schedule(napi); // an interrupt came while polling: poll again
            return 0;
        }
        PollList.Remove(napi);
        napi.ClearBit(NapiLayout.State, NapiLayout.Sched);
        return 1;
    }

    /// <summary>The NET_RX softirq: polls every scheduled NAPI instance with its weight as budget.</summary>
    private static void NetRxAction()
    {
        _pollScheduled = false;
        _inNetRx = true;
        try
        {
            PollScheduled();
        }
        finally
        {
            _inNetRx = false;
            foreach (var device in Batched)
                device.ReceiveBatchEnd?.Invoke();
            Batched.Clear();
        }
        if (PollList.Count > 0 && !_pollScheduled)
        {
            _pollScheduled = true;
            Softirq.Raise(NetRxAction);
        }
    }

    // True while NetRxAction polls: frames passed up now are handed on as one batch at its end.
    private static bool _inNetRx;
    private static readonly List<NetDevice> Batched = [];

    private static void PollScheduled()
    {
        int rounds = 0;
        while (PollList.Count > 0 && rounds++ < 8)
        {
            foreach (var napi in PollList.ToArray())
            {
                if (!napi.TestBit(NapiLayout.State, NapiLayout.Sched))
                {
                    PollList.Remove(napi);
                    continue;
                }
                var poll = (delegate* unmanaged<nint, int, int>)napi.Ptr(NapiLayout.Poll);
                int weight = napi.I32(NapiLayout.Weight);
                int work = poll(napi, weight);
                Progress.NapiPolled();
                if (work < weight && napi.TestBit(NapiLayout.State, NapiLayout.Sched) && !napi.TestBit(NapiLayout.State, NapiLayout.Missed))
                    continue; // the driver did not complete; poll it again next round
            }
        }
    }

    // The frame being passed up: one buffer, as only the CPU's holder passes frames up and the handler copies it.
    private static byte[] _frameUp = new byte[2048];

    /// <summary>A received packet reaches the stack: the host's device gets the frame, the skb is freed.</summary>
    private static int Receive(nint skb)
    {
        var device = Find(skb.Ptr(SkbLayout.Dev));
        if (device is null)
        {
            SkBuff.Free(skb);
            return 1; // NET_RX_DROP
        }
        var handler = device.Received;
        if (handler is null)
        {
            device.RxDropped++;
            SkBuff.Free(skb);
            return 1;
        }
        int length = SkBuff.FrameLength(skb);
        if (_frameUp.Length < length)
            _frameUp = new byte[length];
        var frame = _frameUp.AsSpan(0, length);
        SkBuff.CopyFrame(skb, frame);
        SkBuff.Free(skb);
        if (frame.Length < 14)
        {
            device.RxDropped++; // no Ethernet header (eth_type_trans pulled none): no protocol takes it
            return 1;
        }
        device.RxFrames++;
        Progress.FramePassedUp();
        if (_inNetRx && !Batched.Contains(device))
            Batched.Add(device);
        handler(frame, _inNetRx);
        return 0;
    }

    /// <summary>skb_defer_rx_timestamp() (net/core/timestamping.c): false, the frame is not held back, when the
    /// device has no PHY (no PHY time stamper can want it); PHY time stamping itself is not emulated.</summary>
    [KernelSymbol("skb_defer_rx_timestamp"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte SkbDeferRxTimestamp(nint skb)
    {
        nint dev = skb.Ptr(SkbLayout.Dev);
        if (dev == 0 || dev.Ptr(NetDevLayout.PhyDev) == 0)
            return 0;
        Machine.Fatal("skb_defer_rx_timestamp: the device has a PHY, and PHY time stamping is not emulated");
        return 0;
    }

    [KernelSymbol("netif_receive_skb"), KernelSymbol("netif_rx"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int NetifReceiveSkb(nint skb) => Receive(skb);

    private const uint GroNormal = 3; // enum gro_result: GRO_NORMAL

    [KernelSymbol("napi_gro_receive"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint NapiGroReceive(nint napi, nint skb)
    {
        Receive(skb);
        return GroNormal;
    }

    [KernelSymbol("napi_get_frags"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint NapiGetFrags(nint napi)
    {
        nint skb = napi.Ptr(NapiLayout.Skb);
        if (skb == 0)
        {
            skb = SkBuff.Alloc(128 + SkbLayout.Pad, SkbLayout.Pad, 0);
            if (skb != 0)
                skb.Ptr(SkbLayout.Dev, napi.Ptr(NapiLayout.Dev));
            napi.Ptr(NapiLayout.Skb, skb);
        }
        return skb;
    }

    [KernelSymbol("napi_gro_frags"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint NapiGroFrags(nint napi)
    {
        nint skb = napi.Ptr(NapiLayout.Skb);
        napi.Ptr(NapiLayout.Skb, 0);
        if (skb == 0)
            return 0;
        skb.U16(SkbLayout.MacHeader, (ushort)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head)));
        Receive(skb);
        return GroNormal;
    }

    private static long _lastRatelimit, _ratelimitCount;

    [KernelSymbol("net_ratelimit"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int NetRatelimit()
    {
        long now = Environment.TickCount64;
        if (now - _lastRatelimit > 5000)
        {
            _lastRatelimit = now;
            _ratelimitCount = 0;
        }
        return ++_ratelimitCount <= 10 ? 1 : 0;
    }

    // net/core/dev.c: min(DEFAULT_MAX_NUM_RSS_QUEUES, online CPUs), and the shim has one CPU.
    [KernelSymbol("netif_get_num_default_rss_queues"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int NetifGetNumDefaultRssQueues() => 1;

    /// <summary>
    /// dev_alloc_name() (net/core/dev.c): the name <paramref name="pattern"/> gives with the lowest free unit
    /// number for its "%d", written to the device; the number, or -EINVAL for an invalid pattern, -ENFILE when
    /// the name is taken.
    /// </summary>
    [KernelSymbol("dev_alloc_name"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevAllocName(nint dev, nint name)
    {
        const int EInval = -22, ENFile = -23, IfNameSize = 16;
        string pattern = Marshal.PtrToStringUTF8(name) ?? "";
        int percent = pattern.IndexOf('%');
        if (pattern.Length == 0 || pattern.Length >= IfNameSize || pattern is "." or ".." || pattern.Any(c => c is '/' or ':' || char.IsWhiteSpace(c))
            || percent >= 0 && (percent + 1 >= pattern.Length || pattern[percent + 1] != 'd' || pattern.IndexOf('%', percent + 2) >= 0))
            return EInval;
        for (int unit = 0; unit < (percent >= 0 ? 32768 : 1); unit++)
        {
            string candidate = percent >= 0 ? pattern[..percent] + unit + pattern[(percent + 2)..] : pattern;
            if (candidate.Length >= IfNameSize)
                break;
            if (Devices.All(d => d.Name != candidate))
            {
                Access.WriteCString(dev.At(NetDevLayout.Name), IfNameSize, candidate);
                return unit;
            }
        }
        return ENFile;
    }

    // napi_gro_flush(): napi_gro_receive() here hands every packet up at once (GRO_NORMAL), so no packet is
    // ever held on the NAPI context's GRO lists and there is nothing to flush.
    [KernelSymbol("napi_gro_flush"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NapiGroFlush(nint napi, byte flushOld) { }
}
