// SPDX-License-Identifier: MIT
// Managed side. DMI/SMBIOS identification (drivers/firmware/dmi_scan.c). A driver host is given no
// firmware tables, so every DMI field is unknown, and a field that is not known never matches
// (dmi_matches()): dmi_check_system() calls no callback and finds no system in the table. Drivers use
// it for quirks of particular boards, which then stay off.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Dmi
{
    [KernelSymbol("dmi_check_system"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DmiCheckSystem(nint list) => 0;
}
