// SPDX-License-Identifier: MIT
// Managed side. The XArray (linux/xarray.h): the head inline helpers read (xa_empty()).
namespace LinuxShim.Shim.Layout;

public static class XarrayLayout
{
    public static readonly StructField<nint> Head = KernelLayout.Field<nint>("linux/xarray.h", "xarray", "xa_head");
}
