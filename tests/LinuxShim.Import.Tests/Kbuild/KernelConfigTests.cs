// SPDX-License-Identifier: MIT
// Tests for KernelConfig: parsing auto.conf values, lookups, hashing and malformed input.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kbuild;

public class KernelConfigTests
{
    private const string Sample = """
        #
        # Automatically generated file; DO NOT EDIT.
        #
        CONFIG_NET=y
        CONFIG_8139TOO=m
        CONFIG_LOCALVERSION=""
        CONFIG_DEFAULT_HOSTNAME="(none) \"quoted\""
        CONFIG_CRYPTO_FIPS_NAME=Linux Kernel Cryptographic API
        CONFIG_NR_CPUS=512
        CONFIG_PHYSICAL_START=0x1000000

        """;

    [Fact]
    public void ParsesTristatesStringsAndNumbers()
    {
        var c = KernelConfig.Parse(Sample, "auto.conf");
        Assert.Equal("y", c["CONFIG_NET"]);
        Assert.Equal("m", c["CONFIG_8139TOO"]);
        Assert.Equal("", c["CONFIG_LOCALVERSION"]);
        Assert.Equal("(none) \"quoted\"", c["CONFIG_DEFAULT_HOSTNAME"]);
        Assert.Equal("Linux Kernel Cryptographic API", c["CONFIG_CRYPTO_FIPS_NAME"]);
        Assert.Equal("512", c["CONFIG_NR_CPUS"]);
        Assert.Equal("0x1000000", c["CONFIG_PHYSICAL_START"]);
        Assert.Null(c["CONFIG_NOT_SET"]);
        Assert.Equal(7, c.Values.Count);
    }

    [Fact]
    public void BuiltInAndModuleChecks()
    {
        var c = KernelConfig.Parse(Sample, "auto.conf");
        Assert.True(c.IsBuiltIn("CONFIG_NET"));
        Assert.False(c.IsModule("CONFIG_NET"));
        Assert.True(c.IsModule("CONFIG_8139TOO"));
        Assert.False(c.IsBuiltIn("CONFIG_8139TOO"));
        Assert.False(c.IsBuiltIn("CONFIG_NOT_SET"));
        Assert.False(c.IsModule("CONFIG_NOT_SET"));
    }

    [Fact]
    public void HashIgnoresCommentsAndOrderButNotValues()
    {
        var a = KernelConfig.Parse("CONFIG_A=y\nCONFIG_B=m\n", "a");
        var b = KernelConfig.Parse("# comment\nCONFIG_B=m\n\nCONFIG_A=y", "b");
        var c = KernelConfig.Parse("CONFIG_A=y\nCONFIG_B=y\n", "c");
        Assert.Equal(a.Hash, b.Hash);
        Assert.NotEqual(a.Hash, c.Hash);
        Assert.Matches("^[0-9a-f]{64}$", a.Hash);
    }

    [Theory]
    [InlineData("CONFIG_A=y\nthis is not a config line\n", 2)]
    [InlineData("CONFIG_A=y\nCONFIG_B=m\nFOO=y\n", 3)]
    [InlineData("CONFIG_A=\"unterminated\n", 1)]
    [InlineData("CONFIG_BAD NAME=y\n", 1)]
    public void MalformedLineNamesFileAndLine(string text, int line)
    {
        var e = Assert.Throws<ImportException>(() => KernelConfig.Parse(text, "/x/include/config/auto.conf"));
        Assert.StartsWith($"/x/include/config/auto.conf:{line}: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void LoadOfMissingFileIsImportException()
    {
        string path = Path.Combine(Path.GetTempPath(), "linuxshim-no-such-" + Guid.NewGuid().ToString("N"), "auto.conf");
        var e = Assert.Throws<ImportException>(() => KernelConfig.Load(path));
        Assert.Contains(path, e.Message);
    }
}
