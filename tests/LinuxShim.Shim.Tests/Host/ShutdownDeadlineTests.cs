// SPDX-License-Identifier: MIT
// Tests of the driver host's shutdown deadline (shim/Host/ShutdownDeadline.cs), with the process's
// end replaced by a recorder: it ends a shutdown that runs over, not one that finishes, and a later
// start can only bring the end closer.
using System.Diagnostics;
using LinuxShim.Shim.Host;

namespace LinuxShim.Shim.Tests.Host;

public sealed class ShutdownDeadlineTests : IDisposable
{
    private readonly ManualResetEventSlim ended = new();
    private string? message;
    private int status;

    public void Dispose() => ended.Dispose();

    private ShutdownDeadline Deadline(int ms) => new(TimeSpan.FromMilliseconds(ms), (m, s) =>
    {
        message = m;
        status = s;
        ended.Set();
    });

    [Fact]
    public void AShutdownThatRunsOverIsEndedWithItsReason()
    {
        using var deadline = Deadline(100);
        var clock = Stopwatch.StartNew();
        deadline.Begin("SIGTERM");
        Assert.True(ended.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(clock.ElapsedMilliseconds >= 90, $"ended after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(HostExit.ShutdownTimedOut, status);
        Assert.Equal("SIGTERM: the orderly shutdown did not finish within 100 ms; exiting", message);
    }

    [Fact]
    public void NothingEndsBeforeAShutdownBeginsOrAfterItFinished()
    {
        using (Deadline(50))
            Assert.False(ended.Wait(300)); // never begun
        using var deadline = Deadline(50);
        deadline.Begin("exit");
        deadline.Finished();
        Assert.False(ended.Wait(300));
    }

    [Fact]
    public void ALaterStartBringsTheEndCloserButNeverPushesItBack()
    {
        using var deadline = Deadline(100);
        deadline.Begin("exit", TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        deadline.Begin("SIGTERM"); // 100 ms: closer
        Assert.True(ended.Wait(TimeSpan.FromSeconds(10)));
        Assert.StartsWith("SIGTERM: ", message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));

        ended.Reset();
        using var second = Deadline(100);
        second.Begin("SIGTERM");
        second.Begin("exit", TimeSpan.FromSeconds(60)); // further away: ignored
        Assert.True(ended.Wait(TimeSpan.FromSeconds(10)));
        Assert.StartsWith("SIGTERM: ", message);
    }
}
