// SPDX-License-Identifier: MIT
// Managed side. Platform devices and drivers (linux/platform_device.h, linux/mod_devicetable.h): what
// platform_device_register_full() reads of its struct platform_device_info, the struct platform_device it
// makes, and what platform_match() compares of a struct platform_driver.
namespace LinuxShim.Shim.Layout;

public static class PlatformLayout
{
    private const string H = "linux/platform_device.h";
    public static readonly StructField<nint> InfoParent = KernelLayout.Field<nint>(H, "platform_device_info", "parent");
    public static readonly StructField<nint> InfoFwnode = KernelLayout.Field<nint>(H, "platform_device_info", "fwnode");
    public static readonly StructField<nint> InfoName = KernelLayout.Field<nint>(H, "platform_device_info", "name");
    public static readonly StructField<int> InfoId = KernelLayout.Field<int>(H, "platform_device_info", "id");
    public static readonly StructField<nint> InfoRes = KernelLayout.Field<nint>(H, "platform_device_info", "res");
    public static readonly StructField<uint> InfoNumRes = KernelLayout.Field<uint>(H, "platform_device_info", "num_res");
    public static readonly StructField<nint> InfoData = KernelLayout.Field<nint>(H, "platform_device_info", "data");
    public static readonly StructField<ulong> InfoSizeData = KernelLayout.Field<ulong>(H, "platform_device_info", "size_data");
    public static readonly StructField<ulong> InfoDmaMask = KernelLayout.Field<ulong>(H, "platform_device_info", "dma_mask");
    public static readonly StructField<nint> InfoProperties = KernelLayout.Field<nint>(H, "platform_device_info", "properties");

    public static readonly StructSize DeviceSize = KernelLayout.SizeOf(H, "platform_device");
    public static readonly StructField<nint> Name = KernelLayout.Field<nint>(H, "platform_device", "name");
    public static readonly StructField<int> Id = KernelLayout.Field<int>(H, "platform_device", "id");
    public static readonly StructField<byte> IdAuto = KernelLayout.Field<byte>(H, "platform_device", "id_auto");
    public static readonly StructField Dev = KernelLayout.Field(H, "platform_device", "dev");
    public static readonly StructField<ulong> PlatformDmaMask = KernelLayout.Field<ulong>(H, "platform_device", "platform_dma_mask");
    public static readonly StructField<nint> PlatformData = KernelLayout.Field<nint>("linux/device.h", "device", "platform_data");

    public static readonly StructField<uint> NumResources = KernelLayout.Field<uint>(H, "platform_device", "num_resources");
    public static readonly StructField<nint> Resources = KernelLayout.Field<nint>(H, "platform_device", "resource");
    public static int ResourceSize => PciLayout.ResourceSize.Size;
    public static readonly StructField<nint> OfNode = KernelLayout.Field<nint>("linux/device.h", "device", "of_node");
    public static readonly StructField<nint> Fwnode = KernelLayout.Field<nint>("linux/device.h", "device", "fwnode");
    public static readonly StructField<nint> IdEntry = KernelLayout.Field<nint>(H, "platform_device", "id_entry");
    public static readonly StructField<nint> DriverOfMatchTable = KernelLayout.Field<nint>("linux/device.h", "device_driver", "of_match_table");
    public static readonly ulong IrqResource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_IRQ", 0x400);

    public static readonly StructField<nint> DriverProbe = KernelLayout.Field<nint>(H, "platform_driver", "probe");
    // 6.1 has int (*remove)() beside void (*remove_new)(); 6.12 one union of two void (*)() names. remove_new is
    // called when set, else remove (whose int result platform_remove() ignores but for a warning).
    public static readonly StructField<nint> DriverRemove = KernelLayout.Field<nint>(H, "platform_driver", "remove");
    public static readonly StructField<nint> DriverRemoveNew = KernelLayout.Field<nint>(H, "platform_driver", "remove_new");
    public static readonly StructField Driver = KernelLayout.Field(H, "platform_driver", "driver");
    public static readonly StructField<nint> DriverName = KernelLayout.Field<nint>(H, "platform_driver", "driver.name");
    public static readonly StructField<nint> DriverIdTable = KernelLayout.Field<nint>(H, "platform_driver", "id_table");
    public static readonly StructSize IdSize = KernelLayout.SizeOf("linux/mod_devicetable.h", "platform_device_id");
    public static readonly StructField IdName = KernelLayout.Field("linux/mod_devicetable.h", "platform_device_id", "name");

    public static readonly int DevidNone = (int)KernelLayout.Constant(H, "PLATFORM_DEVID_NONE", -1);
    public static readonly int DevidAuto = (int)KernelLayout.Constant(H, "PLATFORM_DEVID_AUTO", -2);
}
