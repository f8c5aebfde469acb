// SPDX-License-Identifier: MIT
// Managed side. Fields of the PCI and device-model structures the shim touches.
namespace LinuxShim.Shim.Layout;

public static class DeviceLayout
{
    private const string H = "linux/device.h";
    public static readonly StructField Parent = KernelLayout.Field(H, "device", "parent");
    public static readonly StructField KobjName = KernelLayout.Field(H, "device", "kobj.name");
    public static readonly StructField InitName = KernelLayout.Field(H, "device", "init_name");
    public static readonly StructField Driver = KernelLayout.Field(H, "device", "driver");
    public static readonly StructField DriverData = KernelLayout.Field(H, "device", "driver_data");
    public static readonly StructField DmaMask = KernelLayout.Field(H, "device", "dma_mask");
    public static readonly StructField CoherentDmaMask = KernelLayout.Field(H, "device", "coherent_dma_mask");
    public static readonly StructField DriverName = KernelLayout.Field(H, "device_driver", "name");
    public static readonly StructField PowerUsageCount = KernelLayout.Field(H, "device", "power.usage_count");
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "device");
}

public static class PmQosLayout
{
    private const string H = "linux/pm_qos.h";
    public static readonly StructField RequestQos = KernelLayout.Field(H, "pm_qos_request", "qos");
    public static readonly StructField RequestPrio = KernelLayout.Field(H, "pm_qos_request", "node.prio");
    public static readonly StructSize Constraints = KernelLayout.SizeOf(H, "pm_qos_constraints");
}

public static class PciLayout
{
    private const string H = "linux/pci.h";
    public static readonly StructSize Dev = KernelLayout.SizeOf(H, "pci_dev");
    public static readonly StructSize Bus = KernelLayout.SizeOf(H, "pci_bus");
    public static readonly StructField DevBus = KernelLayout.Field(H, "pci_dev", "bus");
    public static readonly StructField Devfn = KernelLayout.Field(H, "pci_dev", "devfn");
    public static readonly StructField Vendor = KernelLayout.Field(H, "pci_dev", "vendor");
    public static readonly StructField Device = KernelLayout.Field(H, "pci_dev", "device");
    public static readonly StructField SubVendor = KernelLayout.Field(H, "pci_dev", "subsystem_vendor");
    public static readonly StructField SubDevice = KernelLayout.Field(H, "pci_dev", "subsystem_device");
    public static readonly StructField Class = KernelLayout.Field(H, "pci_dev", "class");
    public static readonly StructField Revision = KernelLayout.Field(H, "pci_dev", "revision");
    public static readonly StructField Irq = KernelLayout.Field(H, "pci_dev", "irq");
    public static readonly StructField DmaMask = KernelLayout.Field(H, "pci_dev", "dma_mask");
    public static readonly StructField CurrentState = KernelLayout.Field(H, "pci_dev", "current_state");
    public static readonly StructField DevDriver = KernelLayout.Field(H, "pci_dev", "driver");
    public static readonly StructField EmbeddedDevice = KernelLayout.Field(H, "pci_dev", "dev");
    public static readonly StructField Resource = KernelLayout.Field(H, "pci_dev", "resource");
    public static readonly StructField IsBusmaster = KernelLayout.Field(H, "pci_dev", "is_busmaster");
    public static readonly StructField EnableCnt = KernelLayout.Field(H, "pci_dev", "enable_cnt");
    public static readonly StructField ErrorState = KernelLayout.Field(H, "pci_dev", "error_state");
    public static readonly StructField PcieCap = KernelLayout.Field(H, "pci_dev", "pcie_cap");
    public static readonly StructField PcieFlagsReg = KernelLayout.Field(H, "pci_dev", "pcie_flags_reg");
    public static readonly StructField PmCap = KernelLayout.Field(H, "pci_dev", "pm_cap");
    public static readonly StructField MsiCap = KernelLayout.Field(H, "pci_dev", "msi_cap");
    public static readonly StructField MsixCap = KernelLayout.Field(H, "pci_dev", "msix_cap");
    public static readonly uint ChannelIoNormal = (uint)KernelLayout.Constant(H, "pci_channel_io_normal", 1);
    public static readonly StructField BusNumber = KernelLayout.Field(H, "pci_bus", "number");
    public static readonly StructField BusBridge = KernelLayout.Field(H, "pci_bus", "bridge");

    public static readonly StructSize ResourceSize = KernelLayout.SizeOf("linux/ioport.h", "resource");
    public static readonly StructField ResourceStart = KernelLayout.Field("linux/ioport.h", "resource", "start");
    public static readonly StructField ResourceEnd = KernelLayout.Field("linux/ioport.h", "resource", "end");
    public static readonly StructField ResourceFlags = KernelLayout.Field("linux/ioport.h", "resource", "flags");
    public static readonly StructField ResourceName = KernelLayout.Field("linux/ioport.h", "resource", "name");
    public static readonly ulong IoResource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_IO", 0x100);
    public static readonly ulong MemResource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_MEM", 0x200);
    public static readonly ulong Mem64Resource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_MEM_64", 0x100000);

    public static readonly StructField DriverName = KernelLayout.Field(H, "pci_driver", "name");
    public static readonly StructField DriverIdTable = KernelLayout.Field(H, "pci_driver", "id_table");
    public static readonly StructField DriverProbe = KernelLayout.Field(H, "pci_driver", "probe");
    public static readonly StructField DriverRemove = KernelLayout.Field(H, "pci_driver", "remove");
    public static readonly StructField DriverShutdown = KernelLayout.Field(H, "pci_driver", "shutdown");
    public static readonly StructField DriverCore = KernelLayout.Field(H, "pci_driver", "driver");

    private const string M = "linux/mod_devicetable.h";
    public static readonly StructSize IdSize = KernelLayout.SizeOf(M, "pci_device_id");
    public static readonly StructField IdVendor = KernelLayout.Field(M, "pci_device_id", "vendor");
    public static readonly StructField IdDevice = KernelLayout.Field(M, "pci_device_id", "device");
    public static readonly StructField IdSubVendor = KernelLayout.Field(M, "pci_device_id", "subvendor");
    public static readonly StructField IdSubDevice = KernelLayout.Field(M, "pci_device_id", "subdevice");
    public static readonly StructField IdClass = KernelLayout.Field(M, "pci_device_id", "class");
    public static readonly StructField IdClassMask = KernelLayout.Field(M, "pci_device_id", "class_mask");
}
