// SPDX-License-Identifier: MIT
// A build directory configured from Debian's 6.1 configuration with CONFIG_OF=y over it (what the platform
// drivers of an ARM board need, and what Debian's amd64 configuration leaves unset): made with the kernel's own
// make, its exports adjusted from the EXPORT_SYMBOL lines of what it turns on, and a scan in it sees the
// device-tree calls a scan in Debian's does not. Kbuild builds stmmac in it as the oracle of those imports.
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Verify;
using Xunit.Abstractions;

namespace LinuxShim.Import.Tests.Kernel;

[Collection(KernelCollection.Name)]
public class ConfiguredBuildTests(KernelFixture kernel, ITestOutputHelper output)
{
    private const string Stmmac = "drivers/net/ethernet/stmicro/stmmac";

    [Fact]
    public void ADeviceTreeBuildSeesWhatDebiansDoesNot()
    {
        var fragment = ConfigFragment.Parse("# the device tree, for platform drivers\nCONFIG_OF=y\nCONFIG_OF_MDIO=m\n", "of.config");
        var log = new List<string>();
        var configured = kernel.Importer.Configured(fragment, Environment.ProcessorCount, log.Add);
        foreach (var line in log)
            output.WriteLine(line);
        var build = configured.Build;
        Assert.Null(kernel.Importer.Build.Config["CONFIG_OF"]);
        Assert.Equal("y", build.Config["CONFIG_OF"]);
        Assert.Equal("m", build.Config["CONFIG_STMMAC_PLATFORM"]);
        Assert.Equal(kernel.Importer.Build.Path, ConfiguredBuild.BaseOf(build.Path));
        // Made with the base's compiler (Debian's gcc-12, which need not be installed as gcc).
        Assert.Equal(kernel.Importer.Build.Config["CONFIG_CC_VERSION_TEXT"], build.Config["CONFIG_CC_VERSION_TEXT"]);

        // Exports: the base's, with those of what CONFIG_OF builds (drivers/of, net/core/of_net.c, of_mdio.ko).
        Assert.True(build.Symvers.TryGet("of_get_phy_mode", out var phyMode));
        Assert.Equal(("vmlinux", "EXPORT_SYMBOL_GPL"), (phyMode.Module, phyMode.ExportType));
        Assert.True(build.Symvers.TryGet("__of_mdiobus_register", out var mdio));
        Assert.Equal(("drivers/net/mdio/of_mdio", "EXPORT_SYMBOL"), (mdio.Module, mdio.ExportType));
        Assert.False(kernel.Importer.Build.Symvers.TryGet("of_get_phy_mode", out _));
        Assert.True(build.Symvers.TryGet("kmalloc_caches", out _));
        Assert.Contains("no vmlinux", configured.Kernel.Symvers);
        Assert.Null(kernel.Importer.Kernel.Symvers);

        // The scan: stmmac-platform calls of_get_mac_address only when CONFIG_OF is set (else it is an inline
        // returning -ENODEV), and of_get_mac_address is exported by the kernel so configured.
        var plain = kernel.Importer.Scan(Stmmac, module: "stmmac-platform").Modules.Single();
        var withOf = configured.Scan(Stmmac, module: "stmmac-platform").Modules.Single();
        Assert.DoesNotContain(plain.Requires, r => r.Symbol.StartsWith("of_", StringComparison.Ordinal));
        var call = Assert.Single(withOf.Requires, r => r.Symbol == "of_get_mac_address");
        Assert.Equal(("EXPORT_SYMBOL", "vmlinux"), (call.Export, call.Provider));
        output.WriteLine($"stmmac-platform: {plain.Requires.Count} imports in Debian's build, {withOf.Requires.Count} with CONFIG_OF: "
                         + string.Join(' ', withOf.Requires.Select(r => r.Symbol).Except(plain.Requires.Select(r => r.Symbol))));

        // The second request is a look-up.
        var again = ConfiguredBuild.Prepare(kernel.Importer.Tree, kernel.Importer.Build, fragment, kernel.Importer.CacheRoot, 2, null);
        Assert.True(again.Cached);
        Assert.Equal(build.Path, again.Build.Path);

        // Kbuild builds the same directory in the configured build: scan's imports are its nm -u.
        var model = configured.Scan(Stmmac);
        string work = Path.Combine(Path.GetTempPath(), "linuxshim-configured-" + Guid.NewGuid().ToString("N"));
        try
        {
            var oracle = KbuildOracle.BuildEach(configured.Tree, build.Path, build.Config.Hash, [Stmmac], work, cacheDir: null, out var failures);
            Assert.Empty(failures);
            Assert.Equal(["dwmac-generic", "stmmac", "stmmac-platform"], oracle.Keys.Where(k => k is "dwmac-generic" or "stmmac" or "stmmac-platform").Order(StringComparer.Ordinal));
            foreach (var row in OracleComparison.Compare(model, oracle).Where(r => r.Module is "dwmac-generic" or "stmmac" or "stmmac-platform"))
            {
                output.WriteLine($"{row.Module}: kbuild {row.Truth} scan {row.Predicted} recall {row.Recall:P1} precision {row.Precision:P1} missing {string.Join(' ', row.Missing)} extra {string.Join(' ', row.Extra)}");
                Assert.True(row.Missing.Count == 0, $"{row.Module}: scan misses {string.Join(' ', row.Missing)}");
                Assert.True(row.Precision >= 0.98, $"{row.Module}: precision {row.Precision:P1}, extra {string.Join(' ', row.Extra)}");
            }
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void AValueKconfigDoesNotKeepIsAnErrorAndLeavesNothing()
    {
        // Rockchip's glue needs ARCH_ROCKCHIP or COMPILE_TEST, neither of which x86's Debian configuration has.
        var fragment = ConfigFragment.Parse("CONFIG_OF=y\nCONFIG_DWMAC_ROCKCHIP=m\n", "rockchip.config");
        var e = Assert.Throws<ImportException>(() => ConfiguredBuild.Prepare(kernel.Importer.Tree, kernel.Importer.Build, fragment, kernel.Importer.CacheRoot, 2, null));
        output.WriteLine(e.Message);
        Assert.Contains("rockchip.config: Kconfig did not keep what it asks for: CONFIG_DWMAC_ROCKCHIP=m requested", e.Message);
        string builds = Path.Combine(kernel.Importer.CacheRoot, "builds");
        Assert.DoesNotContain(Directory.GetDirectories(builds), d => File.ReadAllText(Path.Combine(d, ".config")).Contains("CONFIG_DWMAC_ROCKCHIP=m", StringComparison.Ordinal));
    }
}
