// SPDX-License-Identifier: MIT
// Managed side. Confidential computing attributes (arch/x86/coco/core.c): the driver host's machine is
// no encrypted guest (no SEV, no TDX), so every attribute is absent, as on bare metal. asm/io.h asks for
// CC_ATTR_GUEST_UNROLL_STRING_IO before each string port access (insw/outsw, used by 8390-based NICs).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static class Coco
{
    [KernelSymbol("cc_platform_has"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte CcPlatformHas(uint attribute) => 0;
}
