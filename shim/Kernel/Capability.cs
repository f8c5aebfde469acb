// SPDX-License-Identifier: MIT
// Managed side. POSIX capabilities (kernel/capability.c). The code a driver host runs on behalf of
// others (ioctls, ethtool requests) comes from the supervisor's clients, which hold no capability of
// the host's kernel: capable() answers false, and the driver refuses privileged requests (-EPERM), as
// Linux does for an unprivileged caller.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Capability
{
    [KernelSymbol("capable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte Capable(int cap) => 0;
}
