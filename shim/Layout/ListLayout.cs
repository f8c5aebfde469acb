// SPDX-License-Identifier: MIT
// Managed side. The poison values list_del() leaves in an unlinked entry (include/linux/poison.h).
namespace LinuxShim.Shim.Layout;

public static class ListLayout
{
    private const string H = "linux/poison.h";
    public static readonly ulong PointerDelta = (ulong)KernelLayout.Constant(H, "(long)POISON_POINTER_DELTA", unchecked((long)0xdead000000000000));
    public static readonly ulong Poison1 = 0x100 + PointerDelta;
    public static readonly ulong Poison2 = 0x122 + PointerDelta;
}
