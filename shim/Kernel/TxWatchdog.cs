// SPDX-License-Identifier: MIT
// Managed side. The network core's transmit watchdog (net/sched/sch_generic.c, dev_watchdog): when an
// interface is up with carrier and its transmit queue has been stopped for longer than the driver's
// watchdog_timeo since the last transmit, the core calls the driver's ndo_tx_timeout, which resets
// the chip. Without it a device that stops for a while (a surprise removal and return, a lost
// interrupt) leaves the queue stopped for ever: the fault injection campaign found exactly that.
using System.Runtime.CompilerServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class TxWatchdog
{
    private static Thread? _thread;
    private static readonly Lock Gate = new();

    /// <summary>Starts the watchdog (once per host), as dev_activate arms it for a registered device.</summary>
    internal static void Start()
    {
        lock (Gate)
        {
            if (_thread is not null)
                return;
            _thread = new Thread(Run) { IsBackground = true, Name = "linuxshim-dev-watchdog" };
            _thread.Start();
        }
    }

    private static void Run()
    {
        while (true)
        {
            Thread.Sleep(250);
            foreach (var d in NetCore.Registered.ToArray())
                Cpu.RunSoftirq(() => Check(d.Pointer));
        }
    }

    /// <summary>The transmit queue's trans_start = jiffies (txq_trans_update, after a frame the driver took).</summary>
    internal static void Transmitted(nint dev) => dev.Ptr(NetDevLayout.Tx).U64(TxQueueLayout.TransStart, Time.Jiffies);

    /// <summary>The device's transmit timeouts (its queue's trans_timeout, as sysfs queues/tx-0/tx_timeout shows it).</summary>
    public static ulong TimeoutsOf(nint dev) => dev.Ptr(NetDevLayout.Tx) is var q and not 0 ? q.U64(TxQueueLayout.TransTimeout) : 0;

    private static void Check(nint dev)
    {
        var timeout = (delegate* unmanaged<nint, uint, void>)(dev.Ptr(NetDevLayout.NetdevOps) is var ops and not 0 ? ops.Ptr(NetDevLayout.OpsTxTimeout) : 0);
        if (timeout == null || !dev.TestBit(NetDevLayout.State, NetDevLayout.StateStart) || dev.TestBit(NetDevLayout.State, NetDevLayout.StateNoCarrier))
            return;
        nint queue = dev.Ptr(NetDevLayout.Tx);
        bool stopped = (queue.U64(TxQueueLayout.State) & ((1UL << TxQueueLayout.DrvXoff) | (1UL << TxQueueLayout.StackXoff))) != 0;
        int watchdog = dev.I32(NetDevLayout.WatchdogTimeo);
        ulong limit = watchdog > 0 ? (ulong)watchdog : (ulong)(5 * Machine.Hz); // dev_activate's default: 5 s
        ulong now = Time.Jiffies, last = queue.U64(TxQueueLayout.TransStart);
        if (!stopped || now - last <= limit)
            return;
        Machine.Log(4, $"NETDEV WATCHDOG: {NetCore.Find(dev)?.Name ?? "?"}: transmit queue 0 timed out {(long)(now - last) * 1000 / Machine.Hz} ms");
        queue.U64(TxQueueLayout.TransStart, now); // once per watchdog period, as the core re-arms its timer
        queue.U64(TxQueueLayout.TransTimeout, queue.U64(TxQueueLayout.TransTimeout) + 1); // atomic_long_inc(&txq->trans_timeout)
        timeout(dev, 0);
        Progress.TimerReturned();
    }
}
