// SPDX-License-Identifier: MIT
// The limit and the cost columns of `netif bench`: the line rate of a link at a frame size (IEEE 802.3's
// framing), and a process's processor time from /proc/PID/stat.
using System.Diagnostics;
using LinuxShim.Tools;

namespace LinuxShim.Tools.Tests;

public class NetifBenchTests
{
    [Theory]
    [InlineData(1000, 60, 1_488_095)]   // a 64-byte frame: 84 bytes on the wire with preamble and gap
    [InlineData(1000, 1514, 81_274)]    // 1538 bytes on the wire
    [InlineData(100, 60, 148_810)]
    [InlineData(100, 1514, 8_127)]
    [InlineData(1000, 40, 1_488_095)]   // shorter than the minimum: padded to 64 bytes with its FCS
    public void TheLineRateCountsFcsPreambleAndGap(int mbps, int frameBytes, int fps) =>
        Assert.Equal(fps, NetifBench.LineRate(mbps, frameBytes), 0.5);

    [Fact]
    public void ProcessorTimeOfThisProcessGrowsWhileItSpins()
    {
        long before = NetifBench.ProcessCpuNs(Environment.ProcessId) ?? -1;
        Assert.True(before > 0);
        // Spin until the counter shows 50 ms more (five ticks), however small this process's share of a busy machine.
        var spin = Stopwatch.StartNew();
        long used = 0, x = 0;
        while (used < 50_000_000 && spin.Elapsed < TimeSpan.FromSeconds(20))
        {
            for (int i = 0; i < 100_000; i++)
                x += i & 1;
            used = (NetifBench.ProcessCpuNs(Environment.ProcessId) ?? -1) - before;
        }
        Assert.True(used >= 50_000_000, $"{used} ns after {spin.ElapsedMilliseconds} ms of spinning ({x})");
        Assert.Null(NetifBench.ProcessCpuNs(int.MaxValue));
    }
}
