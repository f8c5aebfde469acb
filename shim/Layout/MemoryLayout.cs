// SPDX-License-Identifier: MIT
// Managed side. Fields of the memory-management structures the shim touches.
namespace LinuxShim.Shim.Layout;

public static class PageLayout
{
    private const string H = "linux/mm_types.h";
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "page");
    public static readonly StructField<int> RefCount = KernelLayout.Field<int>(H, "page", "_refcount");
}

public static class PageFragLayout
{
    private const string H = "linux/mm_types_task.h";
    public static readonly StructField<nint> Page = KernelLayout.Field<nint>(H, "page_frag", "page");
    public static readonly StructField<uint> Offset = KernelLayout.Field<uint>(H, "page_frag", "offset");
    public static readonly StructField<uint> Size = KernelLayout.Field<uint>(H, "page_frag", "size");
}

public static class GfpFlags
{
    private const string H = "linux/gfp.h";
    public static readonly uint Zero = (uint)KernelLayout.Constant(H, "___GFP_ZERO", 0x100);
}
