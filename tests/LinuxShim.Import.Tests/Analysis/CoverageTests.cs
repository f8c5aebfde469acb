// SPDX-License-Identifier: MIT
// Coverage against the shim: symbols read from [KernelSymbol] in code, per-module missing lists,
// the ranking of missing symbols, the greedy plan, and the Markdown and HTML reports.
using LinuxShim.Import.Analysis;
using LinuxShim.Import.Model;
using LinuxShim.Shim;
using LinuxShim.Tools.Reports;

namespace LinuxShim.Import.Tests.Analysis;

public class CoverageTests
{
    [KernelSymbol("jiffies")]
    private static readonly long Jiffies = 0;

    [KernelSymbol("msleep")]
    [KernelSymbol("msleep_interruptible")]
    private static void Sleep() { }

    [Fact]
    public void ImplementedSymbolsAreReadFromTheCode()
    {
        Assert.Equal(["jiffies", "msleep", "msleep_interruptible"], ShimSymbols.Implemented(typeof(CoverageTests).Assembly));
        Assert.Equal(0, Jiffies);
        Sleep();
    }

    private static ModuleInfo Module(string name, string status, params string[] requires) => new()
    {
        Name = name,
        Directory = "drivers/x",
        Status = status,
        Sources = [],
        Requires = requires.Select(s => new RequiredSymbol(s, s.StartsWith("gpl_", StringComparison.Ordinal) ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL", null, "vmlinux", null)).ToList(),
        Entry = new EntryPoints(),
    };

    private static ImportModel Model() => new()
    {
        Kernel = new KernelInfo { Source = "directory", Location = "/src", Release = "6.1", Build = "/b", Arch = "x86", Config = "c", Analyser = "a" },
        Scope = "drivers/x",
        Modules =
        [
            Module("a", "ok", "msleep", "pci_enable_device"),
            Module("b", "ok", "pci_enable_device", "gpl_dma", "kmalloc"),
            Module("c", "ok", "msleep"),
            Module("d", "error", "kmalloc"),
            Module("e", "ok", "rare_one", "rare_two", "rare_three", "pci_enable_device"),
        ],
    };

    [Fact]
    public void AModuleLinksWhenTheModulesItTakesExportsFromLinkToo()
    {
        // ne2k-pci takes ei_open from 8390 (a module of the scan) and usb_thing from a module outside it.
        RequiredSymbol FromModule(string symbol, string provider) => new(symbol, "EXPORT_SYMBOL", null, provider, null);
        var core = Module("8390", "ok", "msleep", "alloc_netdev_mqs");
        var driver = Module("ne2k-pci", "ok", "msleep") with { Requires = [.. Module("n", "ok", "msleep").Requires, FromModule("ei_open", "drivers/x/8390")] };
        var other = Module("other", "ok") with { Requires = [FromModule("usb_thing", "drivers/usb/core/usbcore")] };
        var model = Model() with { Modules = [core, driver, other] };

        var c = Coverage.Compute(model, new HashSet<string> { "msleep" });
        Assert.Equal(["alloc_netdev_mqs"], c.Modules.Single(m => m.Name == "8390").Missing);
        // What 8390 misses, ne2k-pci misses too; ei_open itself is not missing.
        Assert.Equal(["alloc_netdev_mqs"], c.Modules.Single(m => m.Name == "ne2k-pci").Missing);
        Assert.Equal(2, c.Modules.Single(m => m.Name == "ne2k-pci").Implemented);
        Assert.Equal(["usb_thing"], c.Modules.Single(m => m.Name == "other").Missing);

        c = Coverage.Compute(model, new HashSet<string> { "msleep", "alloc_netdev_mqs" });
        Assert.True(c.Modules.Single(m => m.Name == "ne2k-pci").Links);
        Assert.False(c.Modules.Single(m => m.Name == "other").Links);

        // A provider that failed to parse makes its users fail to link as well.
        c = Coverage.Compute(model with { Modules = [core with { Status = "error" }, driver] }, new HashSet<string> { "msleep", "alloc_netdev_mqs" });
        Assert.False(c.Modules.Single(m => m.Name == "ne2k-pci").Links);
    }

    [Fact]
    public void ProvidersOutsideTheScanAreImportedOnceAndCountOnlyWhenTheyLinkThemselves()
    {
        RequiredSymbol FromModule(string symbol, string provider) => new(symbol, "EXPORT_SYMBOL", null, provider, null);
        ModuleInfo In(string directory, string name, params RequiredSymbol[] requires) =>
            Module(name, "ok") with { Directory = directory, Requires = requires };
        RequiredSymbol Kernel(string symbol) => new(symbol, "EXPORT_SYMBOL", null, "vmlinux", null);
        // sungem takes sungem_phy_probe from drivers/net/sungem_phy, which takes mdio_read from drivers/net/mdio;
        // a PCMCIA driver takes pcmcia_enable_device from the PCMCIA core, which needs a bus the shim lacks;
        // a USB driver's provider is not built as a module here; mii_link_ok is implemented, so mii is not loaded.
        var model = Model() with
        {
            Modules =
            [
                In("drivers/x", "sungem", Kernel("msleep"), FromModule("sungem_phy_probe", "drivers/net/sungem_phy")),
                In("drivers/x", "card_cs", FromModule("pcmcia_enable_device", "drivers/pcmcia/pcmcia")),
                In("drivers/x", "usbnic", FromModule("usb_thing", "drivers/usb/core/usbcore"), FromModule("mii_link_ok", "drivers/net/mii")),
            ],
        };
        var providers = new Dictionary<string, ModuleInfo>
        {
            ["drivers/net/sungem_phy"] = In("drivers/net", "sungem_phy", Kernel("msleep"), FromModule("mdio_read", "drivers/net/mdio")),
            ["drivers/net/mdio"] = In("drivers/net", "mdio", Kernel("msleep")),
            ["drivers/pcmcia/pcmcia"] = In("drivers/pcmcia", "pcmcia", Kernel("bus_register_pcmcia_socket")),
            ["drivers/net/mii"] = In("drivers/net", "mii", Kernel("never_needed")),
        };
        var asked = new List<string>();
        var implemented = new HashSet<string> { "msleep", "mii_link_ok" };
        var outside = Coverage.ImportProviders(model, implemented, (directory, name) =>
        {
            asked.Add(directory + "/" + name);
            return providers.GetValueOrDefault(directory + "/" + name);
        });
        Assert.Equal(["drivers/net/sungem_phy", "drivers/pcmcia/pcmcia", "drivers/usb/core/usbcore", "drivers/net/mdio"], asked);
        Assert.Equal(["sungem_phy", "pcmcia", "mdio"], outside.Select(m => m.Name));

        var c = Coverage.Compute(model, implemented, outside);
        Assert.True(c.Modules.Single(m => m.Name == "sungem").Links);
        Assert.Equal(2, c.Modules.Single(m => m.Name == "sungem").Implemented);
        Assert.Equal(["bus_register_pcmcia_socket"], c.Modules.Single(m => m.Name == "card_cs").Missing);
        Assert.Equal(["usb_thing"], c.Modules.Single(m => m.Name == "usbnic").Missing);
        Assert.Equal(1, c.ModulesLinking); // outside modules are not counted as modules of the scan
        Assert.Equal(1, c.Missing.Single(m => m.Symbol == "bus_register_pcmcia_socket").Blocks);
        var phy = c.Providers.Single(p => p.Name == "sungem_phy");
        Assert.True(phy.Links);
        Assert.Equal(["sungem"], phy.UsedBy);
        Assert.Equal(["sungem_phy"], c.Providers.Single(p => p.Name == "mdio").UsedBy);
        Assert.False(c.Providers.Single(p => p.Name == "pcmcia").Links);

        // What the provider misses is missing for its users: without msleep sungem misses it twice over, once.
        c = Coverage.Compute(model, new HashSet<string> { "mii_link_ok" }, outside);
        Assert.Equal(["msleep"], c.Modules.Single(m => m.Name == "sungem").Missing);
        Assert.False(c.Providers.Single(p => p.Name == "mdio").Links);
        Assert.Contains("| sungem_phy | drivers/net | no | 1 | sungem |", MarkdownReport.Write(model with { Coverage = c }));
    }

    [Fact]
    public void MissingSymbolsAreRankedAndThePlanTakesTheCheapestModuleFirst()
    {
        var c = Coverage.Compute(Model(), new HashSet<string> { "msleep" });
        Assert.Equal(1, c.ShimSymbols);
        Assert.Equal(1, c.ModulesLinking); // c; d needs nothing missing but failed to parse
        Assert.Equal(["pci_enable_device"], c.Modules.Single(m => m.Name == "a").Missing);
        Assert.False(c.Modules.Single(m => m.Name == "d").Links);
        Assert.Equal(("pci_enable_device", 3), (c.Missing[0].Symbol, c.Missing[0].Blocks));
        Assert.Equal(("kmalloc", 2), (c.Missing[1].Symbol, c.Missing[1].Blocks));
        Assert.Equal("EXPORT_SYMBOL_GPL", c.Missing.Single(m => m.Symbol == "gpl_dma").Export);

        Assert.Equal(3, c.Plan.Count);
        Assert.Equal(["pci_enable_device"], c.Plan[0].Implement);
        Assert.Equal(["a"], c.Plan[0].Links);
        Assert.Equal((1, 1), (c.Plan[0].TotalSymbols, c.Plan[0].TotalModules));
        Assert.Equal(["gpl_dma", "kmalloc"], c.Plan[1].Implement);
        Assert.Equal(["b"], c.Plan[1].Links);
        Assert.Equal(["e"], c.Plan[2].Links);
        Assert.Equal((6, 3), (c.Plan[2].TotalSymbols, c.Plan[2].TotalModules));
    }

    [Fact]
    public void ReportsAreSelfContained()
    {
        var model = Model() with { Coverage = Coverage.Compute(Model(), new HashSet<string>()) };
        string md = MarkdownReport.Write(model);
        Assert.Contains("| `pci_enable_device` | EXPORT_SYMBOL | 3 |", md);
        Assert.Contains("| e | drivers/x | - | 4 | 0 | 4 | no | ok |", md);
        string html = HtmlReport.Write(model);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("href=", html);
        Assert.Contains(">pci_enable_device</text>", html);
    }
}
