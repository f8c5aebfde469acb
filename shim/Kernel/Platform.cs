// SPDX-License-Identifier: MIT
// Managed side. The platform bus (drivers/base/platform.c): devices that are not on a discoverable bus, described
// by the board. A driver host's board is the device tree it was granted with its driver (the port's .dts, compiled
// at port build): every granted vfio-user platform device backs one node of it, whose "reg" entries are the
// device's MMIO regions by index and whose first interrupt is the device's line, as vfio-platform hands a device
// to its user. Drivers register their platform drivers at module init and bind as Linux binds them
// (platform_match(): the driver's of_match_table against the node, else its id table, else its name); drivers
// also register their own devices (niu's "niu-board", fixed_phy's "Fixed MDIO bus"), which bind the same way.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.DeviceTree;
using LinuxShim.Shim.Layout;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Platform
{
    private const int ENxio = -6, ENoMem = -12, EBusy = -16, EInval = -22, EProbeDefer = -517;
    private const ulong ResourceTypeBits = 0x1f00;

    private static readonly Dictionary<nint, DeviceModel.Driver> Drivers = [];
    private static readonly HashSet<nint> Devices = [];
    private static readonly SortedSet<int> AutoIds = [];
    private static readonly Dictionary<int, IPciFunction> Lines = [];

    // Interrupt numbers of platform devices' lines: above the PCI functions' (16 on), as a board's GIC numbers
    // are their own; only their equality matters to drivers.
    private const int FirstIrq = 64;
    private static int _nextIrq = FirstIrq;

    private static DeviceModel.Bus? _bus;

    /// <summary>The platform bus in the driver model (registered on first use).</summary>
    public static DeviceModel.Bus Bus
    {
        get
        {
            if (_bus is null)
            {
                _bus = new DeviceModel.Bus(0, "platform") { Match = Match, Probe = Probe, Remove = Remove };
                DriverCore.Model.RegisterBus(_bus);
            }
            return _bus;
        }
    }

    /// <summary>The function whose line is platform interrupt <paramref name="irq"/>, or null.</summary>
    public static IPciFunction? LineOf(int irq)
    {
        lock (Lines)
            return Lines.GetValueOrDefault(irq);
    }

    /// <summary>"NAME", "NAME.ID" or, for PLATFORM_DEVID_AUTO's id, "NAME.ID.auto": platform_device_add()'s names.</summary>
    public static string DeviceName(string name, int id, bool auto) =>
        id == PlatformLayout.DevidNone ? name : auto ? $"{name}.{id}.auto" : $"{name}.{id}";

    /// <summary>The name of_device_make_bus_id() gives a device-tree node's device: its first register address in
    /// hex, a dot, the node's name ("fe2a0000.ethernet"); the name alone for a node without "reg".</summary>
    public static string NodeDeviceName(DeviceTreeNode node) =>
        node.Reg() is [var first, ..] ? $"{first.Address:x}.{node.Name}" : node.Name;

    /// <summary>The nodes a granted platform device can back, in tree order: available nodes with "compatible" and
    /// "reg" among the root's children and the children of "simple-bus" nodes there (of_platform_default_populate()'s
    /// nodes, less those without registers, which no granted device backs).</summary>
    public static IReadOnlyList<DeviceTreeNode> DeviceNodes(FlattenedDeviceTree tree)
    {
        var nodes = new List<DeviceTreeNode>();
        void Walk(DeviceTreeNode parent)
        {
            foreach (var child in parent.Children)
            {
                if (!child.IsAvailable || child.Compatible.Count == 0)
                    continue;
                if (child.Compatible.Contains("simple-bus"))
                    Walk(child);
                else if (child.Property("reg") is not null)
                    nodes.Add(child);
            }
        }
        Walk(tree.Root);
        return nodes;
    }

    /// <summary>The smallest automatic id not in use (ida_alloc()); taken until <see cref="FreeAutoId"/>.</summary>
    public static int AllocateAutoId()
    {
        lock (AutoIds)
        {
            int id = 0;
            while (AutoIds.Contains(id))
                id++;
            AutoIds.Add(id);
            return id;
        }
    }

    public static void FreeAutoId(int id)
    {
        lock (AutoIds)
            AutoIds.Remove(id);
    }

    private static nint PdevOf(DeviceModel.Device device) => device.Pointer - PlatformLayout.Dev.Offset;

    private static nint PdrvOf(DeviceModel.Driver driver) => driver.Pointer - PlatformLayout.Driver.Offset;

    /// <summary>platform_match() without driver_override (only sysfs and driver_set_override() set it, neither
    /// offered) and without ACPI: the driver's of_match_table against the device's node, then its id table (the
    /// entry that matched becomes pdev->id_entry), then the driver's name.</summary>
    private static int Match(DeviceModel.Device device, DeviceModel.Driver driver)
    {
        nint pdev = PdevOf(device), pdrv = PdrvOf(driver);
        nint np = device.Pointer.Ptr(PlatformLayout.OfNode), table = driver.Pointer.Ptr(PlatformLayout.DriverOfMatchTable);
        if (np != 0 && table != 0 && OpenFirmware.Match(table, np) != 0)
            return 1;
        string? name = Access.CString(pdev.Ptr(PlatformLayout.Name));
        if (pdrv.Ptr(PlatformLayout.DriverIdTable) is var id and not 0)
        {
            for (; *(byte*)id.At(PlatformLayout.IdName) != 0; id += PlatformLayout.IdSize.Size)
                if (Access.CString(id.At(PlatformLayout.IdName)) == name)
                {
                    pdev.Ptr(PlatformLayout.IdEntry, id);
                    return 1;
                }
            return 0;
        }
        return driver.Name == name ? 1 : 0;
    }

    /// <summary>platform_probe(): the driver's probe with the platform device. Nothing here probes again later, so a
    /// probe deferred (-EPROBE_DEFER: it waits for a provider) stays unbound, and says so.</summary>
    private static int Probe(DeviceModel.Device device)
    {
        nint pdev = PdevOf(device);
        nint probe = PdrvOf(device.Driver!).Ptr(PlatformLayout.DriverProbe);
        int r = probe == 0 ? 0 : ((delegate* unmanaged<nint, int>)probe)(pdev);
        if (r == EProbeDefer)
            Machine.Log(4, $"{device.Name}: probe deferred: no provider of what it waits for exists on this board; it stays unbound");
        return r;
    }

    /// <summary>platform_remove(): remove_new when set, else remove (6.1's int remove, whose result only warns).</summary>
    private static void Remove(DeviceModel.Device device)
    {
        nint pdrv = PdrvOf(device.Driver!), pdev = PdevOf(device);
        nint remove = pdrv.Ptr(PlatformLayout.DriverRemoveNew);
        if (remove == 0)
            remove = pdrv.Ptr(PlatformLayout.DriverRemove);
        if (remove != 0)
            ((delegate* unmanaged<nint, void>)remove)(pdev);
    }

    [KernelSymbol("__platform_driver_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformDriverRegister(nint pdrv, nint owner)
    {
        nint drv = pdrv.At(PlatformLayout.Driver);
        var driver = new DeviceModel.Driver(drv, Access.CString(pdrv.Ptr(PlatformLayout.DriverName)) ?? "", Bus);
        lock (Drivers)
        {
            if (Drivers.ContainsKey(pdrv))
            {
                Machine.Log(3, $"Error: Driver '{driver.Name}' is already registered, aborting...");
                return EBusy; // driver_register()'s answer
            }
            Drivers[pdrv] = driver;
        }
        int r = DriverCore.Model.RegisterDriver(driver);
        if (r != 0)
        {
            lock (Drivers)
                Drivers.Remove(pdrv);
            if (r == EBusy)
                Machine.Log(3, $"Error: Driver '{driver.Name}' is already registered, aborting...");
        }
        return r;
    }

    [KernelSymbol("platform_driver_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PlatformDriverUnregister(nint pdrv)
    {
        DeviceModel.Driver? driver;
        lock (Drivers)
            Drivers.Remove(pdrv, out driver);
        if (driver is null)
            Machine.Fatal($"platform_driver_unregister(0x{pdrv:x}): the driver is not registered");
        else
            DriverCore.Model.UnregisterDriver(driver);
    }

    public static bool IsRegistered(nint pdrv)
    {
        lock (Drivers)
            return Drivers.ContainsKey(pdrv);
    }

    // platform_device_alloc(): the device and its name in one allocation (platform_object), one reference, released
    // by Release; 32-bit DMA masks unless given.
    private static nint Allocate(string name, ulong dmaMask)
    {
        int nameBytes = System.Text.Encoding.UTF8.GetByteCount(name) + 1;
        nint pdev = Memory.Allocate(PlatformLayout.DeviceSize.Size + nameBytes, GfpFlags.Zero);
        if (pdev == 0)
            return 0;
        nint dev = pdev.At(PlatformLayout.Dev);
        Access.WriteCString(pdev + PlatformLayout.DeviceSize.Size, nameBytes, name);
        pdev.Ptr(PlatformLayout.Name, pdev + PlatformLayout.DeviceSize.Size);
        var device = DriverCore.Initialize(dev);
        device.Bus = Bus;
        dev.Ptr(DeviceModelLayout.Release, (nint)(delegate* unmanaged[Cdecl]<nint, void>)&Release);
        ulong mask = dmaMask != 0 ? dmaMask : uint.MaxValue;
        pdev.U64(PlatformLayout.PlatformDmaMask, mask);
        dev.U64(DeviceLayout.CoherentDmaMask, mask);
        dev.Ptr(DeviceLayout.DmaMask, pdev.At(PlatformLayout.PlatformDmaMask));
        return pdev;
    }

    private static nint CString(string s)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(s) + 1;
        nint p = Memory.Allocate(n, 0);
        if (p != 0)
            Access.WriteCString(p, n, s);
        return p;
    }

    // platform_device_add(): the device's name, then device_add() (which binds it if a driver matches).
    private static int Add(nint pdev, string devName)
    {
        nint dev = pdev.At(PlatformLayout.Dev);
        nint kobjName = CString(devName);
        dev.Ptr(DeviceLayout.KobjName, kobjName);
        if (kobjName == 0)
            return ENoMem;
        lock (Devices)
            Devices.Add(pdev);
        int err = DriverCore.Add(dev);
        if (err != 0)
            lock (Devices)
                Devices.Remove(pdev);
        return err;
    }

    /// <summary>
    /// platform_device_register_full(): a platform device named after <paramref name="info"/> (platform_device_alloc(),
    /// platform_device_add_data(), platform_device_add()): DMA masks of 32 bits unless the info gives one, a copy of
    /// the platform data, the parent given. Resources, software-node properties and firmware nodes are not modelled
    /// and end the host (no caller here passes them). An error comes back as ERR_PTR().
    /// </summary>
    [KernelSymbol("platform_device_register_full"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PlatformDeviceRegisterFull(nint info)
    {
        if (info.U32(PlatformLayout.InfoNumRes) != 0 || info.Ptr(PlatformLayout.InfoProperties) != 0 || info.Ptr(PlatformLayout.InfoFwnode) != 0)
        {
            Machine.Fatal($"platform_device_register_full({Access.CString(info.Ptr(PlatformLayout.InfoName))}): resources, properties and firmware nodes are not modelled");
            return EInval;
        }
        string name = Access.CString(info.Ptr(PlatformLayout.InfoName)) ?? "";
        nint pdev = Allocate(name, info.U64(PlatformLayout.InfoDmaMask));
        if (pdev == 0)
            return ENoMem;
        nint dev = pdev.At(PlatformLayout.Dev);
        dev.Ptr(DeviceLayout.Parent, info.Ptr(PlatformLayout.InfoParent));
        nint data = info.Ptr(PlatformLayout.InfoData);
        long size = (long)info.U64(PlatformLayout.InfoSizeData);
        if (data != 0 && size > 0)
        {
            nint copy = Memory.Allocate(size, 0);
            if (copy == 0)
            {
                Put(dev);
                return ENoMem;
            }
            Buffer.MemoryCopy((void*)data, (void*)copy, size, size);
            dev.Ptr(PlatformLayout.PlatformData, copy);
        }
        int id = info.I32(PlatformLayout.InfoId);
        bool auto = id == PlatformLayout.DevidAuto;
        if (auto)
        {
            id = AllocateAutoId();
            pdev.U8(PlatformLayout.IdAuto, 1);
        }
        pdev.I32(PlatformLayout.Id, id);
        int err = Add(pdev, DeviceName(name, id, auto));
        if (err != 0)
        {
            if (auto)
                FreeAutoId(id);
            Put(dev);
            return err;
        }
        return pdev;
    }

    /// <summary>
    /// A platform device for device-tree node <paramref name="node"/>, backed by the granted <paramref name="function"/>
    /// (of_platform_device_create() over vfio-platform): named as of_device_make_bus_id() names it, dev->of_node and
    /// dev->fwnode its node, one IORESOURCE_MEM resource per "reg" entry (region i of the function, mapped where
    /// its registers are reached; named by "reg-names"), and one IORESOURCE_IRQ resource for the node's first
    /// interrupt (the function's line; named by "interrupt-names"). Added to the bus before any driver registers,
    /// it binds when its driver does. A node the function cannot back is an error that names what is missing.
    /// </summary>
    public static nint AddGranted(IPciFunction function, DeviceTreeNode node)
    {
        var reg = node.Reg() ?? [];
        var regNames = node.Property("reg-names")?.Strings() ?? [];
        var irqNames = node.Property("interrupt-names")?.Strings() ?? [];
        bool hasIrq = node.Property("interrupts") is not null || node.Property("interrupts-extended") is not null;
        if (irqNames.Count > 1)
            throw new InvalidDataException($"{node.Path}: {irqNames.Count} interrupts named; a granted platform device has one line");
        for (int i = 0; i < reg.Count; i++)
        {
            if (i >= function.Bars.Count || function.Bars[i].Size == 0)
                throw new InvalidDataException($"{node.Path}: reg entry {i} has no region {i} on the granted device");
            if (reg[i].Size > function.Bars[i].Size)
                throw new InvalidDataException($"{node.Path}: reg entry {i} is 0x{reg[i].Size:x} bytes, the device's region {i} only 0x{function.Bars[i].Size:x}");
        }
        if (hasIrq && function.IrqCount(PciIrqKind.Intx) == 0)
            throw new InvalidDataException($"{node.Path}: the node has an interrupt, the granted device no line");

        nint np = OpenFirmware.Node(node);
        nint pdev = Allocate(node.Name, 0);
        if (pdev == 0)
            throw new OutOfMemoryException($"{node.Path}: no memory for its platform device");
        nint dev = pdev.At(PlatformLayout.Dev);
        dev.Ptr(PlatformLayout.OfNode, np);
        dev.Ptr(PlatformLayout.Fwnode, OpenFirmware.Fwnode(np));
        pdev.I32(PlatformLayout.Id, PlatformLayout.DevidNone);

        int count = reg.Count + (hasIrq ? 1 : 0);
        nint resources = count == 0 ? 0 : Memory.Allocate(count * PlatformLayout.ResourceSize, GfpFlags.Zero);
        for (int i = 0; i < reg.Count; i++)
        {
            nint r = resources + i * PlatformLayout.ResourceSize;
            nint start = Io.MapBar(function, function.Bars[i]);
            r.U64(PciLayout.ResourceStart, (ulong)start);
            r.U64(PciLayout.ResourceEnd, (ulong)start + reg[i].Size - 1);
            r.U64(PciLayout.ResourceFlags, PciLayout.MemResource);
            r.Ptr(PciLayout.ResourceName, CString(i < regNames.Count ? regNames[i] : node.FullName));
        }
        if (hasIrq)
        {
            int irq;
            lock (Lines)
            {
                irq = _nextIrq++;
                Lines[irq] = function;
            }
            nint r = resources + reg.Count * PlatformLayout.ResourceSize;
            r.U64(PciLayout.ResourceStart, (ulong)irq);
            r.U64(PciLayout.ResourceEnd, (ulong)irq);
            r.U64(PciLayout.ResourceFlags, PlatformLayout.IrqResource);
            r.Ptr(PciLayout.ResourceName, CString(irqNames.Count > 0 ? irqNames[0] : node.FullName));
        }
        pdev.Ptr(PlatformLayout.Resources, resources);
        pdev.U32(PlatformLayout.NumResources, (uint)count);
        int err = Add(pdev, NodeDeviceName(node));
        if (err != 0)
            throw new InvalidOperationException($"{node.Path}: its platform device was not added (error {err})");
        return pdev;
    }

    // ---- resources (drivers/base/platform.c) ----

    private static IEnumerable<nint> ResourcesOf(nint pdev, ulong type)
    {
        nint res = pdev.Ptr(PlatformLayout.Resources);
        uint n = pdev.U32(PlatformLayout.NumResources);
        for (int i = 0; i < n; i++)
        {
            nint r = res + i * PlatformLayout.ResourceSize;
            if ((r.U64(PciLayout.ResourceFlags) & ResourceTypeBits) == type)
                yield return r;
        }
    }

    [KernelSymbol("platform_get_resource"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PlatformGetResource(nint pdev, uint type, uint num) => GetResource(pdev, type, num);

    private static nint GetResource(nint pdev, ulong type, uint num) => ResourcesOf(pdev, type).Skip((int)num).FirstOrDefault();

    [KernelSymbol("platform_get_resource_byname"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PlatformGetResourceByname(nint pdev, uint type, nint name) => ResourceByName(pdev, type, Access.CString(name));

    private static nint ResourceByName(nint pdev, ulong type, string? name) =>
        ResourcesOf(pdev, type).FirstOrDefault(r => name is not null && Access.CString(r.Ptr(PciLayout.ResourceName)) == name);

    [KernelSymbol("platform_irq_count"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformIrqCount(nint pdev) => ResourcesOf(pdev, PlatformLayout.IrqResource).Count();

    [KernelSymbol("platform_get_irq_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformGetIrqOptional(nint pdev, uint num) => Irq(pdev, num);

    private static int Irq(nint pdev, uint num) =>
        GetResource(pdev, PlatformLayout.IrqResource, num) is var r and not 0 ? (int)r.U64(PciLayout.ResourceStart) : ENxio;

    [KernelSymbol("platform_get_irq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformGetIrq(nint pdev, uint num)
    {
        int r = Irq(pdev, num);
        if (r < 0)
            Machine.Log(3, $"{DeviceName(pdev)}: IRQ index {num} not found");
        return r;
    }

    [KernelSymbol("platform_get_irq_byname_optional"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformGetIrqBynameOptional(nint pdev, nint name) => IrqByName(pdev, Access.CString(name));

    private static int IrqByName(nint pdev, string? name) =>
        ResourceByName(pdev, PlatformLayout.IrqResource, name) is var r and not 0 ? (int)r.U64(PciLayout.ResourceStart) : ENxio;

    [KernelSymbol("platform_get_irq_byname"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PlatformGetIrqByname(nint pdev, nint name)
    {
        int r = IrqByName(pdev, Access.CString(name));
        if (r < 0)
            Machine.Log(3, $"{DeviceName(pdev)}: IRQ {Access.CString(name)} not found");
        return r;
    }

    private static string DeviceName(nint pdev) => Access.CString(pdev.At(PlatformLayout.Dev).Ptr(DeviceLayout.KobjName)) ?? "platform";

    /// <summary>devm_ioremap_resource() (lib/devres.c): a memory resource mapped for the device's lifetime, or
    /// ERR_PTR(-EINVAL) for a missing or non-memory one, -ENOMEM when it cannot be mapped.</summary>
    [KernelSymbol("devm_ioremap_resource"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmIoremapResource(nint dev, nint res) => IoremapResource(dev, res);

    private static nint IoremapResource(nint dev, nint res)
    {
        string name = Access.CString(dev.Ptr(DeviceLayout.KobjName)) ?? "device";
        if (res == 0 || (res.U64(PciLayout.ResourceFlags) & ResourceTypeBits) != PciLayout.MemResource)
        {
            Machine.Log(3, $"{name}: invalid resource");
            return EInval;
        }
        ulong start = res.U64(PciLayout.ResourceStart), size = res.U64(PciLayout.ResourceEnd) - start + 1;
        nint p = ((delegate* unmanaged[Cdecl]<nint, ulong, ulong, nint>)&Devres.DevmIoremap)(dev, start, size);
        if (p == 0)
        {
            Machine.Log(3, $"{name}: ioremap failed for resource {Access.CString(res.Ptr(PciLayout.ResourceName))}");
            return ENoMem;
        }
        return p;
    }

    [KernelSymbol("devm_platform_ioremap_resource"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmPlatformIoremapResource(nint pdev, uint index) =>
        IoremapResource(pdev.At(PlatformLayout.Dev), GetResource(pdev, PciLayout.MemResource, index));

    [KernelSymbol("devm_platform_get_and_ioremap_resource"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmPlatformGetAndIoremapResource(nint pdev, uint index, nint* res)
    {
        nint r = GetResource(pdev, PciLayout.MemResource, index);
        if (res != null)
            *res = r;
        return IoremapResource(pdev.At(PlatformLayout.Dev), r);
    }

    [KernelSymbol("devm_platform_ioremap_resource_byname"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevmPlatformIoremapResourceByname(nint pdev, nint name) =>
        IoremapResource(pdev.At(PlatformLayout.Dev), ResourceByName(pdev, PciLayout.MemResource, Access.CString(name)));

    /// <summary>platform_device_unregister(): platform_device_del() (the device leaves the bus, unbound first; an
    /// automatic id is freed) and platform_device_put(); the last reference releases it.</summary>
    [KernelSymbol("platform_device_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PlatformDeviceUnregister(nint pdev)
    {
        if (pdev == 0 || (ulong)pdev >= unchecked((ulong)-4095L)) // IS_ERR_OR_NULL()
            return;
        lock (Devices)
            if (!Devices.Remove(pdev))
            {
                Machine.Fatal($"platform_device_unregister(0x{pdev:x}): not a registered platform device");
                return;
            }
        nint dev = pdev.At(PlatformLayout.Dev);
        if (DriverCore.Find(dev) is { } device)
            DriverCore.Model.DeleteDevice(device);
        if (pdev.U8(PlatformLayout.IdAuto) != 0)
        {
            FreeAutoId(pdev.I32(PlatformLayout.Id));
            pdev.I32(PlatformLayout.Id, PlatformLayout.DevidAuto);
        }
        Put(dev);
    }

    private static void Put(nint dev)
    {
        if (DriverCore.Find(dev) is { } device)
            DriverCore.Model.Put(device);
    }

    public static bool IsDevice(nint pdev)
    {
        lock (Devices)
            return Devices.Contains(pdev);
    }

    // platform_device_release(): the platform data, the name the device was given, the resources and the object.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Release(nint dev)
    {
        nint pdev = dev - PlatformLayout.Dev.Offset;
        Memory.Free(dev.Ptr(PlatformLayout.PlatformData));
        Memory.Free(dev.Ptr(DeviceLayout.KobjName));
        Memory.Free(pdev.Ptr(PlatformLayout.Resources));
        Memory.Free(pdev);
    }
}
