// SPDX-License-Identifier: MIT
// Managed side. Platform devices and drivers (linux/platform_device.h, linux/mod_devicetable.h): what
// platform_device_register_full() reads of its struct platform_device_info, the struct platform_device it
// makes, and what platform_match() compares of a struct platform_driver.
namespace LinuxShim.Shim.Layout;

public static class PlatformLayout
{
    private const string H = "linux/platform_device.h";
    public static readonly StructField InfoParent = KernelLayout.Field(H, "platform_device_info", "parent");
    public static readonly StructField InfoFwnode = KernelLayout.Field(H, "platform_device_info", "fwnode");
    public static readonly StructField InfoName = KernelLayout.Field(H, "platform_device_info", "name");
    public static readonly StructField InfoId = KernelLayout.Field(H, "platform_device_info", "id");
    public static readonly StructField InfoRes = KernelLayout.Field(H, "platform_device_info", "res");
    public static readonly StructField InfoNumRes = KernelLayout.Field(H, "platform_device_info", "num_res");
    public static readonly StructField InfoData = KernelLayout.Field(H, "platform_device_info", "data");
    public static readonly StructField InfoSizeData = KernelLayout.Field(H, "platform_device_info", "size_data");
    public static readonly StructField InfoDmaMask = KernelLayout.Field(H, "platform_device_info", "dma_mask");
    public static readonly StructField InfoProperties = KernelLayout.Field(H, "platform_device_info", "properties");

    public static readonly StructSize DeviceSize = KernelLayout.SizeOf(H, "platform_device");
    public static readonly StructField Name = KernelLayout.Field(H, "platform_device", "name");
    public static readonly StructField Id = KernelLayout.Field(H, "platform_device", "id");
    public static readonly StructField IdAuto = KernelLayout.Field(H, "platform_device", "id_auto");
    public static readonly StructField Dev = KernelLayout.Field(H, "platform_device", "dev");
    public static readonly StructField PlatformDmaMask = KernelLayout.Field(H, "platform_device", "platform_dma_mask");
    public static readonly StructField PlatformData = KernelLayout.Field("linux/device.h", "device", "platform_data");

    public static readonly StructField DriverName = KernelLayout.Field(H, "platform_driver", "driver.name");
    public static readonly StructField DriverIdTable = KernelLayout.Field(H, "platform_driver", "id_table");
    public static readonly StructSize IdSize = KernelLayout.SizeOf("linux/mod_devicetable.h", "platform_device_id");
    public static readonly StructField IdName = KernelLayout.Field("linux/mod_devicetable.h", "platform_device_id", "name");

    public static readonly int DevidNone = (int)KernelLayout.Constant(H, "PLATFORM_DEVID_NONE", -1);
    public static readonly int DevidAuto = (int)KernelLayout.Constant(H, "PLATFORM_DEVID_AUTO", -2);
}
