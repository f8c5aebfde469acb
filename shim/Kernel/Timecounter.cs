// SPDX-License-Identifier: MIT
// Managed side. Time counters (kernel/time/timecounter.c): nanoseconds kept from a free-running
// cycle counter the driver reads (a NIC's SYSTIM), with the sub-nanosecond remainder carried in
// frac, and cycle stamps from before or after the last read turned into time.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Timecounter
{
    private static ulong ReadCycles(nint cc) => ((delegate* unmanaged<nint, ulong>)cc.Ptr(TimecounterLayout.CcRead))(cc);

    /// <summary>cyclecounter_cyc2ns(): cycles to nanoseconds, the remainder below 1 ns kept in <paramref name="frac"/>.</summary>
    public static ulong CyclesToNs(uint mult, uint shift, ulong cycles, ulong mask, ref ulong frac)
    {
        ulong ns = cycles * mult + frac;
        frac = ns & mask;
        return ns >> (int)shift;
    }

    [KernelSymbol("timecounter_init"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void TimecounterInit(nint tc, nint cc, ulong startTstamp)
    {
        tc.Ptr(TimecounterLayout.Cc, cc);
        tc.U64(TimecounterLayout.CycleLast, ReadCycles(cc));
        tc.U64(TimecounterLayout.Nsec, startTstamp);
        tc.U64(TimecounterLayout.Mask, (1UL << (int)cc.U32(TimecounterLayout.CcShift)) - 1);
        tc.U64(TimecounterLayout.Frac, 0);
    }

    [KernelSymbol("timecounter_read"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong TimecounterRead(nint tc)
    {
        nint cc = tc.Ptr(TimecounterLayout.Cc);
        ulong now = ReadCycles(cc);
        ulong delta = (now - tc.U64(TimecounterLayout.CycleLast)) & cc.U64(TimecounterLayout.CcMask);
        ulong frac = tc.U64(TimecounterLayout.Frac);
        ulong ns = CyclesToNs(cc.U32(TimecounterLayout.CcMult), cc.U32(TimecounterLayout.CcShift), delta, tc.U64(TimecounterLayout.Mask), ref frac);
        tc.U64(TimecounterLayout.Frac, frac);
        tc.U64(TimecounterLayout.CycleLast, now);
        ulong nsec = tc.U64(TimecounterLayout.Nsec) + ns;
        tc.U64(TimecounterLayout.Nsec, nsec);
        return nsec;
    }

    /// <summary>timecounter_cyc2time(): a stamp up to half the counter's range before the last read counts backwards.</summary>
    public static ulong CyclesToTime(ulong cycleLast, ulong nsec, ulong frac, ulong tcMask, ulong ccMask, uint mult, uint shift, ulong stamp)
    {
        ulong delta = (stamp - cycleLast) & ccMask;
        if (delta > ccMask / 2)
        {
            delta = (cycleLast - stamp) & ccMask;
            return nsec - ((delta * mult - frac) >> (int)shift);
        }
        return nsec + CyclesToNs(mult, shift, delta, tcMask, ref frac);
    }

    [KernelSymbol("timecounter_cyc2time"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static ulong TimecounterCyc2Time(nint tc, ulong cycleTstamp)
    {
        nint cc = tc.Ptr(TimecounterLayout.Cc);
        return CyclesToTime(tc.U64(TimecounterLayout.CycleLast), tc.U64(TimecounterLayout.Nsec), tc.U64(TimecounterLayout.Frac),
            tc.U64(TimecounterLayout.Mask), cc.U64(TimecounterLayout.CcMask), cc.U32(TimecounterLayout.CcMult), cc.U32(TimecounterLayout.CcShift), cycleTstamp);
    }
}
