// SPDX-License-Identifier: MIT
// Managed side. The SFP bus (drivers/net/phy/sfp-bus.c, built into the kernel beside a modular libphy): how phylink
// finds the SFP cage a MAC's firmware node names with an "sfp" reference. No board here has a cage, and SFP modules
// (their EEPROM over I2C, their PHYs) are not offered: a node without the reference has no bus (NULL, phylink carries
// on without one, as on a board without a cage); a node with one ends the host, saying so, rather than leave the
// driver on a link it cannot have. What phylink then calls with its NULL bus does what Linux's does with none
// (nothing, success); the sfp_* calls that need a module's EEPROM stay trace-and-fail stubs.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Sfp
{
    [KernelSymbol("sfp_bus_find_fwnode"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint SfpBusFindFwnode(nint fwnode)
    {
        var node = OpenFirmware.Managed(OpenFirmware.OfNode(fwnode));
        if (node?.Property("sfp") is null)
            return 0;
        Machine.Fatal($"sfp_bus_find_fwnode({node.Path}): the node names an SFP cage; SFP buses and modules are not implemented");
        return 0;
    }

    // With no bus each of these is what sfp-bus.c makes it: success, nothing to do. No bus is ever handed out.
    [KernelSymbol("sfp_bus_add_upstream"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SfpBusAddUpstream(nint bus, nint upstream, nint ops) => NoBus(bus, "sfp_bus_add_upstream");

    [KernelSymbol("sfp_bus_del_upstream"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SfpBusDelUpstream(nint bus) => NoBus(bus, "sfp_bus_del_upstream");

    [KernelSymbol("sfp_bus_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SfpBusPut(nint bus) => NoBus(bus, "sfp_bus_put");

    [KernelSymbol("sfp_upstream_start"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SfpUpstreamStart(nint bus) => NoBus(bus, "sfp_upstream_start");

    [KernelSymbol("sfp_upstream_stop"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SfpUpstreamStop(nint bus) => NoBus(bus, "sfp_upstream_stop");

    private static int NoBus(nint bus, string call)
    {
        if (bus != 0)
            Machine.Fatal($"{call}(0x{bus:x}): not an SFP bus this shim handed out (it hands out none)");
        return 0;
    }
}
