// SPDX-License-Identifier: MIT
// Managed side. Dynamic per-CPU memory (mm/percpu.c). On the shim's one CPU, whose per-CPU offset is 0
// (shim/native/percpu.c), a per-CPU area is one zeroed block: per_cpu_ptr(p, 0) and this_cpu_ptr(p)
// are p itself.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static class Percpu
{
    private const int PcpuMinUnitSize = 4096 * 8; // mm/percpu.c refuses larger areas (PCPU_MIN_UNIT_SIZE)

    /// <summary>__alloc_percpu(): a zeroed area for CPU 0, or NULL (size 0 or over the unit size, alignment not a power of two up to a page).</summary>
    [KernelSymbol("__alloc_percpu"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocPercpu(nuint size, nuint align) => Allocate(size, align);

    public static nint Allocate(nuint size, nuint align)
    {
        if (align < 2)
            align = 2; // as pcpu_alloc(): the unit allocator works in 2-byte steps
        if (size == 0 || size > PcpuMinUnitSize || align > 4096 || (align & (align - 1)) != 0)
        {
            Machine.Log(4, $"illegal size ({size}) or align ({align}) for percpu allocation");
            return 0;
        }
        return Memory.Allocate((long)size, GfpFlags.Zero, (int)Math.Max(align, 8));
    }

    // __devm_alloc_percpu() (drivers/base/devres.c): freed when the driver goes.
    [KernelSymbol("__devm_alloc_percpu"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmAllocPercpu(nint dev, nuint size, nuint align)
    {
        nint p = Allocate(size, align);
        if (p != 0)
            Devres.Add(dev, p, () => Memory.Free(p));
        return p;
    }

    [KernelSymbol("free_percpu"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FreePercpu(nint p) => Memory.Free(p);
}
