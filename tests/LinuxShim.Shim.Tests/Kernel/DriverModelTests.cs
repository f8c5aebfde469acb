// SPDX-License-Identifier: MIT
// Tests of the shim's driver model (drivers/base: bus matching, probe, unbind and release order), CPU hotplug
// states of its one CPU (kernel/cpu.c), scatterlist geometry (lib/scatterlist.c), IDA and cpumask walks:
// what the virtio bus, virtio_pci and virtio_net rely on.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed unsafe class DriverModelTests
{
    private const int ENoDev = -19, EInval = -22, EBusy = -16, ENoSpc = -28;

    private sealed class Recorder
    {
        public readonly List<string> Events = [];
        public DeviceModel Model { get; }

        public Recorder() => Model = new DeviceModel
        {
            DriverChanged = (dev, drv) => Events.Add($"driver {dev.Name}={drv?.Name ?? "-"}"),
            ReleaseResources = dev => Events.Add($"devres {dev.Name}"),
        };

        public DeviceModel.Bus Bus(string name, Func<DeviceModel.Device, DeviceModel.Driver, int>? match = null) => new(0x1000, name)
        {
            Match = match,
            Probe = dev => { Events.Add($"bus probe {dev.Name} by {dev.Driver!.Name}"); return dev.Driver.Probe!(dev); },
            Remove = dev => Events.Add($"bus remove {dev.Name} from {dev.Driver!.Name}"),
        };

        public DeviceModel.Driver Driver(DeviceModel.Bus bus, string name, int result = 0) => new(0x2000, name, bus)
        {
            Probe = dev => { Events.Add($"probe {dev.Name} by {name}"); return result; },
        };

        public DeviceModel.Device Device(DeviceModel.Bus? bus, string name) =>
            new(0x3000, name, bus) { Release = () => Events.Add($"release {name}") };
    }

    [Fact]
    public void ADeviceAddedBeforeItsDriverIsProbedWhenTheDriverRegistersThroughTheBus()
    {
        var r = new Recorder();
        var bus = r.Bus("virtio", (dev, drv) => dev.Name.StartsWith("virtio", StringComparison.Ordinal) && drv.Name == "virtio_net" ? 1 : 0);
        Assert.Equal(0, r.Model.RegisterBus(bus));
        var dev = r.Device(bus, "virtio0");
        Assert.Equal(0, r.Model.AddDevice(dev, null));
        Assert.Empty(r.Events); // no driver yet
        Assert.Equal(0, r.Model.RegisterDriver(r.Driver(bus, "other")));
        Assert.Empty(r.Events); // the bus's match says no
        var net = r.Driver(bus, "virtio_net");
        Assert.Equal(0, r.Model.RegisterDriver(net));
        Assert.Equal(["driver virtio0=virtio_net", "bus probe virtio0 by virtio_net", "probe virtio0 by virtio_net"], r.Events);
        Assert.Same(net, dev.Driver);
    }

    [Fact]
    public void ADeviceAddedAfterItsDriversTriesThemInOrderUntilOneBinds()
    {
        var r = new Recorder();
        var bus = r.Bus("virtio");
        r.Model.RegisterBus(bus);
        r.Model.RegisterDriver(r.Driver(bus, "first", ENoDev)); // rejects the match quietly
        r.Model.RegisterDriver(r.Driver(bus, "second", EInval)); // fails
        var third = r.Driver(bus, "third");
        r.Model.RegisterDriver(third);
        r.Model.RegisterDriver(r.Driver(bus, "fourth"));
        var dev = r.Device(bus, "virtio0");
        Assert.Equal(0, r.Model.AddDevice(dev, null));
        Assert.Equal(
        [
            "driver virtio0=first", "bus probe virtio0 by first", "probe virtio0 by first", "devres virtio0", "driver virtio0=-",
            "driver virtio0=second", "bus probe virtio0 by second", "probe virtio0 by second", "devres virtio0", "driver virtio0=-",
            "driver virtio0=third", "bus probe virtio0 by third", "probe virtio0 by third",
        ], r.Events);
        Assert.Same(third, dev.Driver); // fourth is never tried
    }

    [Fact]
    public void UnbindingRemovesBeforeReleasingResourcesAndTheLastReferenceReleasesChildThenParent()
    {
        var r = new Recorder();
        var bus = r.Bus("virtio");
        r.Model.RegisterBus(bus);
        var drv = r.Driver(bus, "virtio_net");
        r.Model.RegisterDriver(drv);
        var parent = r.Device(null, "0000:00:03.0");
        Assert.Equal(0, r.Model.AddDevice(parent, null));
        var a = r.Device(bus, "virtio0");
        var b = r.Device(bus, "virtio1");
        r.Model.AddDevice(a, parent);
        r.Model.AddDevice(b, parent);
        Assert.Equal(3, parent.References); // its own and one from each child
        r.Events.Clear();
        r.Model.UnregisterDriver(drv); // the last added is unbound first
        Assert.Equal(["bus remove virtio1 from virtio_net", "devres virtio1", "driver virtio1=-",
            "bus remove virtio0 from virtio_net", "devres virtio0", "driver virtio0=-"], r.Events);
        r.Events.Clear();
        r.Model.Get(a);
        r.Model.DeleteDevice(a);
        r.Model.Put(a);
        Assert.Empty(r.Events); // a reference is still held
        r.Model.Put(a);
        Assert.Equal(["release virtio0"], r.Events);
        r.Model.DeleteDevice(b);
        r.Model.Put(b);
        r.Model.Put(parent);
        Assert.Equal(["release virtio0", "release virtio1", "release 0000:00:03.0"], r.Events);
    }

    [Fact]
    public void DriversNeedARegisteredBusAndAFreeNameAndDevicesANameAndTheirBus()
    {
        var r = new Recorder();
        var bus = r.Bus("virtio");
        Assert.Equal(EInval, r.Model.RegisterDriver(r.Driver(bus, "virtio_net")));
        Assert.Equal(EInval, r.Model.AddDevice(r.Device(bus, "virtio0"), null));
        r.Model.RegisterBus(bus);
        Assert.Equal(-17, r.Model.RegisterBus(r.Bus("virtio"))); // -EEXIST
        Assert.Equal(0, r.Model.RegisterDriver(r.Driver(bus, "virtio_net")));
        Assert.Equal(EBusy, r.Model.RegisterDriver(r.Driver(bus, "virtio_net")));
        Assert.Equal(EInval, r.Model.AddDevice(r.Device(bus, ""), null));
    }

    // CPU hotplug: callbacks the states call, recorded as "startup 0", "teardown 0 node 0x.." and so on.
    private static readonly List<string> Calls = [];
    private static int _startupResult;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Startup(uint cpu)
    {
        Calls.Add($"startup {cpu}");
        return _startupResult;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Teardown(uint cpu)
    {
        Calls.Add($"teardown {cpu}");
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int StartupMulti(uint cpu, nint node)
    {
        Calls.Add($"startup {cpu} node {node:x}");
        return _startupResult;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int TeardownMulti(uint cpu, nint node)
    {
        Calls.Add($"teardown {cpu} node {node:x}");
        return 0;
    }

    // 6.1's numbering: CPUHP_BP_PREPARE_DYN 57..77, CPUHP_AP_ONLINE_DYN 208..238, CPUHP_ONLINE 240.
    private static CpuHotplugStates States() => new(57, 77, 208, 238, 240);

    [Fact]
    public void StatesOfTheOnlineCpuRunTheirCallbacksForCpu0OnlyWhenAskedTo()
    {
        Calls.Clear();
        _startupResult = 0;
        var s = States();
        nint up = (nint)(delegate* unmanaged[Cdecl]<uint, int>)&Startup, down = (nint)(delegate* unmanaged[Cdecl]<uint, int>)&Teardown;
        Assert.Equal(208, s.Setup(208, "a:online", invoke: true, up, down, multi: false)); // dynamic: the first free one
        Assert.Equal(["startup 0"], Calls);
        Assert.Equal(209, s.Setup(208, "b:online", invoke: false, up, down, multi: false));
        Assert.Equal(["startup 0"], Calls);
        Assert.Equal(0, s.Setup(100, "fixed", invoke: true, up, down, multi: false)); // a fixed state: 0
        Assert.Equal(EBusy, s.Setup(100, "fixed again", invoke: false, up, down, multi: false));
        Assert.Equal(EInval, s.Setup(240, "online itself", invoke: false, up, down, multi: false));
        Assert.Equal(EInval, s.Setup(120, null, invoke: false, up, down, multi: false));
        s.Remove(208, invoke: true, _ => { });
        s.Remove(209, invoke: false, _ => { });
        Assert.Equal(["startup 0", "startup 0", "teardown 0"], Calls);
        Assert.False(s.IsSetUp(208));
        Assert.Equal(208, s.Setup(208, "c:online", invoke: false, up, down, multi: false)); // freed, handed out again

        _startupResult = -12;
        Assert.Equal(-12, s.Setup(101, "failing", invoke: true, up, down, multi: false));
        Assert.False(s.IsSetUp(101)); // a failed startup leaves no state behind
        for (int i = 0; i < 30; i++)
            s.Setup(208, $"fill{i}", invoke: false, 0, 0, multi: false);
        Assert.Equal(ENoSpc, s.Setup(208, "one too many", invoke: false, 0, 0, multi: false));
    }

    [Fact]
    public void MultiInstanceStatesCallPerInstanceAndWarnWhenRemovedWithInstancesLeft()
    {
        Calls.Clear();
        _startupResult = 0;
        var s = States();
        nint up = (nint)(delegate* unmanaged[Cdecl]<uint, nint, int>)&StartupMulti, down = (nint)(delegate* unmanaged[Cdecl]<uint, nint, int>)&TeardownMulti;
        int online = s.Setup(208, "virtio/net:online", invoke: false, up, down, multi: true);
        Assert.Equal(208, online);
        Assert.Equal(0, s.Setup(71, "virtio/net:dead", invoke: true, 0, down, multi: true));
        Assert.Empty(Calls); // no instances yet
        Assert.Equal(0, s.AddInstance(online, 0x10, invoke: false)); // the _nocalls variant
        Assert.Equal(0, s.AddInstance(online, 0x20, invoke: true));
        Assert.Equal(["startup 0 node 20"], Calls);
        Assert.Equal(2, s.InstanceCount(online));
        Assert.Equal(EInval, s.AddInstance(300, 0x30, invoke: false)); // not set up
        var warnings = new List<string>();
        s.Remove(online, invoke: true, warnings.Add);
        Assert.Single(warnings); // instances left: Linux warns and frees the state anyway
        Assert.Equal(["startup 0 node 20"], Calls);
        Assert.Equal(0, s.AddInstance(71, 0x40, invoke: false));
        Assert.Equal(0, s.RemoveInstance(71, 0x40, invoke: true));
        Assert.Equal(["startup 0 node 20", "teardown 0 node 40"], Calls);
        _startupResult = -5;
        int other = s.Setup(208, "x", invoke: false, up, down, multi: true);
        Assert.Equal(-5, s.AddInstance(other, 0x50, invoke: true));
        Assert.Equal(0, s.InstanceCount(other)); // a failed startup does not list the instance
    }

    [Fact]
    public void ScatterlistsEndAtTheMarkedEntryAndFollowChains()
    {
        var g = new Scatterlist.Geometry(Size: 32, PageLink: 0, Offset: 8, Length: 12);
        nint a = (nint)NativeMemory.AllocZeroed(32 * 3), b = (nint)NativeMemory.AllocZeroed(32 * 2);
        try
        {
            NativeMemory.Fill((void*)a, 32 * 3, 0xcc);
            g.InitTable(a, 3);
            Assert.Equal(2UL, g.Link(a + 64)); // only the last entry is the end
            Assert.Equal(0UL, g.Link(a) | g.Link(a + 32));
            Assert.Equal(0u, g.LengthOf(a));
            g.SetPage(a + 64, 0x7000_1000, 1500, 66);
            Assert.True(g.IsLast(a + 64)); // setting the page keeps the mark
            Assert.Equal((nint)0x7000_1000, g.Page(a + 64));
            Assert.Equal((66u, 1500u), (g.OffsetOf(a + 64), g.LengthOf(a + 64)));
            Assert.Equal(a + 32, g.Next(a));
            Assert.Equal(a + 64, g.Next(a + 32));
            Assert.Equal(0, g.Next(a + 64));

            // Two entries of a, then a chain link (a's third entry) to b's two.
            g.InitTable(b, 2);
            g.ChainTo(a, 3, b);
            Assert.True(g.IsChain(a + 64));
            Assert.False(g.IsLast(a + 64));
            Assert.Equal(b, g.Next(a + 32));
            Assert.Equal(b + 32, g.Next(b));
            Assert.Equal(0, g.Next(b + 32));
            g.MarkEnd(a + 32); // the end mark cuts the list before the chain
            Assert.Equal(0, g.Next(a + 32));
        }
        finally
        {
            NativeMemory.Free((void*)a);
            NativeMemory.Free((void*)b);
        }
    }

    [Fact]
    public void AnIdaHandsOutTheSmallestFreeIdInItsRange()
    {
        nint ida = 0x5000 + Random.Shared.Next(1, 1 << 20) * 16;
        Assert.Equal(0, Idr.Allocate(ida, 0, uint.MaxValue));
        Assert.Equal(1, Idr.Allocate(ida, 0, uint.MaxValue));
        Assert.Equal(2, Idr.Allocate(ida, 0, uint.MaxValue));
        Idr.Release(ida, 1);
        Assert.Equal(1, Idr.Allocate(ida, 0, uint.MaxValue)); // reused
        Assert.Equal(5, Idr.Allocate(ida, 5, 6));
        Assert.Equal(6, Idr.Allocate(ida, 5, 6));
        Assert.Equal(ENoSpc, Idr.Allocate(ida, 5, 6));
        Assert.Equal(3, Idr.Allocate(ida, 0, uint.MaxValue));
        Assert.Equal(6, Idr.Count(ida));
        Assert.Equal(EInval, Idr.Allocate(ida, 0x8000_0000, uint.MaxValue));
    }

    [Fact]
    public void CpumaskNextWrapWalksOnceRoundFromTheStart()
    {
        ulong mask = 0b1011; // CPUs 0, 1, 3 of 4
        var seen = new List<uint>();
        // for_each_cpu_wrap(cpu, mask, 2): cpumask_next_wrap(start - 1, mask, start, false), then (cpu, mask, start, true).
        for (uint cpu = Cpumask.NextWrap(1, &mask, 2, false, 4); cpu < 4; cpu = Cpumask.NextWrap((int)cpu, &mask, 2, true, 4))
            seen.Add(cpu);
        Assert.Equal([3u, 0u, 1u], seen);
        ulong one = 1; // the machine's own mask: CPU 0 of nr_cpu_ids 1
        Assert.Equal(0u, Cpumask.NextWrap(-1, &one, 0, false));
        Assert.Equal(1u, Cpumask.NextWrap(0, &one, 0, true));
        ulong none = 0;
        Assert.Equal(4u, Cpumask.NextWrap(0, &none, 1, false, 4));
    }
}
