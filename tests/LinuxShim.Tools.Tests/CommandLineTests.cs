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

    [Theory]
    [InlineData("0")]
    [InlineData("soon")]
    public void InjectRejectsABadRecoveryBoundBeforeStartingAnything(string value)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        // The port folder does not exist: the bound is checked before anything is loaded or started.
        int exit = Cli.Run(["inject", "/nonexistent/port", "--faults", "1", "--recovery-s", value], stdout, stderr);
        Assert.Equal(Cli.ExitUsage, exit);
        Assert.Contains($"linuxshim: --recovery-s must be a positive integer, not '{value}'", stderr.ToString());
        Assert.Equal("", stdout.ToString());
    }
}
