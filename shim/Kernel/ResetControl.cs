// SPDX-License-Identifier: MIT
// Managed side. Reset controllers, consumer side (drivers/reset/core.c). No reset controller exists on this
// machine, so the getters (shim/native/reset.c: their arguments differ between kernels) answer NULL for an
// optional request and an error pointer otherwise. Every reset_control_*() call accepts NULL as a reset line
// that needs nothing (0) and refuses an error pointer (-EINVAL, with a warning); no call ever gets a reset
// control, so one passed in is not this host's.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class ResetControl
{
    private const int EInval = 22;

    private static bool IsErr(nint p) => (ulong)p >= unchecked((ulong)-4095);

    /// <summary>What reset_control_assert() and friends answer for <paramref name="rstc"/>: 0 for NULL, -EINVAL for an error pointer.</summary>
    private static int Operate(nint rstc, string caller)
    {
        if (rstc == 0)
            return 0;
        if (IsErr(rstc))
        {
            Machine.Log(4, $"WARNING: {caller} of an error pointer ({(long)rstc})");
            return -EInval;
        }
        Machine.Fatal($"{caller}(0x{rstc:x}): not a reset control of this host (it has none)");
        return -EInval;
    }

    [KernelSymbol("reset_control_assert"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ResetControlAssert(nint rstc) => Operate(rstc, "reset_control_assert");

    [KernelSymbol("reset_control_deassert"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ResetControlDeassert(nint rstc) => Operate(rstc, "reset_control_deassert");

    [KernelSymbol("reset_control_reset"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ResetControlReset(nint rstc) => Operate(rstc, "reset_control_reset");

    // NULL and error pointers are ignored.
    [KernelSymbol("reset_control_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ResetControlPut(nint rstc)
    {
        if (rstc != 0 && !IsErr(rstc))
            Machine.Fatal($"reset_control_put(0x{rstc:x}): not a reset control of this host (it has none)");
    }
}
