// SPDX-License-Identifier: MIT
// Tests for ModuleSymvers: parsing export lines, namespaces, lookups and malformed lines.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kbuild;

public class ModuleSymversTests
{
    private const string Sample =
        "0x4c9d28b0\tphys_base\tvmlinux\tEXPORT_SYMBOL\t\n" +
        "0x039823de\tinit_uts_ns\tvmlinux\tEXPORT_SYMBOL_GPL\t\n" +
        "0x84b45156\tinsert_resource_expand_to_fit\tvmlinux\tEXPORT_SYMBOL_GPL\tCXL\n" +
        "0x00000000\tmii_link_ok\tdrivers/net/mii\tEXPORT_SYMBOL\n";

    [Fact]
    public void ParsesExports()
    {
        var s = ModuleSymvers.Parse(Sample, "Module.symvers");
        Assert.Equal(4, s.Count);
        Assert.True(s.TryGet("phys_base", out var phys));
        Assert.Equal(new SymbolExport("phys_base", "vmlinux", "EXPORT_SYMBOL", "") { Crc = 0x4c9d28b0 }, phys);
        Assert.Equal(0x4c9d28b0u, phys.Crc);
        Assert.True(s.TryGet("init_uts_ns", out var uts));
        Assert.Equal("EXPORT_SYMBOL_GPL", uts.ExportType);
        Assert.True(s.TryGet("insert_resource_expand_to_fit", out var ns));
        Assert.Equal("CXL", ns.Namespace);
        Assert.True(s.TryGet("mii_link_ok", out var mii));
        Assert.Equal("drivers/net/mii", mii.Module);
        Assert.Equal("", mii.Namespace);
        Assert.False(s.TryGet("no_such_symbol", out _));
    }

    [Theory]
    [InlineData("0x1\tsym\tvmlinux\n", "expected 4 or 5")]
    [InlineData("crc\tsym\tvmlinux\tEXPORT_SYMBOL\t\n", "CRC")]
    [InlineData("0x1\tsym\tvmlinux\tPUBLIC\t\n", "export type")]
    [InlineData("0x1\t\tvmlinux\tEXPORT_SYMBOL\t\n", "symbol")]
    public void MalformedLineIsReportedWithLineNumber(string bad, string why)
    {
        var e = Assert.Throws<ImportException>(() => ModuleSymvers.Parse(Sample + bad, "/b/Module.symvers"));
        Assert.StartsWith("/b/Module.symvers:5: malformed Module.symvers line", e.Message);
        Assert.Contains(why, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
