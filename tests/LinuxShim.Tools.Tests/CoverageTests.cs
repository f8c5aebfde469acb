// SPDX-License-Identifier: MIT
// Coverage against the shim: symbols read from [KernelSymbol] in code, per-module missing lists,
// the ranking of missing symbols, the greedy plan, and the Markdown and HTML reports.
using LinuxShim.Import.Model;
using LinuxShim.Shim;
using LinuxShim.Tools.Reports;

namespace LinuxShim.Tools.Tests;

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
