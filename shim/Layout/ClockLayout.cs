// SPDX-License-Identifier: MIT
// Managed side. The consumer side of the common clock framework (include/linux/clk.h): struct clk is opaque to
// drivers; the bulk calls take an array of struct clk_bulk_data (a connection id and the clock got for it).
namespace LinuxShim.Shim.Layout;

public static class ClockLayout
{
    private const string H = "linux/clk.h";
    public static readonly StructSize BulkSize = KernelLayout.SizeOf(H, "clk_bulk_data");
    public static readonly StructField<nint> BulkId = KernelLayout.Field<nint>(H, "clk_bulk_data", "id");
    public static readonly StructField<nint> BulkClk = KernelLayout.Field<nint>(H, "clk_bulk_data", "clk");
}
