// SPDX-License-Identifier: MIT
// Managed side. The driver host: boots the shim's machine (memory, CPU, timers, softirqs), loads a
// driver .so, connects its kernel symbols to the managed kernel, gives it PCI functions, applies
// module parameters and runs the module's init; later its exit.
using System.Diagnostics;
using System.Runtime.InteropServices;
using LinuxShim.Shim.DeviceTree;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Host;

public sealed record DriverHostOptions
{
    /// <summary>The driver .so from `linuxshim port build`.</summary>
    public required string Library { get; init; }

    /// <summary>Its layout file (default: next to the library, MODULE.layout.json).</summary>
    public string? Layout { get; init; }

    /// <summary>Size of the driver's DMA-able memory.</summary>
    public ulong MemoryBytes { get; init; } = 64UL << 20;

    /// <summary>Module parameters, "name=value".</summary>
    public IReadOnlyList<string> Parameters { get; init; } = [];

    /// <summary>The board's flattened device tree (default: next to the library, MODULE.dtb, when the port has one):
    /// the nodes of the platform devices the host is granted.</summary>
    public string? DeviceTree { get; init; }
}

public sealed unsafe class DriverHost
{
    private static DriverHost? _current;

    public DriverLibrary Library { get; }
    public int InitResult { get; private set; }
    public TimeSpan StartToInit { get; private set; }

    private DriverHost(DriverLibrary library) => Library = library;

    /// <summary>Boots the machine and loads the driver (one per process: the shim's kernel is global state).</summary>
    public static DriverHost Load(DriverHostOptions options, IEnumerable<IPciFunction> functions)
    {
        if (_current is not null)
            throw new InvalidOperationException("this process already hosts a driver");
        string library = Path.GetFullPath(options.Library);
        if (!File.Exists(library))
            throw new FileNotFoundException($"{library}: no such driver library (build it with `linuxshim port build`)");
        string layout = options.Layout ?? Path.ChangeExtension(library, null) + ".layout.json";
        if (!File.Exists(layout))
            throw new FileNotFoundException($"{layout}: the driver's layout file is missing (rebuild the port)");
        KernelLayout.Load(layout);

        Machine.Boot(options.MemoryBytes);
        Machine.Memory.CreatePageArray(PageLayout.Size.Size);
        var lib = DriverLibrary.Load(library);
        Machine.Library = lib;
        var glue = lib.Descriptor;
        // A fault inside the driver is reported with its offset before the signal ends the host.
        if (glue->FaultReporterInstall != null && MappedRange(library) is var (start, end))
            glue->FaultReporterInstall(start, end);
        Machine.Hz = (int)glue->Hz;
        *glue->PageOffsetBase = (nuint)Machine.Memory.PageOffsetBase;
        *glue->VmemmapBase = (nuint)Machine.Memory.VmemmapBase;
        *glue->PhysBase = 0;
        // Where the kernel version keeps them (native/shim.h): their own per-CPU variables, or pcpu_hot's members.
        Cpu.Attach((nint)glue->PreemptCount, (nint)glue->CurrentTask, (int)glue->TaskSize);
        Cpu.Run(() =>
        {
            nint wq = Workqueue.Create("events");
            *glue->SystemWq = wq;
            if (glue->SystemPercpuWq != null)
                *glue->SystemPercpuWq = wq;
            if (glue->SystemPowerEfficientWq != null)
                *glue->SystemPowerEfficientWq = wq;
        });
        Time.Start((nint)glue->Jiffies);
        Softirq.Start();

        var tree = LoadDeviceTree(options.DeviceTree ?? Path.ChangeExtension(library, ".dtb"), options.DeviceTree is not null);
        var boardNodes = tree is null ? [] : Platform.DeviceNodes(tree);
        int slot = 3, platformDevices = 0;
        foreach (var f in functions)
        {
            // As vfio-pci hands a function to its user (vfio_pci_core_enable: pci_try_reset_function), reset, so
            // the driver probes it at power-on whatever a host before this one left: a vmxnet3 stays activated
            // on the last driver's rings otherwise, and ignores the next driver's ACTIVATE_DEV. A function without
            // a reset is handed over as it is, as there.
            try
            {
                f.Reset();
            }
            catch (NotSupportedException)
            {
            }
            f.MapDma(PhysicalMemory.PhysicalBase, Machine.Memory.Size, Machine.Memory.Fd, 0, Machine.Memory.HostBase, writable: true);
            if (!f.IsPlatformDevice)
            {
                Cpu.Run(() => PciCore.Add(f, slot++));
                continue;
            }
            // Granted platform devices back the board's device nodes in tree order, as vfio-platform devices back
            // the nodes a board's device tree gives them.
            if (platformDevices >= boardNodes.Count)
                throw new InvalidDataException(tree is null
                    ? "the host was granted a platform device, and the driver has no device tree to describe it (a port names one with 'device-tree = FILE.dts')"
                    : $"the host was granted {platformDevices + 1} platform devices, and the device tree has {boardNodes.Count} device node(s) with registers for them");
            var node = boardNodes[platformDevices++];
            Cpu.Run(() => Platform.AddGranted(f, node));
        }

        var host = new DriverHost(lib);
        var set = glue->ParamSet;
        foreach (var p in options.Parameters)
        {
            int eq = p.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"module parameter '{p}' is not name=value");
            var name = System.Text.Encoding.UTF8.GetBytes(p[..eq] + "\0");
            var value = System.Text.Encoding.UTF8.GetBytes(p[(eq + 1)..] + "\0");
            int r = Cpu.Run(() =>
            {
                fixed (byte* n = name, v = value)
                    return set(n, v);
            });
            if (r != 0)
                throw new ArgumentException(r == -2 ? $"the module has no parameter '{p[..eq]}'" : $"module parameter {p}: rejected (error {r})");
        }
        _current = host;
        return host;
    }

    /// <summary>Runs the module's init (module_init); its return value (0 or -errno).</summary>
    public int Init()
    {
        var start = Stopwatch.StartNew();
        var init = Library.Descriptor->Init;
        InitResult = init == null ? 0 : Cpu.Run(() => init());
        StartToInit = start.Elapsed;
        return InitResult;
    }

    /// <summary>Takes interfaces down and runs the module's exit (module_exit).</summary>
    public void Exit()
    {
        foreach (var d in NetCore.Registered.ToList())
            d.Close();
        var exit = Library.Descriptor->Exit;
        if (exit != null && InitResult == 0)
            Cpu.Run(() => exit());
    }

    /// <summary>Reads and unflattens the board's device tree into the kernel's memory (OpenFirmware); null when there
    /// is none and none was asked for. A malformed one is an error that says what is wrong with it.</summary>
    private static FlattenedDeviceTree? LoadDeviceTree(string file, bool required)
    {
        if (!File.Exists(file))
            return required ? throw new FileNotFoundException($"{file}: no such device tree blob") : null;
        FlattenedDeviceTree tree;
        try
        {
            tree = FlattenedDeviceTree.Parse(File.ReadAllBytes(file));
        }
        catch (DeviceTreeException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }
        Cpu.Run(() => OpenFirmware.Load(tree));
        return tree;
    }

    /// <summary>Where <paramref name="file"/> is mapped in this process (from /proc/self/maps), or null.</summary>
    private static (nuint Start, nuint End)? MappedRange(string file)
    {
        ulong start = ulong.MaxValue, end = 0;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            if (!line.EndsWith(" " + file, StringComparison.Ordinal))
                continue;
            var range = line[..line.IndexOf(' ')].Split('-');
            start = Math.Min(start, Convert.ToUInt64(range[0], 16));
            end = Math.Max(end, Convert.ToUInt64(range[1], 16));
        }
        return end == 0 ? null : ((nuint)start, (nuint)end);
    }

    /// <summary>Resident memory of this process, from /proc/self/status (bytes).</summary>
    public static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }
}
