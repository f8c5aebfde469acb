// SPDX-License-Identifier: MIT
// Managed side. The counting semaphore's count (include/linux/semaphore.h).
namespace LinuxShim.Shim.Layout;

public static class SemaphoreLayout
{
    private const string H = "linux/semaphore.h";
    public static readonly StructField<uint> Count = KernelLayout.Field<uint>(H, "semaphore", "count");
}
