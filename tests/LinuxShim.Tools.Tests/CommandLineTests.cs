// SPDX-License-Identifier: MIT
// Tests of the linuxshim argument parser.
using LinuxShim.Tools;

namespace LinuxShim.Tools.Tests;

public class CommandLineTests
{
    [Fact]
    public void ParsesCommandPositionalsAndBothOptionForms()
    {
        var cl = CommandLine.Parse(["scan", "drivers/net", "--json=out.json", "--linux", "/src@v6.1", "--quiet"]);
        Assert.Equal("scan", cl.Command);
        Assert.Equal("drivers/net", cl.Single("a directory"));
        Assert.Equal("out.json", cl.Get("json"));
        Assert.Equal("/src@v6.1", cl.Get("linux"));
        Assert.True(cl.Has("quiet"));
        Assert.False(cl.Has("strict"));
    }

    [Theory]
    [InlineData("--nope")]
    [InlineData("--json")]
    [InlineData("--quiet=yes")]
    [InlineData("-x")]
    public void RejectsBadOptions(string bad) => Assert.Throws<UsageException>(() => CommandLine.Parse(["scan", "d", bad]));

    [Fact]
    public void RejectsRepeatsAndBadNumbers()
    {
        Assert.Throws<UsageException>(() => CommandLine.Parse(["scan", "--json", "a", "--json", "b"]));
        Assert.Throws<UsageException>(() => CommandLine.Parse(["scan", "--jobs", "0"]).GetInt("jobs", 1));
        Assert.Equal(3, CommandLine.Parse(["scan", "--jobs", "3"]).GetInt("jobs", 1));
    }
}
