// SPDX-License-Identifier: MIT
// Managed side. The device-tree structures the shim unflattens a DTB into and answers of_*/fwnode_* calls
// over (include/linux/of.h, fwnode.h, mod_devicetable.h), and the device and driver fields those calls read.
// struct device_node and struct property are defined whatever CONFIG_OF says (a PCI driver's layout has them
// too); their sizes are the configured headers' (CONFIG_OF_KOBJ adds a kobject to each).
namespace LinuxShim.Shim.Layout;

public static class OfLayout
{
    private const string H = "linux/of.h";
    public static readonly StructSize NodeSize = KernelLayout.SizeOf(H, "device_node");
    public static readonly StructField<nint> NodeName = KernelLayout.Field<nint>(H, "device_node", "name");
    public static readonly StructField<uint> NodePhandle = KernelLayout.Field<uint>(H, "device_node", "phandle");
    public static readonly StructField<nint> NodeFullName = KernelLayout.Field<nint>(H, "device_node", "full_name");
    public static readonly StructField NodeFwnode = KernelLayout.Field(H, "device_node", "fwnode");
    public static readonly StructField<nint> NodeProperties = KernelLayout.Field<nint>(H, "device_node", "properties");
    public static readonly StructField<nint> NodeParent = KernelLayout.Field<nint>(H, "device_node", "parent");
    public static readonly StructField<nint> NodeChild = KernelLayout.Field<nint>(H, "device_node", "child");
    public static readonly StructField<nint> NodeSibling = KernelLayout.Field<nint>(H, "device_node", "sibling");

    public static readonly StructSize PropertySize = KernelLayout.SizeOf(H, "property");
    public static readonly StructField<nint> PropertyName = KernelLayout.Field<nint>(H, "property", "name");
    public static readonly StructField<int> PropertyLength = KernelLayout.Field<int>(H, "property", "length");
    public static readonly StructField<nint> PropertyValue = KernelLayout.Field<nint>(H, "property", "value");
    public static readonly StructField<nint> PropertyNext = KernelLayout.Field<nint>(H, "property", "next");

    // struct of_phandle_args, what __of_parse_phandle_with_args() fills.
    public static readonly StructField<nint> PhandleArgsNode = KernelLayout.Field<nint>(H, "of_phandle_args", "np");
    public static readonly StructField<int> PhandleArgsCount = KernelLayout.Field<int>(H, "of_phandle_args", "args_count");
    public static readonly StructField PhandleArgsArgs = KernelLayout.Field(H, "of_phandle_args", "args");
    public static readonly int MaxPhandleArgs = (int)KernelLayout.Constant(H, "MAX_PHANDLE_ARGS", 16);

    private const string M = "linux/mod_devicetable.h";
    public static readonly StructSize IdSize = KernelLayout.SizeOf(M, "of_device_id");
    public static readonly StructField IdName = KernelLayout.Field(M, "of_device_id", "name");
    public static readonly StructField IdType = KernelLayout.Field(M, "of_device_id", "type");
    public static readonly StructField IdCompatible = KernelLayout.Field(M, "of_device_id", "compatible");
    public static readonly StructField<nint> IdData = KernelLayout.Field<nint>(M, "of_device_id", "data");

    private const string D = "linux/device.h";
    public static readonly StructField<nint> DeviceOfNode = KernelLayout.Field<nint>(D, "device", "of_node");
    public static readonly StructField<nint> DeviceFwnode = KernelLayout.Field<nint>(D, "device", "fwnode");
    public static readonly StructField<nint> DeviceDriver = KernelLayout.Field<nint>(D, "device", "driver");
    public static readonly BitField DeviceOfNodeReused = KernelLayout.BitField(D, "device", "of_node_reused");
    public static readonly StructField<nint> DriverOfMatchTable = KernelLayout.Field<nint>(D, "device_driver", "of_match_table");
}

/// <summary>struct fwnode_handle (include/linux/fwnode.h), and what fwnode_property_get_reference_args() fills.</summary>
public static class FwnodeLayout
{
    private const string H = "linux/fwnode.h";
    public static readonly StructField<nint> Secondary = KernelLayout.Field<nint>(H, "fwnode_handle", "secondary");
    public static readonly StructField<nint> Ops = KernelLayout.Field<nint>(H, "fwnode_handle", "ops");
    public static readonly StructField<nint> SuppliersNext = KernelLayout.Field<nint>(H, "fwnode_handle", "suppliers.next");
    public static readonly StructField<nint> SuppliersPrev = KernelLayout.Field<nint>(H, "fwnode_handle", "suppliers.prev");
    public static readonly StructField<nint> ConsumersNext = KernelLayout.Field<nint>(H, "fwnode_handle", "consumers.next");
    public static readonly StructField<nint> ConsumersPrev = KernelLayout.Field<nint>(H, "fwnode_handle", "consumers.prev");

    public static readonly StructSize RefArgsSize = KernelLayout.SizeOf(H, "fwnode_reference_args");
    public static readonly StructField<nint> RefArgsFwnode = KernelLayout.Field<nint>(H, "fwnode_reference_args", "fwnode");
    public static readonly StructField<uint> RefArgsCount = KernelLayout.Field<uint>(H, "fwnode_reference_args", "nargs");
    public static readonly StructField RefArgsArgs = KernelLayout.Field(H, "fwnode_reference_args", "args");
    public static readonly int MaxReferenceArgs = (int)KernelLayout.Constant(H, "NR_FWNODE_REFERENCE_ARGS", 16);

    // The operations the managed fwnode_* calls dispatch to when the node is not one of the device tree's (the
    // device tree's own are answered directly): what drivers/base/property.c calls through fwnode->ops.
    private const string O = "fwnode_operations";
    public static readonly StructField<nint> OpGet = KernelLayout.Field<nint>(H, O, "get");
    public static readonly StructField<nint> OpPut = KernelLayout.Field<nint>(H, O, "put");
    public static readonly StructField<nint> OpDeviceIsAvailable = KernelLayout.Field<nint>(H, O, "device_is_available");
    public static readonly StructField<nint> OpPropertyPresent = KernelLayout.Field<nint>(H, O, "property_present");
    public static readonly StructField<nint> OpPropertyReadIntArray = KernelLayout.Field<nint>(H, O, "property_read_int_array");
    public static readonly StructField<nint> OpPropertyReadStringArray = KernelLayout.Field<nint>(H, O, "property_read_string_array");
    public static readonly StructField<nint> OpGetNamedChildNode = KernelLayout.Field<nint>(H, O, "get_named_child_node");
    public static readonly StructField<nint> OpGetReferenceArgs = KernelLayout.Field<nint>(H, O, "get_reference_args");
}
