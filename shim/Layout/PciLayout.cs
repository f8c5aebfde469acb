// SPDX-License-Identifier: MIT
// Managed side. Fields of the PCI and device-model structures the shim touches.
namespace LinuxShim.Shim.Layout;

public static class DeviceLayout
{
    private const string H = "linux/device.h";
    public static readonly StructField<nint> Parent = KernelLayout.Field<nint>(H, "device", "parent");
    public static readonly StructField<nint> KobjName = KernelLayout.Field<nint>(H, "device", "kobj.name");
    public static readonly StructField<nint> InitName = KernelLayout.Field<nint>(H, "device", "init_name");
    public static readonly StructField<nint> Driver = KernelLayout.Field<nint>(H, "device", "driver");
    public static readonly StructField<nint> DriverData = KernelLayout.Field<nint>(H, "device", "driver_data");
    public static readonly StructField<nint> DmaMask = KernelLayout.Field<nint>(H, "device", "dma_mask");
    public static readonly StructField<ulong> CoherentDmaMask = KernelLayout.Field<ulong>(H, "device", "coherent_dma_mask");
    public static readonly StructField<nint> DriverName = KernelLayout.Field<nint>(H, "device_driver", "name");
    public static readonly StructField<int> PowerUsageCount = KernelLayout.Field<int>(H, "device", "power.usage_count");
    public static readonly StructSize Size = KernelLayout.SizeOf(H, "device");
}

public static class PmQosLayout
{
    private const string H = "linux/pm_qos.h";
    public static readonly StructField<nint> RequestQos = KernelLayout.Field<nint>(H, "pm_qos_request", "qos");
    public static readonly StructField<int> RequestPrio = KernelLayout.Field<int>(H, "pm_qos_request", "node.prio");
    public static readonly StructSize Constraints = KernelLayout.SizeOf(H, "pm_qos_constraints");
}

public static class PciLayout
{
    private const string H = "linux/pci.h";
    public static readonly StructSize Dev = KernelLayout.SizeOf(H, "pci_dev");
    public static readonly StructSize Bus = KernelLayout.SizeOf(H, "pci_bus");
    public static readonly StructField<nint> DevBus = KernelLayout.Field<nint>(H, "pci_dev", "bus");
    public static readonly StructField<uint> Devfn = KernelLayout.Field<uint>(H, "pci_dev", "devfn");
    public static readonly StructField<ushort> Vendor = KernelLayout.Field<ushort>(H, "pci_dev", "vendor");
    public static readonly StructField<ushort> Device = KernelLayout.Field<ushort>(H, "pci_dev", "device");
    public static readonly StructField<ushort> SubVendor = KernelLayout.Field<ushort>(H, "pci_dev", "subsystem_vendor");
    public static readonly StructField<ushort> SubDevice = KernelLayout.Field<ushort>(H, "pci_dev", "subsystem_device");
    public static readonly StructField<uint> Class = KernelLayout.Field<uint>(H, "pci_dev", "class");
    public static readonly StructField<byte> Revision = KernelLayout.Field<byte>(H, "pci_dev", "revision");
    public static readonly StructField<uint> Irq = KernelLayout.Field<uint>(H, "pci_dev", "irq");
    public static readonly StructField<ulong> DmaMask = KernelLayout.Field<ulong>(H, "pci_dev", "dma_mask");
    public static readonly StructField<int> CurrentState = KernelLayout.Field<int>(H, "pci_dev", "current_state");
    public static readonly StructField<nint> DevDriver = KernelLayout.Field<nint>(H, "pci_dev", "driver");
    public static readonly StructField EmbeddedDevice = KernelLayout.Field(H, "pci_dev", "dev");
    public static readonly StructField Resource = KernelLayout.Field(H, "pci_dev", "resource");
    public static readonly BitField IsBusmaster = KernelLayout.BitField(H, "pci_dev", "is_busmaster");
    public static readonly StructField<int> EnableCnt = KernelLayout.Field<int>(H, "pci_dev", "enable_cnt");
    public static readonly StructField<uint> ErrorState = KernelLayout.Field<uint>(H, "pci_dev", "error_state");
    public static readonly StructField<byte> PcieCap = KernelLayout.Field<byte>(H, "pci_dev", "pcie_cap");
    public static readonly StructField<ushort> PcieFlagsReg = KernelLayout.Field<ushort>(H, "pci_dev", "pcie_flags_reg");
    public static readonly StructField<byte> PmCap = KernelLayout.Field<byte>(H, "pci_dev", "pm_cap");
    public static readonly StructField<byte> MsiCap = KernelLayout.Field<byte>(H, "pci_dev", "msi_cap");
    public static readonly StructField<byte> MsixCap = KernelLayout.Field<byte>(H, "pci_dev", "msix_cap");
    public static readonly uint ChannelIoNormal = (uint)KernelLayout.Constant(H, "pci_channel_io_normal", 1);
    public static readonly StructField<byte> BusNumber = KernelLayout.Field<byte>(H, "pci_bus", "number");
    public static readonly StructField<nint> BusBridge = KernelLayout.Field<nint>(H, "pci_bus", "bridge");

    public static readonly StructSize ResourceSize = KernelLayout.SizeOf("linux/ioport.h", "resource");
    public static readonly StructField<ulong> ResourceStart = KernelLayout.Field<ulong>("linux/ioport.h", "resource", "start");
    public static readonly StructField<ulong> ResourceEnd = KernelLayout.Field<ulong>("linux/ioport.h", "resource", "end");
    public static readonly StructField<ulong> ResourceFlags = KernelLayout.Field<ulong>("linux/ioport.h", "resource", "flags");
    public static readonly StructField<nint> ResourceName = KernelLayout.Field<nint>("linux/ioport.h", "resource", "name");
    public static readonly ulong IoResource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_IO", 0x100);
    public static readonly ulong MemResource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_MEM", 0x200);
    public static readonly ulong Mem64Resource = (ulong)KernelLayout.Constant("linux/ioport.h", "IORESOURCE_MEM_64", 0x100000);

    public static readonly StructField<nint> DriverName = KernelLayout.Field<nint>(H, "pci_driver", "name");
    public static readonly StructField<nint> DriverIdTable = KernelLayout.Field<nint>(H, "pci_driver", "id_table");
    public static readonly StructField<nint> DriverProbe = KernelLayout.Field<nint>(H, "pci_driver", "probe");
    public static readonly StructField<nint> DriverRemove = KernelLayout.Field<nint>(H, "pci_driver", "remove");
    public static readonly StructField<nint> DriverShutdown = KernelLayout.Field<nint>(H, "pci_driver", "shutdown");
    public static readonly StructField DriverCore = KernelLayout.Field(H, "pci_driver", "driver");

    private const string M = "linux/mod_devicetable.h";
    public static readonly StructSize IdSize = KernelLayout.SizeOf(M, "pci_device_id");
    public static readonly StructField<uint> IdVendor = KernelLayout.Field<uint>(M, "pci_device_id", "vendor");
    public static readonly StructField<uint> IdDevice = KernelLayout.Field<uint>(M, "pci_device_id", "device");
    public static readonly StructField<uint> IdSubVendor = KernelLayout.Field<uint>(M, "pci_device_id", "subvendor");
    public static readonly StructField<uint> IdSubDevice = KernelLayout.Field<uint>(M, "pci_device_id", "subdevice");
    public static readonly StructField<uint> IdClass = KernelLayout.Field<uint>(M, "pci_device_id", "class");
    public static readonly StructField<uint> IdClassMask = KernelLayout.Field<uint>(M, "pci_device_id", "class_mask");
}
