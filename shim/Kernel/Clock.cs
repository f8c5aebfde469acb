// SPDX-License-Identifier: MIT
// Managed side. Clocks, consumer side (drivers/clk/clk.c, clk-devres.c, clk-bulk.c). The machine has no clock
// tree: its device tree names no clock provider, and the devices it hands a driver run whenever the host runs.
// So every clock a driver asks for is one always-on, fixed-rate clock, as if the device tree gave each device
// that clock for every name: clk_get() and friends succeed (even the non-optional ones, so stmmac finds its CSR
// and PTP reference clocks), each call returning a handle of its own (Linux's struct clk per consumer) with its
// prepare and enable counts, which are checked as clk.c checks them (enabling an unprepared clock is refused).
// The rate is 125 MHz: stmmac_clk_csr_set() then picks the 100-150 MHz CSR range (MDC = 125 MHz / 62, about
// 2 MHz, within IEEE 802.3's 2.5 MHz), and as PTP reference clock it ticks every 8 ns. A NULL clock (what the
// optional getters return for an absent clock) is accepted everywhere and has rate 0, as in Linux.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Clock
{
    /// <summary>The rate of the machine's one clock, in Hz.</summary>
    public const ulong Rate = 125_000_000;

    private const int ENoMem = 12, EShutdown = 108;

    private sealed class Handle(nint dev, string? name)
    {
        public readonly nint Dev = dev;
        public readonly string? Name = name;
        public int Prepared, Enabled;
    }

    private static readonly Dictionary<nint, Handle> Handles = [];

    private static bool IsErr(nint p) => (ulong)p >= unchecked((ulong)-4095);

    private static Handle? Find(nint clk, string caller)
    {
        if (clk == 0)
            return null;
        lock (Handles)
            if (Handles.TryGetValue(clk, out var h))
                return h;
        Machine.Fatal($"{caller}(0x{clk:x}): not a clock of this host");
        return null;
    }

    /// <summary>clk_get(): a new handle on the machine's clock for <paramref name="dev"/>'s clock <paramref name="id"/>.</summary>
    public static nint Get(nint dev, nint id)
    {
        if (FaultInjection.Fail("slab"))
            return -ENoMem;
        nint clk = (nint)NativeMemory.AllocZeroed(16); // opaque to the driver: only its address is used
        lock (Handles)
            Handles[clk] = new Handle(dev, Access.CString(id));
        return clk;
    }

    /// <summary>clk_put(): the handle is gone (NULL and error pointers are ignored, as clk.c does).</summary>
    public static void Put(nint clk)
    {
        if (clk == 0 || IsErr(clk))
            return;
        if (Find(clk, "clk_put") is null)
            return;
        lock (Handles)
            Handles.Remove(clk);
        NativeMemory.Free((void*)clk);
    }

    /// <summary>Prepare and enable counts of a handle (tests).</summary>
    public static (int Prepared, int Enabled) Counts(nint clk)
    {
        lock (Handles)
            return Handles.TryGetValue(clk, out var h) ? (h.Prepared, h.Enabled) : (0, 0);
    }

    [KernelSymbol("clk_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint ClkGet(nint dev, nint id) => Get(dev, id);

    [KernelSymbol("clk_get_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint ClkGetOptional(nint dev, nint id) => Get(dev, id);

    [KernelSymbol("clk_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClkPut(nint clk) => Put(clk);

    // clk-devres.c: put when the driver goes.
    [KernelSymbol("devm_clk_get"), KernelSymbol("devm_clk_get_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmClkGet(nint dev, nint id)
    {
        nint clk = Get(dev, id);
        if (!IsErr(clk))
            Devres.Add(dev, clk, () => Put(clk));
        return clk;
    }

    [KernelSymbol("clk_prepare"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClkPrepare(nint clk) => Prepare(clk);

    public static int Prepare(nint clk)
    {
        if (Find(clk, "clk_prepare") is { } h)
            h.Prepared++;
        return 0;
    }

    [KernelSymbol("clk_unprepare"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClkUnprepare(nint clk) => Unprepare(clk);

    public static void Unprepare(nint clk)
    {
        if (Find(clk, "clk_unprepare") is not { } h)
            return;
        if (h.Prepared == 0)
        {
            Machine.Log(4, $"WARNING: clk_unprepare: {h.Name ?? "clock"} already unprepared");
            return;
        }
        if (h.Prepared == 1 && h.Enabled > 0)
            Machine.Log(4, $"WARNING: clk_unprepare: unpreparing enabled {h.Name ?? "clock"}");
        h.Prepared--;
    }

    [KernelSymbol("clk_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClkEnable(nint clk) => Enable(clk);

    /// <summary>clk_enable(): 0, or -ESHUTDOWN for a clock not prepared (clk_core_enable() refuses, with a warning).</summary>
    public static int Enable(nint clk)
    {
        if (Find(clk, "clk_enable") is not { } h)
            return 0;
        if (h.Prepared == 0)
        {
            Machine.Log(4, $"WARNING: clk_enable: enabling unprepared {h.Name ?? "clock"}");
            return -EShutdown;
        }
        h.Enabled++;
        return 0;
    }

    [KernelSymbol("clk_disable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClkDisable(nint clk) => Disable(clk);

    public static void Disable(nint clk)
    {
        if (Find(clk, "clk_disable") is not { } h)
            return;
        if (h.Enabled == 0)
        {
            Machine.Log(4, $"WARNING: clk_disable: {h.Name ?? "clock"} already disabled");
            return;
        }
        h.Enabled--;
    }

    [KernelSymbol("clk_get_rate"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong ClkGetRate(nint clk) => GetRate(clk);

    public static ulong GetRate(nint clk) => Find(clk, "clk_get_rate") is null ? 0 : Rate;

    // A fixed-rate clock cannot change: clk_set_rate() to its rate succeeds, to another fails (-EINVAL, as a
    // fixed-rate provider without .set_rate leaves clk_core_set_rate_nolock() no way to get there).
    [KernelSymbol("clk_set_rate"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClkSetRate(nint clk, ulong rate) => Find(clk, "clk_set_rate") is null || rate == Rate ? 0 : -22;

    // clk-bulk.c: each entry's clock got by its id; on a failure the ones got are put again.
    [KernelSymbol("clk_bulk_get"), KernelSymbol("clk_bulk_get_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClkBulkGet(nint dev, int count, nint clks)
    {
        for (int i = 0; i < count; i++)
            Entry(clks, i).Ptr(ClockLayout.BulkClk, 0);
        for (int i = 0; i < count; i++)
        {
            nint clk = Get(dev, Entry(clks, i).Ptr(ClockLayout.BulkId));
            if (IsErr(clk))
            {
                for (int j = i - 1; j >= 0; j--)
                {
                    Put(Entry(clks, j).Ptr(ClockLayout.BulkClk));
                    Entry(clks, j).Ptr(ClockLayout.BulkClk, 0);
                }
                return (int)clk;
            }
            Entry(clks, i).Ptr(ClockLayout.BulkClk, clk);
        }
        return 0;
    }

    [KernelSymbol("clk_bulk_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClkBulkPut(int count, nint clks)
    {
        for (int i = count - 1; i >= 0; i--)
        {
            Put(Entry(clks, i).Ptr(ClockLayout.BulkClk));
            Entry(clks, i).Ptr(ClockLayout.BulkClk, 0);
        }
    }

    [KernelSymbol("clk_bulk_prepare"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClkBulkPrepare(int count, nint clks)
    {
        for (int i = 0; i < count; i++)
            Prepare(Entry(clks, i).Ptr(ClockLayout.BulkClk));
        return 0;
    }

    [KernelSymbol("clk_bulk_unprepare"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClkBulkUnprepare(int count, nint clks)
    {
        for (int i = count - 1; i >= 0; i--)
            Unprepare(Entry(clks, i).Ptr(ClockLayout.BulkClk));
    }

    // clk_bulk_enable(): all or none; the ones enabled before a failure are disabled again.
    [KernelSymbol("clk_bulk_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClkBulkEnable(int count, nint clks)
    {
        for (int i = 0; i < count; i++)
        {
            int r = Enable(Entry(clks, i).Ptr(ClockLayout.BulkClk));
            if (r != 0)
            {
                for (int j = i - 1; j >= 0; j--)
                    Disable(Entry(clks, j).Ptr(ClockLayout.BulkClk));
                return r;
            }
        }
        return 0;
    }

    [KernelSymbol("clk_bulk_disable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClkBulkDisable(int count, nint clks)
    {
        for (int i = count - 1; i >= 0; i--)
            Disable(Entry(clks, i).Ptr(ClockLayout.BulkClk));
    }

    private static nint Entry(nint clks, int i) => clks + i * ClockLayout.BulkSize.Size;
}
