// SPDX-License-Identifier: MIT
// Managed side. The Linux driver model (drivers/base: bus.c, dd.c, core.c, driver.c): buses, the drivers
// registered on them and the devices added to them; a device added to a bus is matched against the bus's
// drivers and probed, a driver registered on a bus against the bus's unbound devices; removing either
// unbinds (the bus's or the driver's remove, then the device's managed resources), and a device's last
// reference runs its release. The virtio bus runs on it: virtio_pci adds a virtio device, the bus matches
// virtio_net to it and probes it. The PCI bus keeps its own core (PciCore).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

/// <summary>The rules of drivers/base, over managed records of buses, drivers and devices (testable alone).</summary>
public sealed class DeviceModel
{
    private const int EInval = -22, EBusy = -16, EExist = -17, ENoDev = -19, ENxio = -6;

    public sealed class Bus(nint pointer, string name)
    {
        public nint Pointer { get; } = pointer;
        public string Name { get; } = name;
        /// <summary>bus->match: &gt;0 matches, 0 does not, &lt;0 error; null: every driver matches.</summary>
        public Func<Device, Driver, int>? Match { get; init; }
        public Func<Device, int>? Probe { get; init; }
        public Action<Device>? Remove { get; init; }
        internal readonly List<Device> Devices = [];
        internal readonly List<Driver> Drivers = [];
    }

    public sealed class Driver(nint pointer, string name, Bus bus)
    {
        public nint Pointer { get; } = pointer;
        public string Name { get; } = name;
        public Bus Bus { get; } = bus;
        public Func<Device, int>? Probe { get; init; }
        public Action<Device>? Remove { get; init; }
    }

    public sealed class Device(nint pointer, string name = "", Bus? bus = null)
    {
        public nint Pointer { get; } = pointer;
        public string Name { get; internal set; } = name;
        public Bus? Bus { get; internal set; } = bus;
        public Driver? Driver { get; internal set; }
        public Device? Parent { get; internal set; }
        public int References { get; internal set; } = 1;
        public bool Added { get; internal set; }
        /// <summary>What the last put_device() runs (dev->release, else its type's or class's).</summary>
        public Action? Release { get; set; }
    }

    private readonly List<Bus> _buses = [];

    /// <summary>Called when a device gains (driver) or loses (null) its driver: dev->driver in memory.</summary>
    public Action<Device, Driver?> DriverChanged { get; init; } = (_, _) => { };

    /// <summary>Called when a device lost its driver, after its remove: devres_release_all().</summary>
    public Action<Device> ReleaseResources { get; init; } = _ => { };

    public Action<string> Log { get; init; } = _ => { };

    public IReadOnlyList<Bus> Buses => _buses;

    public int RegisterBus(Bus bus)
    {
        if (_buses.Any(b => b.Name == bus.Name))
            return EExist; // kset_register: the name is taken
        _buses.Add(bus);
        return 0;
    }

    /// <summary>bus_unregister(): what is left on the bus is detached, as its kset goes.</summary>
    public void UnregisterBus(Bus bus)
    {
        foreach (var driver in bus.Drivers.ToList())
            UnregisterDriver(driver);
        _buses.Remove(bus);
    }

    /// <summary>driver_register(): the bus must be registered and the name free; then every unbound device of the
    /// bus is matched and probed (driver_attach()), in the order the devices were added.</summary>
    public int RegisterDriver(Driver driver)
    {
        if (!_buses.Contains(driver.Bus))
            return EInval; // "Driver '%s' was unable to register with bus_type '%s' because the bus was not initialized."
        if (driver.Bus.Drivers.Any(d => d.Name == driver.Name))
            return EBusy;
        driver.Bus.Drivers.Add(driver);
        foreach (var device in driver.Bus.Devices.ToList())
            if (device.Driver is null && Matches(device, driver))
                ReallyProbe(device, driver);
        return 0;
    }

    /// <summary>driver_unregister(): every device bound to the driver is unbound, the last added first (driver_detach()).</summary>
    public void UnregisterDriver(Driver driver)
    {
        for (int i = driver.Bus.Devices.Count - 1; i >= 0; i--)
            if (driver.Bus.Devices[i].Driver == driver)
                ReleaseDriver(driver.Bus.Devices[i]);
        driver.Bus.Drivers.Remove(driver);
    }

    /// <summary>device_add(): a named device takes a reference to its parent, joins its bus, and the bus's drivers
    /// are tried in registration order until one binds (bus_probe_device()).</summary>
    public int AddDevice(Device device, Device? parent)
    {
        if (string.IsNullOrEmpty(device.Name))
            return EInval;
        if (device.Bus is { } bus && !_buses.Contains(bus))
            return EInval;
        device.Parent = parent;
        if (parent is not null)
            Get(parent);
        device.Added = true;
        if (device.Bus is { } b)
        {
            b.Devices.Add(device);
            foreach (var driver in b.Drivers.ToList())
            {
                if (device.Driver is not null)
                    break;
                if (Matches(device, driver))
                    ReallyProbe(device, driver);
            }
        }
        return 0;
    }

    /// <summary>device_del(): unbinds the device and takes it off its bus; the reference to its parent goes with the device's last.</summary>
    public void DeleteDevice(Device device)
    {
        if (!device.Added)
            return;
        if (device.Driver is not null)
            ReleaseDriver(device);
        device.Bus?.Devices.Remove(device);
        device.Added = false;
    }

    public void Get(Device device) => device.References++;

    /// <summary>put_device(): at the last reference the device's release runs, then its parent is put.</summary>
    public void Put(Device device)
    {
        if (--device.References > 0)
            return;
        var parent = device.Parent;
        if (device.Release is { } release)
            release();
        else
            Log($"Device '{device.Name}' does not have a release() function, it is broken and must be fixed.");
        if (parent is not null)
            Put(parent);
    }

    private bool Matches(Device device, Driver driver)
    {
        int r = device.Bus?.Match is { } match ? match(device, driver) : 1;
        if (r < 0)
            Log($"{device.Name}: Bus failed to match device: {r}");
        return r > 0;
    }

    /// <summary>really_probe(): dev->driver is set, the bus's probe (else the driver's) runs; on failure the device's
    /// managed resources are released and it is left without a driver, so the next driver may try.</summary>
    private void ReallyProbe(Device device, Driver driver)
    {
        device.Driver = driver;
        DriverChanged(device, driver);
        int r = device.Bus?.Probe is { } busProbe ? busProbe(device) : driver.Probe?.Invoke(device) ?? 0;
        if (r == 0)
            return;
        if (r != ENoDev && r != ENxio)
            Log($"{driver.Name}: probe of {device.Name} failed with error {r}");
        ReleaseResources(device);
        device.Driver = null;
        DriverChanged(device, null);
    }

    /// <summary>device_bind_driver(): a device whose dev->driver its caller set and probed itself (phylib binds
    /// the generic PHY driver so) is bound to that driver without a probe; -ENODEV for a device not added.</summary>
    public int BindWithoutProbe(Device device, Driver driver)
    {
        if (!device.Added)
            return ENoDev;
        device.Driver = driver;
        DriverChanged(device, driver);
        return 0;
    }

    /// <summary>device_release_driver(): unbinds a bound device (remove, then its managed resources); nothing for an unbound one.</summary>
    public void Unbind(Device device)
    {
        if (device.Driver is not null)
            ReleaseDriver(device);
    }

    /// <summary>The devices added to <paramref name="bus"/>, in the order they were added.</summary>
    public IReadOnlyList<Device> DevicesOn(Bus bus) => bus.Devices;

    /// <summary>__device_release_driver(): the bus's remove (else the driver's), then the managed resources.</summary>
    private void ReleaseDriver(Device device)
    {
        if (device.Bus?.Remove is { } busRemove)
            busRemove(device);
        else
            device.Driver?.Remove?.Invoke(device);
        ReleaseResources(device);
        device.Driver = null;
        DriverChanged(device, null);
    }
}

/// <summary>The kernel symbols of drivers/base, over the structures drivers declare (struct bus_type, device_driver, device).</summary>
public static unsafe class DriverCore
{
    private static readonly Dictionary<nint, DeviceModel.Bus> Buses = [];
    private static readonly Dictionary<nint, DeviceModel.Driver> Drivers = [];
    private static readonly Dictionary<nint, DeviceModel.Device> Devices = [];

    public static DeviceModel Model { get; } = new()
    {
        DriverChanged = (device, driver) =>
        {
            device.Pointer.Ptr(DeviceLayout.Driver, driver?.Pointer ?? 0);
            if (driver is null)
                device.Pointer.Ptr(DeviceLayout.DriverData, 0); // device_unbind_cleanup(): dev_set_drvdata(dev, NULL)
        },
        ReleaseResources = device => Devres.ReleaseAll(device.Pointer),
        Log = text => Machine.Log(4, text),
    };

    /// <summary>The device at <paramref name="dev"/>, if it was initialised through the driver model.</summary>
    public static DeviceModel.Device? Find(nint dev) => Devices.GetValueOrDefault(dev);

    [KernelSymbol("bus_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int BusRegister(nint bus)
    {
        nint match = bus.Ptr(DeviceModelLayout.BusMatch), probe = bus.Ptr(DeviceModelLayout.BusProbe), remove = bus.Ptr(DeviceModelLayout.BusRemove);
        var b = new DeviceModel.Bus(bus, Access.CString(bus.Ptr(DeviceModelLayout.BusName)) ?? "")
        {
            Match = match == 0 ? null : (dev, drv) => ((delegate* unmanaged<nint, nint, int>)match)(dev.Pointer, drv.Pointer),
            Probe = probe == 0 ? null : dev => ((delegate* unmanaged<nint, int>)probe)(dev.Pointer),
            Remove = remove == 0 ? null : dev => ((delegate* unmanaged<nint, void>)remove)(dev.Pointer),
        };
        int r = Model.RegisterBus(b);
        if (r == 0)
            Buses[bus] = b;
        return r;
    }

    [KernelSymbol("bus_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void BusUnregister(nint bus)
    {
        if (Buses.Remove(bus, out var b))
            Model.UnregisterBus(b);
    }

    [KernelSymbol("driver_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DriverRegister(nint drv)
    {
        nint bus = drv.Ptr(DeviceModelLayout.DriverBus);
        if (!Buses.TryGetValue(bus, out var b))
        {
            Machine.Log(3, $"Driver '{Access.CString(drv.Ptr(DeviceLayout.DriverName))}' was unable to register with a bus that was not initialized.");
            return -22;
        }
        nint probe = drv.Ptr(DeviceModelLayout.DriverProbe), remove = drv.Ptr(DeviceModelLayout.DriverRemove);
        var d = new DeviceModel.Driver(drv, Access.CString(drv.Ptr(DeviceLayout.DriverName)) ?? "", b)
        {
            Probe = probe == 0 ? null : dev => ((delegate* unmanaged<nint, int>)probe)(dev.Pointer),
            Remove = remove == 0 ? null : dev => ((delegate* unmanaged<nint, int>)remove)(dev.Pointer),
        };
        Drivers[drv] = d;
        int r = Model.RegisterDriver(d);
        if (r != 0)
            Drivers.Remove(drv);
        return r;
    }

    [KernelSymbol("driver_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DriverUnregister(nint drv)
    {
        if (Drivers.Remove(drv, out var d))
            Model.UnregisterDriver(d);
    }

    /// <summary>device_initialize(): one reference, no bus membership yet; what the last put_device() releases.</summary>
    [KernelSymbol("device_initialize"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceInitialize(nint dev) => Initialize(dev);

    internal static DeviceModel.Device Initialize(nint dev)
    {
        var device = new DeviceModel.Device(dev);
        device.Release = () =>
        {
            Devices.Remove(dev);
            nint release = dev.Ptr(DeviceModelLayout.Release);
            if (release == 0 && dev.Ptr(DeviceModelLayout.Type) is var type and not 0)
                release = type.Ptr(DeviceModelLayout.TypeRelease);
            if (release == 0 && dev.Ptr(DeviceModelLayout.Class) is var cls and not 0)
                release = cls.Ptr(DeviceModelLayout.ClassDevRelease);
            if (release != 0)
                ((delegate* unmanaged<nint, void>)release)(dev);
            else
                Machine.Log(3, $"Device '{device.Name}' does not have a release() function, it is broken and must be fixed.");
        };
        Devices[dev] = device;
        return device;
    }

    [KernelSymbol("device_add"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceAdd(nint dev) => Add(dev);

    [KernelSymbol("device_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceRegister(nint dev)
    {
        Initialize(dev);
        return Add(dev);
    }

    internal static int Add(nint dev)
    {
        var device = Find(dev) ?? Initialize(dev);
        // The name: init_name wins (and is cleared, as device_add() does); else the one dev_set_name() gave.
        if (dev.Ptr(DeviceLayout.InitName) is var init and not 0)
        {
            string name = Access.CString(init)!;
            nint copy = Memory.Allocate(System.Text.Encoding.UTF8.GetByteCount(name) + 1, 0);
            if (copy == 0)
                return -12; // ENOMEM
            Access.WriteCString(copy, System.Text.Encoding.UTF8.GetByteCount(name) + 1, name);
            dev.Ptr(DeviceLayout.KobjName, copy);
            dev.Ptr(DeviceLayout.InitName, 0);
        }
        device.Name = Access.CString(dev.Ptr(DeviceLayout.KobjName)) ?? "";
        nint bus = dev.Ptr(DeviceModelLayout.Bus);
        if (bus != 0)
        {
            if (!Buses.TryGetValue(bus, out var b))
                return -22;
            device.Bus = b;
        }
        nint parent = dev.Ptr(DeviceLayout.Parent);
        return Model.AddDevice(device, parent == 0 ? null : Find(parent));
    }

    [KernelSymbol("device_del"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceDel(nint dev)
    {
        if (Find(dev) is { } device)
            Model.DeleteDevice(device);
    }

    [KernelSymbol("device_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceUnregister(nint dev)
    {
        if (Find(dev) is not { } device)
            return;
        Model.DeleteDevice(device);
        Model.Put(device);
    }

    /// <summary>device_bind_driver(): dev->driver, set and probed by the caller, is bound without another probe. A
    /// driver the driver model does not know (never registered) is refused with -EINVAL.</summary>
    [KernelSymbol("device_bind_driver"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceBindDriver(nint dev)
    {
        nint drv = dev.Ptr(DeviceLayout.Driver);
        if (Find(dev) is not { } device || !Drivers.TryGetValue(drv, out var driver))
            return -22;
        return Model.BindWithoutProbe(device, driver);
    }

    [KernelSymbol("device_release_driver"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceReleaseDriver(nint dev)
    {
        if (Find(dev) is { } device)
            Model.Unbind(device);
    }

    /// <summary>bus_find_device(): the first device of the bus after <paramref name="start"/> (from the first when
    /// null) for which match(dev, data) is non-zero, with a reference taken; NULL when none.</summary>
    [KernelSymbol("bus_find_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint BusFindDevice(nint bus, nint start, nint data, nint match)
    {
        if (!Buses.TryGetValue(bus, out var b))
            return 0;
        return FindIn(Model.DevicesOn(b), start, data, match);
    }

    private static nint FindIn(IEnumerable<DeviceModel.Device> devices, nint start, nint data, nint match)
    {
        bool after = start == 0;
        foreach (var device in devices.ToList())
        {
            if (!after)
            {
                after = device.Pointer == start;
                continue;
            }
            if (((delegate* unmanaged<nint, nint, int>)match)(device.Pointer, data) != 0)
            {
                Model.Get(device);
                return device.Pointer;
            }
        }
        return 0;
    }

    // Device classes (drivers/base/class.c): a class is a list of the devices that name it (dev->class) once added;
    // nothing of sysfs. 6.1 registers with __class_register(cls, key), 6.12 with class_register(cls).
    private static readonly HashSet<nint> Classes = [];

    [KernelSymbol("__class_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClassRegisterWithKey(nint cls, nint key) => RegisterClass(cls);

    [KernelSymbol("class_register"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ClassRegister(nint cls) => RegisterClass(cls);

    private static int RegisterClass(nint cls)
    {
        lock (Classes)
            return Classes.Add(cls) ? 0 : -17; // -EEXIST: its kset is registered already
    }

    [KernelSymbol("class_unregister"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ClassUnregister(nint cls)
    {
        lock (Classes)
            Classes.Remove(cls);
    }

    /// <summary>class_find_device(): as <see cref="BusFindDevice"/>, over the added devices of the class.</summary>
    [KernelSymbol("class_find_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint ClassFindDevice(nint cls, nint start, nint data, nint match)
    {
        lock (Classes)
            if (!Classes.Contains(cls))
                return 0;
        return FindIn(Devices.Values.Where(d => d.Added && d.Pointer.Ptr(DeviceModelLayout.Class) == cls), start, data, match);
    }

    [KernelSymbol("device_match_name"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceMatchName(nint dev, nint name) =>
        Access.CString(dev.Ptr(DeviceLayout.KobjName)) == Access.CString(name) ? 1 : 0;

    // Devices the driver model did not initialise (a PCI function's struct device, which PciCore owns for the
    // host's lifetime) are never released: a reference to one changes nothing.
    [KernelSymbol("get_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint GetDevice(nint dev)
    {
        if (Find(dev) is { } device)
            Model.Get(device);
        return dev;
    }

    [KernelSymbol("put_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PutDevice(nint dev)
    {
        if (dev != 0 && Find(dev) is { } device)
            Model.Put(device);
    }
}
