// SPDX-License-Identifier: MIT
// Tests of kernel versions as ports, releases and Makefiles spell them, and of a port recipe's
// "kernel = 6.1, 6.12" line: exact major.minor, so 6.12.118 is not a 6.1.
using LinuxShim.Import.Install;
using LinuxShim.Import.Port;

namespace LinuxShim.Import.Tests.Install;

public sealed class KernelVersionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-recipe-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("6.12.118+deb12-amd64", 6, 12, 118)]
    [InlineData("6.1.0-57-amd64", 6, 1, 0)]
    [InlineData("6.1.192", 6, 1, 192)]
    [InlineData("6.12", 6, 12, null)]
    [InlineData("v6.13-rc2", 6, 13, null)]
    public void ParsesReleases(string text, int major, int minor, int? patch)
    {
        Assert.True(KernelVersion.TryParseRelease(text, out var v));
        Assert.Equal(new KernelVersion(major, minor, patch), v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("6")]
    [InlineData("amd64")]
    [InlineData("6.x")]
    public void RejectsWhatIsNoRelease(string text) => Assert.False(KernelVersion.TryParseRelease(text, out _));

    [Theory]
    [InlineData("6.1", true)]
    [InlineData("6.12", true)]
    [InlineData("6.1.5", false)]
    [InlineData("6", false)]
    [InlineData("6.1x", false)]
    public void SeriesAreExactlyMajorMinor(string text, bool ok) => Assert.Equal(ok, KernelVersion.TryParseSeries(text, out _));

    [Fact]
    public void SeriesCompareExactly()
    {
        var v61 = new KernelVersion(6, 1);
        Assert.False(v61.SameSeries(new KernelVersion(6, 12, 118)));
        Assert.False(v61.SameSeries(new KernelVersion(6, 10)));
        Assert.True(v61.SameSeries(new KernelVersion(6, 1, 192)));
        Assert.True(new KernelVersion(6, 12) > new KernelVersion(6, 2, 99));
        Assert.True(new KernelVersion(6, 1, 192) > new KernelVersion(6, 1, 190));
        Assert.Equal("6.12.118", new KernelVersion(6, 12, 118).ToString());
    }

    [Fact]
    public void ReadsTheTopLevelMakefile()
    {
        Assert.Equal(new KernelVersion(6, 12, 118), KernelVersion.FromMakefile("# SPDX\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n"));
        Assert.Equal(new KernelVersion(9, 9), KernelVersion.FromMakefile("VERSION = 9\nPATCHLEVEL = 9\n"));
        Assert.Null(KernelVersion.FromMakefile("include /usr/src/linux-headers-6.12.118+deb12-common/Makefile\n"));
    }

    private PortRecipe Recipe(string kernelLine)
    {
        File.WriteAllText(Path.Combine(_dir, PortRecipe.FileName), $"directory = drivers/net/x\nmodule = x\n{kernelLine}\n");
        return PortRecipe.Load(_dir);
    }

    [Fact]
    public void RecipesListTheSeriesTheySupport()
    {
        var recipe = Recipe("kernel = 6.12, 6.1");
        Assert.Equal([new KernelVersion(6, 1), new KernelVersion(6, 12)], recipe.Kernels);
        Assert.Equal("6.1, 6.12", recipe.KernelList);
        Assert.True(recipe.Supports(new KernelVersion(6, 12, 118)));
        Assert.True(recipe.Supports(new KernelVersion(6, 1, 192)));
        Assert.False(recipe.Supports(new KernelVersion(6, 13, 1)));

        // The old string prefix let 6.12.118 pass for a 6.1 port.
        recipe = Recipe("kernel = 6.1");
        Assert.False(recipe.Supports(new KernelVersion(6, 12, 118)));
        Assert.Equal([new KernelVersion(6, 1), new KernelVersion(6, 12)], Recipe("kernel = 6.1 6.12").Kernels);
    }

    [Theory]
    [InlineData("kernel = 6.1.5", "kernel versions are MAJOR.MINOR (6.1, 6.12), found '6.1.5'")]
    [InlineData("kernel = 6.1, 6.1", "kernel 6.1 is listed twice")]
    [InlineData("kernel = latest", "found 'latest'")]
    [InlineData("", "missing 'kernel = <versions>'")]
    public void BadKernelLinesAreNamed(string line, string message) =>
        Assert.Contains(message, Assert.Throws<ImportException>(() => Recipe(line)).Message);

    [Fact]
    public void EveryPortOfTheRepositorySupportsBothDebianKernels()
    {
        foreach (var port in new[] { "8139too", "e1000", "8139too-trojan" })
        {
            var recipe = TestKernels.Recipe(port);
            Assert.Equal([new KernelVersion(6, 1), new KernelVersion(6, 12)], recipe.Kernels);
        }
    }
}
