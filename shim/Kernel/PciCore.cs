// SPDX-License-Identifier: MIT
// Managed side. The Linux PCI core (drivers/pci): the functions the host was given become struct
// pci_dev objects, registered drivers are matched against them by their id tables and probed,
// and configuration space, BARs, bus mastering and power state go to the function behind each.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Kernel;

public sealed class PciDevice(IPciFunction function, nint pdev, int irq, string name)
{
    public IPciFunction Function { get; } = function;
    public nint Pdev { get; } = pdev;
    public int Irq { get; } = irq;
    public string Name { get; } = name;
    public nint Driver { get; internal set; }
    public int? ProbeResult { get; internal set; }
    public int RegionsRequested { get; internal set; }
}

public static unsafe class PciCore
{
    private static readonly List<PciDevice> Devices = [];
    private static readonly List<nint> Drivers = [];

    public static IReadOnlyList<PciDevice> All => Devices;

    private static nint _hostBridge;

    private static nint HostBridge
    {
        get
        {
            if (_hostBridge == 0)
            {
                _hostBridge = (nint)NativeMemory.AllocZeroed((nuint)DeviceLayout.Size.Size);
                nint name = (nint)NativeMemory.AllocZeroed(16);
                Access.WriteCString(name, 16, "pci0000:00");
                _hostBridge.Ptr(DeviceLayout.KobjName, name);
            }
            return _hostBridge;
        }
    }

    /// <summary>Raised after a probe returns: (device, driver name, result).</summary>
    public static event Action<PciDevice, string, int>? Probed;

    public static PciDevice? ByPdev(nint pdev) => Devices.FirstOrDefault(d => d.Pdev == pdev);

    public static PciDevice Require(nint pdev) =>
        ByPdev(pdev) ?? throw new InvalidOperationException($"0x{pdev:x} is not a PCI device of this host");

    /// <summary>Makes <paramref name="function"/> a PCI device of the machine (slot <paramref name="slot"/> of bus 0).</summary>
    public static PciDevice Add(IPciFunction function, int slot)
    {
        nint pdev = (nint)NativeMemory.AllocZeroed((nuint)PciLayout.Dev.Size);
        nint bus = (nint)NativeMemory.AllocZeroed((nuint)PciLayout.Bus.Size);
        string name = $"0000:00:{slot:x2}.0";
        int irq = 16 + Devices.Count;
        pdev.Ptr(PciLayout.DevBus, bus);
        pdev.U32(PciLayout.Devfn, (uint)(slot << 3));
        pdev.U16(PciLayout.Vendor, (ushort)function.ReadConfig(0x00, 2));
        pdev.U16(PciLayout.Device, (ushort)function.ReadConfig(0x02, 2));
        pdev.U16(PciLayout.SubVendor, (ushort)function.ReadConfig(0x2c, 2));
        pdev.U16(PciLayout.SubDevice, (ushort)function.ReadConfig(0x2e, 2));
        pdev.U32(PciLayout.Class, function.ReadConfig(0x08, 4) >> 8);
        pdev.U8(PciLayout.Revision, (byte)function.ReadConfig(0x08, 1));
        pdev.U32(PciLayout.Irq, (uint)irq);
        pdev.U64(PciLayout.DmaMask, 0xffffffff);
        pdev.I32(PciLayout.CurrentState, 0); // PCI_D0
        // As pci_setup_device(): otherwise pci_channel_offline() is true and e1000 never updates its statistics.
        pdev.U32(PciLayout.ErrorState, PciLayout.ChannelIoNormal);

        nint dev = pdev.At(PciLayout.EmbeddedDevice);
        // Its parent is the host bridge's device (pci0000:00), as for every function on bus 0: drivers look at
        // it (e1000e asks pm_runtime_suspended() of it); it is active, and runtime PM never suspends it.
        dev.Ptr(DeviceLayout.Parent, HostBridge);
        bus.Ptr(PciLayout.BusBridge, HostBridge);
        nint nameBuf = (nint)NativeMemory.AllocZeroed(32);
        Access.WriteCString(nameBuf, 32, name);
        dev.Ptr(DeviceLayout.KobjName, nameBuf);
        dev.Ptr(DeviceLayout.DmaMask, pdev.At(PciLayout.DmaMask));
        dev.U64(DeviceLayout.CoherentDmaMask, 0xffffffff);
        // On the PCI bus (dev_is_pci()): the driver image's pci_bus_type (shim/native/pci_driver.c).
        if (Machine.Library is { } lib && lib.Descriptor->PciBusType is var busType and not 0)
            dev.Ptr(DeviceBusLayout.Bus, busType);

        // Resources: the kernel's view of each BAR. The "address" of a BAR is where the host maps it.
        nint resources = pdev.At(PciLayout.Resource);
        foreach (var bar in function.Bars)
        {
            if (bar.Size == 0)
                continue;
            nint r = resources + bar.Index * PciLayout.ResourceSize.Size;
            nint start = Io.MapBar(function, bar);
            r.U64(PciLayout.ResourceStart, (ulong)start);
            r.U64(PciLayout.ResourceEnd, (ulong)start + bar.Size - 1);
            r.U64(PciLayout.ResourceFlags, bar.IsIo ? PciLayout.IoResource : PciLayout.MemResource | (bar.Is64Bit ? PciLayout.Mem64Resource : 0));
        }
        PciCapabilities.Setup(pdev, function);
        PowerManagement.Forbid(dev);
        var device = new PciDevice(function, pdev, irq, name);
        Devices.Add(device);
        return device;
    }

    private static bool Matches(nint id, nint pdev)
    {
        static bool Field(uint want, uint have) => want == 0xffffffff || want == have; // PCI_ANY_ID
        return Field(id.U32(PciLayout.IdVendor), pdev.U16(PciLayout.Vendor))
               && Field(id.U32(PciLayout.IdDevice), pdev.U16(PciLayout.Device))
               && Field(id.U32(PciLayout.IdSubVendor), pdev.U16(PciLayout.SubVendor))
               && Field(id.U32(PciLayout.IdSubDevice), pdev.U16(PciLayout.SubDevice))
               && ((id.U32(PciLayout.IdClass) ^ pdev.U32(PciLayout.Class)) & id.U32(PciLayout.IdClassMask)) == 0;
    }

    /// <summary>The entry of the driver's id table that matches, or 0.</summary>
    public static nint Match(nint driver, nint pdev) => MatchTable(driver.Ptr(PciLayout.DriverIdTable), pdev);

    private static nint MatchTable(nint id, nint pdev)
    {
        if (id == 0)
            return 0;
        for (; ; id += PciLayout.IdSize.Size)
        {
            if (id.U32(PciLayout.IdVendor) == 0 && id.U32(PciLayout.IdSubVendor) == 0 && id.U32(PciLayout.IdClassMask) == 0)
                return 0;
            if (Matches(id, pdev))
                return id;
        }
    }

    private static void Probe(nint driver, PciDevice device)
    {
        nint id = Match(driver, device.Pdev);
        if (id == 0 || device.Driver != 0)
            return;
        nint dev = device.Pdev.At(PciLayout.EmbeddedDevice);
        device.Pdev.Ptr(PciLayout.DevDriver, driver);
        dev.Ptr(DeviceLayout.Driver, driver.At(PciLayout.DriverCore));
        var probe = (delegate* unmanaged<nint, nint, int>)driver.Ptr(PciLayout.DriverProbe);
        int result = probe(device.Pdev, id);
        string name = Access.CString(driver.Ptr(PciLayout.DriverName)) ?? "?";
        device.ProbeResult = result;
        if (result == 0)
            device.Driver = driver;
        else
        {
            Devres.ReleaseAll(dev); // as really_probe() after a failed probe
            device.Pdev.Ptr(PciLayout.DevDriver, 0);
            dev.Ptr(DeviceLayout.Driver, 0);
        }
        Probed?.Invoke(device, name, result);
    }

    [KernelSymbol("__pci_register_driver"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciRegisterDriver(nint driver, nint owner, nint modName)
    {
        nint core = driver.At(PciLayout.DriverCore);
        core.Ptr(DeviceLayout.DriverName, driver.Ptr(PciLayout.DriverName));
        Drivers.Add(driver);
        foreach (var device in Devices.ToList())
            Probe(driver, device);
        return 0;
    }

    [KernelSymbol("pci_unregister_driver"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciUnregisterDriver(nint driver)
    {
        foreach (var device in Devices.Where(d => d.Driver == driver))
        {
            var remove = (delegate* unmanaged<nint, void>)driver.Ptr(PciLayout.DriverRemove);
            if (remove != null)
                remove(device.Pdev);
            Devres.ReleaseAll(device.Pdev.At(PciLayout.EmbeddedDevice)); // as device_release_driver()
            device.Driver = 0;
            device.Pdev.Ptr(PciLayout.DevDriver, 0);
            device.Pdev.At(PciLayout.EmbeddedDevice).Ptr(DeviceLayout.Driver, 0);
        }
        Drivers.Remove(driver);
    }

    private static int ConfigRead(nint pdev, int where, int size, nint value)
    {
        uint v = Require(pdev).Function.ReadConfig(where, size);
        switch (size)
        {
            case 1: *(byte*)value = (byte)v; break;
            case 2: *(ushort*)value = (ushort)v; break;
            default: *(uint*)value = v; break;
        }
        return 0;
    }

    [KernelSymbol("pci_read_config_byte"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ReadConfigByte(nint pdev, int where, nint value) => ConfigRead(pdev, where, 1, value);

    [KernelSymbol("pci_read_config_word"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ReadConfigWord(nint pdev, int where, nint value) => ConfigRead(pdev, where, 2, value);

    [KernelSymbol("pci_read_config_dword"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int ReadConfigDword(nint pdev, int where, nint value) => ConfigRead(pdev, where, 4, value);

    [KernelSymbol("pci_write_config_byte"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WriteConfigByte(nint pdev, int where, byte value)
    {
        Require(pdev).Function.WriteConfig(where, 1, value);
        return 0;
    }

    [KernelSymbol("pci_write_config_word"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WriteConfigWord(nint pdev, int where, ushort value)
    {
        Require(pdev).Function.WriteConfig(where, 2, value);
        return 0;
    }

    [KernelSymbol("pci_write_config_dword"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int WriteConfigDword(nint pdev, int where, uint value)
    {
        Require(pdev).Function.WriteConfig(where, 4, value);
        return 0;
    }

    private const int Command = 0x04, CommandIo = 0x1, CommandMemory = 0x2, CommandMaster = 0x4, CommandInvalidate = 0x10, CommandIntxDisable = 0x400;

    private static void SetCommand(nint pdev, int set, int clear)
    {
        var f = Require(pdev).Function;
        uint cmd = f.ReadConfig(Command, 2);
        f.WriteConfig(Command, 2, (uint)((cmd | (uint)set) & ~(uint)clear));
    }

    internal static int Enable(nint pdev, int bits)
    {
        SetCommand(pdev, bits, CommandIntxDisable);
        Interlocked.Increment(ref *(int*)pdev.At(PciLayout.EnableCnt));
        return 0;
    }

    [KernelSymbol("pci_enable_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciEnableDevice(nint pdev) => Enable(pdev, CommandIo | CommandMemory);

    // As drivers/pci/devres.c: enabled now, and when the driver goes its requested regions are
    // released and the device disabled (pcim_release), whatever the driver did not undo itself.
    [KernelSymbol("pcim_enable_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcimEnableDevice(nint pdev)
    {
        int err = Enable(pdev, CommandIo | CommandMemory);
        if (err == 0)
            Devres.Add(pdev.At(PciLayout.EmbeddedDevice), () =>
            {
                Require(pdev).RegionsRequested = 0;
                if (pdev.I32(PciLayout.EnableCnt) > 0)
                    Disable(pdev);
            });
        return err;
    }

    // As drivers/pci/search.c: whether any device of the machine matches an entry of the table.
    [KernelSymbol("pci_dev_present"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciDevPresent(nint ids) => Devices.Any(d => MatchTable(ids, d.Pdev) != 0) ? 1 : 0;

    [KernelSymbol("pci_enable_device_mem"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciEnableDeviceMem(nint pdev) => Enable(pdev, CommandMemory);

    [KernelSymbol("pci_disable_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciDisableDevice(nint pdev) => Disable(pdev);

    private static void Disable(nint pdev)
    {
        if (Interlocked.Decrement(ref *(int*)pdev.At(PciLayout.EnableCnt)) <= 0)
        {
            SetCommand(pdev, 0, CommandMaster);
            pdev.Bits(PciLayout.IsBusmaster, 0);
        }
    }

    [KernelSymbol("pci_set_master"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciSetMaster(nint pdev)
    {
        SetCommand(pdev, CommandMaster, 0);
        pdev.Bits(PciLayout.IsBusmaster, 1);
    }

    [KernelSymbol("pci_clear_master"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciClearMaster(nint pdev)
    {
        SetCommand(pdev, 0, CommandMaster);
        pdev.Bits(PciLayout.IsBusmaster, 0);
    }

    [KernelSymbol("pci_set_mwi"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciSetMwi(nint pdev)
    {
        SetCommand(pdev, CommandInvalidate, 0);
        return 0;
    }

    [KernelSymbol("pci_clear_mwi"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciClearMwi(nint pdev) => SetCommand(pdev, 0, CommandInvalidate);

    [KernelSymbol("pci_intx"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciIntx(nint pdev, int enable) => SetIntx(pdev, enable != 0);

    internal static void SetIntx(nint pdev, bool enable) => SetCommand(pdev, enable ? 0 : CommandIntxDisable, enable ? CommandIntxDisable : 0);

    private static int RequestBars(nint pdev, int mask)
    {
        var d = Require(pdev);
        if ((d.RegionsRequested & mask) != 0)
            return -16; // -EBUSY
        d.RegionsRequested |= mask;
        return 0;
    }

    [KernelSymbol("pci_request_regions"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciRequestRegions(nint pdev, nint name) => RequestBars(pdev, 0x3f);

    [KernelSymbol("pci_release_regions"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciReleaseRegions(nint pdev) => Require(pdev).RegionsRequested = 0;

    // Exclusive only keeps user space's /dev/mem off the BARs; a driver host has no such user space.
    [KernelSymbol("pci_request_selected_regions"), KernelSymbol("pci_request_selected_regions_exclusive"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciRequestSelectedRegions(nint pdev, int bars, nint name) => RequestBars(pdev, bars);

    [KernelSymbol("pci_release_selected_regions"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciReleaseSelectedRegions(nint pdev, int bars) => Require(pdev).RegionsRequested &= ~bars;

    [KernelSymbol("pci_request_region"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciRequestRegion(nint pdev, int bar, nint name) => RequestBars(pdev, 1 << bar);

    [KernelSymbol("pci_release_region"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciReleaseRegion(nint pdev, int bar) => Require(pdev).RegionsRequested &= ~(1 << bar);

    [KernelSymbol("pci_select_bars"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciSelectBars(nint pdev, ulong flags)
    {
        int mask = 0;
        nint resources = pdev.At(PciLayout.Resource);
        for (int i = 0; i < 6; i++)
            if ((resources + i * PciLayout.ResourceSize.Size).U64(PciLayout.ResourceFlags) is var f && (f & flags) != 0)
                mask |= 1 << i;
        return mask;
    }

    [KernelSymbol("pci_save_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciSaveState(nint pdev) => 0;

    [KernelSymbol("pci_restore_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciRestoreState(nint pdev) { }

    [KernelSymbol("pci_set_power_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciSetPowerState(nint pdev, int state)
    {
        pdev.I32(PciLayout.CurrentState, state);
        return 0;
    }

    /// <summary>pci_choose_state(): D0 without power management or when staying on, D3hot to suspend or hibernate.</summary>
    [KernelSymbol("pci_choose_state"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciChooseState(nint pdev, PmMessage state)
    {
        const int EventSuspend = 0x0002, EventHibernate = 0x0004;
        if (pdev.U8(PciLayout.PmCap) == 0)
            return 0;
        return (state.Event & (EventSuspend | EventHibernate)) != 0 ? 3 : 0; // PCI_D3hot : PCI_D0
    }

    /// <summary>pm_message_t, passed by value.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PmMessage
    {
        public int Event;
    }

    // PME: the functions here never signal it (DESIGN: INTx only), so enabling its generation changes nothing
    // a user-space host could observe; pci_enable_wake() above is where a driver learns wake-up is missing.
    [KernelSymbol("pci_pme_active"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciPmeActive(nint pdev, byte enable) { }

    // As drivers/pci/pci.c: the target state is D3hot, wake-up cannot be armed (no PME), then the state is set.
    [KernelSymbol("pci_prepare_to_sleep"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciPrepareToSleep(nint pdev)
    {
        pdev.I32(PciLayout.CurrentState, 3); // PCI_D3hot
        return 0;
    }

    // Wake-up needs PME, which the functions here do not signal: report it as not supported, as Linux does then.
    [KernelSymbol("pci_enable_wake"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciEnableWake(nint pdev, int state, byte enable) => enable != 0 ? -22 : 0;

    [KernelSymbol("pci_wake_from_d3"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciWakeFromD3(nint pdev, byte enable) => enable != 0 ? -22 : 0;

    [KernelSymbol("device_set_wakeup_enable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceSetWakeupEnable(nint dev, byte enable) => enable != 0 ? -22 : 0;

    // PCI-X: the functions here are conventional PCI, without the PCI-X capability.
    [KernelSymbol("pcix_get_mmrbc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcixGetMmrbc(nint pdev) => -22;

    [KernelSymbol("pcix_set_mmrbc"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PcixSetMmrbc(nint pdev, int mmrbc) => -22;

    // drivers/pci/pci.c: a function that was surprise-removed reads all ones; its vendor ID is then 0xffff.
    [KernelSymbol("pci_device_is_present"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte PciDeviceIsPresent(nint pdev)
    {
        uint id = Require(pdev).Function.ReadConfig(0x00, 4);
        return (byte)(id != 0xffffffff && id != 0 && (id & 0xffff) != 0xffff ? 1 : 0);
    }

    [KernelSymbol("dev_driver_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevDriverString(nint dev) => DriverString(dev);

    private static nint _empty;

    public static nint DriverString(nint dev)
    {
        nint drv = dev.Ptr(DeviceLayout.Driver);
        if (drv != 0 && drv.Ptr(DeviceLayout.DriverName) is var name and not 0)
            return name;
        if (_empty == 0)
            _empty = (nint)NativeMemory.AllocZeroed(8);
        return _empty;
    }

    [KernelSymbol("pci_try_set_mwi"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciTrySetMwi(nint pdev)
    {
        SetCommand(pdev, CommandInvalidate, 0);
        return 0;
    }

    // PCI_STATUS_ERROR_BITS (include/uapi/linux/pci_regs.h): parity, system error, aborts; write-1-to-clear.
    private const int Status = 0x06, StatusErrorBits = 0x8000 | 0x4000 | 0x2000 | 0x1000 | 0x0800 | 0x0100;

    /// <summary>pci_status_get_and_clear_errors() (drivers/pci/pci.c): the error bits of the status register, cleared.</summary>
    [KernelSymbol("pci_status_get_and_clear_errors"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PciStatusGetAndClearErrors(nint pdev) => StatusGetAndClearErrors(Require(pdev).Function);

    public static int StatusGetAndClearErrors(IPciFunction function)
    {
        int status = (int)function.ReadConfig(Status, 2) & StatusErrorBits;
        if (status != 0)
            function.WriteConfig(Status, 2, (uint)status);
        return status;
    }

    // References to the machine's devices (pci_dev_get/pci_dev_put): the devices live as long as the host,
    // so a count only checks that the driver never drops a reference it does not hold, which Linux
    // reports as a refcount underflow.
    private static readonly Dictionary<nint, int> References = [];

    public static int ReferencesOf(nint pdev)
    {
        lock (References)
            return References.GetValueOrDefault(pdev);
    }

    public static nint Get(nint pdev)
    {
        if (pdev != 0)
            lock (References)
                References[pdev] = References.GetValueOrDefault(pdev) + 1;
        return pdev;
    }

    public static void Put(nint pdev)
    {
        if (pdev == 0)
            return;
        lock (References)
        {
            int n = References.GetValueOrDefault(pdev);
            if (n <= 0)
            {
                Machine.Fatal($"refcount_t: underflow; use-after-free (pci_dev_put of 0x{pdev:x}, which holds no reference)");
                return;
            }
            References[pdev] = n - 1;
        }
    }

    [KernelSymbol("pci_dev_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciDevGet(nint pdev) => Get(pdev);

    [KernelSymbol("pci_dev_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void PciDevPut(nint pdev) => Put(pdev);

    /// <summary>
    /// pci_get_device() (drivers/pci/search.c): the next device of the machine after <paramref name="from"/> (from the
    /// first when NULL) with that vendor and device id (PCI_ANY_ID matches all), with a reference taken; the reference
    /// on <paramref name="from"/> is dropped.
    /// </summary>
    [KernelSymbol("pci_get_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PciGetDevice(uint vendor, uint device, nint from) => GetDevice(vendor, device, from);

    public static nint GetDevice(uint vendor, uint device, nint from)
    {
        const uint AnyId = uint.MaxValue;
        int start = from == 0 ? 0 : Devices.FindIndex(d => d.Pdev == from) + 1;
        if (from != 0 && start == 0)
            Machine.Fatal($"pci_get_device() from 0x{from:x}, which is not a PCI device of this host");
        nint found = 0;
        for (int i = start; i < Devices.Count && found == 0; i++)
        {
            nint p = Devices[i].Pdev;
            if ((vendor == AnyId || p.U16(PciLayout.Vendor) == vendor) && (device == AnyId || p.U16(PciLayout.Device) == device))
                found = Get(p);
        }
        Put(from);
        return found;
    }

    // pci_pme_capable(): whether the device signals PME from that state; pme_support stays 0 here, as wake-up
    // needs PME, which the functions here do not signal (see pci_enable_wake).
    [KernelSymbol("pci_pme_capable"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte PciPmeCapable(nint pdev, int state) => 0;
}
