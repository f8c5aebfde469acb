// SPDX-License-Identifier: MIT
// Managed side. PTP hardware clocks (drivers/ptp/ptp_clock.c): a driver host has no /dev/ptpN, no
// clock ids and no PPS, so it is a kernel built without CONFIG_PTP_1588_CLOCK, whose ptp_clock_register()
// returns NULL, which include/linux/ptp_clock_kernel.h tells drivers to handle as "no PHC support";
// they then keep no clock, and no other PTP call can name one.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Ptp
{
    [KernelSymbol("ptp_clock_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PtpClockRegister(nint info, nint parent) => 0;

    [KernelSymbol("ptp_clock_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PtpClockUnregister(nint ptp) => Foreign(ptp, 0);

    [KernelSymbol("ptp_clock_index"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PtpClockIndex(nint ptp) => Foreign(ptp, -1);

    // No clock was ever handed out: anything but NULL is not a clock of this kernel.
    private static int Foreign(nint ptp, int none)
    {
        if (ptp != 0)
            Machine.Fatal($"0x{ptp:x} is not a PTP clock: ptp_clock_register() registers none here");
        return none;
    }
}
