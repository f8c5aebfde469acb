// SPDX-License-Identifier: MIT
// Managed side. CPU masks (lib/cpumask.c) of the machine's one CPU: nr_cpu_ids is 1 (shim/native/runtime.c),
// so a mask is one unsigned long, and Debian's CONFIG_CPUMASK_OFFSTACK makes cpumask_var_t an allocation.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Cpumask
{
    /// <summary>nr_cpu_ids (and so nr_cpumask_bits under CONFIG_CPUMASK_OFFSTACK).</summary>
    public const int CpuIds = 1;

    /// <summary>cpumask_size(): bitmap_size(nr_cpumask_bits), whole unsigned longs.</summary>
    public const int Size = (CpuIds + 63) / 64 * 8;

    /// <summary>The first set bit of <paramref name="mask"/> after <paramref name="n"/> (cpumask_next()), or <see cref="CpuIds"/>.</summary>
    public static uint NextSet(int n, ulong* mask, int bits = CpuIds)
    {
        for (int i = n + 1; i < bits; i++)
            if ((mask[i / 64] >> (i % 64) & 1) != 0)
                return (uint)i;
        return (uint)bits;
    }

    /// <summary>cpumask_next_wrap(): the next set CPU after <paramref name="n"/>, wrapping once past the end; nr_cpumask_bits when the walk from <paramref name="start"/> is complete.</summary>
    public static uint NextWrap(int n, ulong* mask, int start, bool wrap, int bits = CpuIds)
    {
        while (true)
        {
            uint next = NextSet(n, mask, bits);
            if (wrap && n < start && next >= start)
                return (uint)bits;
            if (next < bits)
                return next;
            if (wrap && n == -1)
                return (uint)bits; // an empty mask, walked once round
            wrap = true;
            n = -1;
        }
    }

    [KernelSymbol("cpumask_next_wrap"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint CpumaskNextWrap(int n, ulong* mask, int start, byte wrap) => NextWrap(n, mask, start, wrap != 0);

    [KernelSymbol("alloc_cpumask_var_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte AllocCpumaskVarNode(nint* mask, uint gfp, int node)
    {
        *mask = Memory.Allocate(Size, gfp);
        return (byte)(*mask != 0 ? 1 : 0);
    }

    [KernelSymbol("free_cpumask_var"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreeCpumaskVar(nint mask) => Memory.Free(mask);
}
