// SPDX-License-Identifier: MIT
// Tests for ConfigFragment (a port's CONFIG_ lines over a base configuration) and ExportLines (a source's
// EXPORT_SYMBOL* lines, what a build without vmlinux knows of its exports).
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kbuild;

public class ConfigFragmentTests
{
    [Fact]
    public void ReadsSettingsAndTheLastOfASymbolWins()
    {
        var f = ConfigFragment.Parse("# the device tree\nCONFIG_OF=y\n\nCONFIG_OF_MDIO=m\n# CONFIG_STMMAC_PCI is not set\nCONFIG_NR_CPUS=4\n"
                                     + "CONFIG_CMDLINE=\"quiet\"\nCONFIG_DEBUG_INFO=n\nCONFIG_OF_MDIO=y\n", "of.config");
        Assert.Equal("CONFIG_OF=y\nCONFIG_OF_MDIO=y\n# CONFIG_STMMAC_PCI is not set\nCONFIG_NR_CPUS=4\nCONFIG_CMDLINE=\"quiet\"\n# CONFIG_DEBUG_INFO is not set\n",
            f.ToConfigText());
    }

    [Theory]
    [InlineData("OF=y\n", "of.config:1: not a configuration line")]
    [InlineData("CONFIG_OF=y\nCONFIG_OF=yes\n", "of.config:2: CONFIG_OF has the value 'yes'")]
    [InlineData("CONFIG_CMDLINE=quiet\n", "of.config:1: CONFIG_CMDLINE has the value 'quiet'")]
    [InlineData("# only a comment\n\n", "of.config: the configuration fragment sets nothing")]
    public void ABadLineIsNamed(string text, string message)
    {
        var e = Assert.Throws<ImportException>(() => ConfigFragment.Parse(text, "of.config"));
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void SaysWhatKconfigDidNotKeep()
    {
        var f = ConfigFragment.Parse("CONFIG_OF=y\nCONFIG_DWMAC_ROCKCHIP=m\n# CONFIG_PCI is not set\nCONFIG_NO_SUCH=y\nCONFIG_HZ=250\n", "f");
        var lost = f.NotKept("CONFIG_OF=y\n# CONFIG_DWMAC_ROCKCHIP is not set\nCONFIG_PCI=y\nCONFIG_HZ=250\n");
        Assert.Equal(
        [
            "CONFIG_DWMAC_ROCKCHIP=m requested, the configuration has it not set (its dependencies decide)",
            "CONFIG_PCI not set requested, the configuration has CONFIG_PCI=y (its dependencies decide)",
            "CONFIG_NO_SUCH=y requested, but this kernel has no such option (or one it depends on is off)",
        ], lost);
        Assert.Empty(f.NotKept("CONFIG_OF=y\nCONFIG_DWMAC_ROCKCHIP=m\nCONFIG_NO_SUCH=y\nCONFIG_HZ=250\n"));
    }

    [Fact]
    public void ReadsExportLinesOfBothKernelsSpellings()
    {
        const string source = """
            int of_n_addr_cells(struct device_node *np) { return 0; }
            EXPORT_SYMBOL(of_n_addr_cells);
            EXPORT_SYMBOL_GPL(of_get_phy_mode);
              EXPORT_SYMBOL_NS_GPL(cxl_bus_type, CXL);
            EXPORT_SYMBOL_NS(usb_stor_probe1, "USB_STORAGE");
            /* EXPORT_SYMBOL(in_a_comment) is at no line start */
            #define EXPORT_SYMBOL(sym) nothing
            EXPORT_TRACEPOINT_SYMBOL_GPL(xdp_exception);
            """;
        Assert.Equal(
        [
            new ExportLines.Export("of_n_addr_cells", "EXPORT_SYMBOL", ""),
            new ExportLines.Export("of_get_phy_mode", "EXPORT_SYMBOL_GPL", ""),
            new ExportLines.Export("cxl_bus_type", "EXPORT_SYMBOL_GPL", "CXL"),
            new ExportLines.Export("usb_stor_probe1", "EXPORT_SYMBOL", "USB_STORAGE"),
        ], ExportLines.Read(source));
    }
}
