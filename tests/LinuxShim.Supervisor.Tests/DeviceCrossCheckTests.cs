// SPDX-License-Identifier: MIT
// Tests of the supervisor's cross-check of a host's answers against the device server's view
// (supervisor/DeviceCrossCheck.cs), on made-up answers and times: an interface up without
// carrier is a stall only while the cable has had link the whole stall time; a driver that passes
// nothing up is a stall only while frames for it keep arriving in its ring or finding it full; a
// driver that keeps taking frames is a stall only while the device, with link, sends none; a busy
// driver, an unplugged cable, an idle wire or a stale status never are.
using LinuxShim.Devices;
using LinuxShim.Supervisor;

namespace LinuxShim.Supervisor.Tests;

public sealed class DeviceCrossCheckTests
{
    private const int Stall = 10_000, Heartbeat = 50;

    // Heartbeats from 0 until the check finds a stall, for 30 s at most: the stall (null: none), and the time one heartbeat after it.
    private static (DeviceStall? Stall, long T) FirstStall(Func<long, DeviceStall?> observe)
    {
        DeviceStall? stall = null;
        long t = 0;
        for (; t <= 30_000 && stall is null; t += Heartbeat)
            stall = observe(t);
        return (stall, t);
    }

    private static DeviceStatus Status(long now, bool? linked, long linkSince = 0, long overflowed = 0, long received = 0, long sent = 0) =>
        new(linked, linkSince, sent, received, overflowed, now - 20);

    [Fact]
    public void NoCarrierWhileTheCableHasLinkIsAStallAfterTheStallTime()
    {
        var check = new DeviceCrossCheck(Stall, Stall);
        var (stall, t) = FirstStall(now => check.Observe(now, carrierOffMs: now, hostRxFrames: 5, Status(now, true)));
        Assert.NotNull(stall);
        Assert.Equal("carrier", stall.Reason);
        Assert.Equal("carrier stall", stall.Failure);
        Assert.InRange(t, Stall, Stall + 2 * Heartbeat);
    }

    [Fact]
    public void NoCarrierIsNoStallWhileTheCableHasNoLinkOrGotItOnlyJustNow()
    {
        var check = new DeviceCrossCheck(Stall, Stall);
        for (long t = 0; t <= 60_000; t += Heartbeat)
            Assert.Null(check.Observe(t, t, 5, Status(t, false, linkSince: 0)));
        // Link came back at 60 s: the driver has the stall time to see it, however long its carrier was off.
        for (long t = 60_000; t <= 60_000 + Stall; t += Heartbeat)
            Assert.Null(check.Observe(t, t, 5, Status(t, true, linkSince: 60_000)));
        Assert.NotNull(check.Observe(60_000 + Stall + 100, 60_000 + Stall + 100, 5, Status(60_000 + Stall + 100, true, linkSince: 60_000)));
        // A model that does not say (QEMU's) is never judged.
        var qemu = new DeviceCrossCheck(Stall, Stall);
        for (long t = 0; t <= 60_000; t += Heartbeat)
            Assert.Null(qemu.Observe(t, t, 5, Status(t, null) with { FramesOverflowed = -1 }));
    }

    [Fact]
    public void AStaleOrMissingStatusProvesNothing()
    {
        var check = new DeviceCrossCheck(Stall, Stall);
        for (long t = 0; t <= 60_000; t += Heartbeat)
        {
            Assert.Null(check.Observe(t, t, 5, new DeviceStatus(true, 0, 0, 0, t, UpdatedMs: t - DeviceCrossCheck.FreshMs - 1)));
            Assert.Null(check.Observe(t, t, 5, null));
        }
    }

    [Fact]
    public void NothingPassedUpWhileFramesFindTheRingFullIsAReceiveStall()
    {
        var check = new DeviceCrossCheck(Stall, Stall);
        var (stall, t) = FirstStall(now => check.Observe(now, 0, hostRxFrames: 100, Status(now, true, overflowed: now / 100))); // ten lost a second
        Assert.NotNull(stall);
        Assert.Equal("receive", stall.Reason);
        Assert.InRange(t, Stall, Stall + 2 * Heartbeat);
    }

    [Fact]
    public void FramesForTheStationRefusedWhileTheDriverGoesOnSendingAreAReceiveStallButNotOnADownedInterface()
    {
        // The driver garbled its receive configuration: its own traffic turned away, ten frames a second,
        // while it goes on sending (events out, their acknowledgements refused). No frame reaches the ring.
        var check = new DeviceCrossCheck(Stall, Stall);
        var (stall, t) = FirstStall(now => check.Observe(now, 0, hostRxFrames: 100, Status(now, true, sent: now / 100) with { FramesRefused = now / 100 }, hostXmitFrames: now / 100));
        Assert.NotNull(stall);
        Assert.Equal("receive", stall.Reason);
        Assert.Contains(stall.Fields, f => f.Name == "frames_refused");
        Assert.InRange(t, Stall, Stall + 2 * Heartbeat);

        // An interface taken down refuses what comes for it, and sends nothing: no stall, however long.
        var down = new DeviceCrossCheck(Stall, Stall);
        for (t = 0; t <= 60_000; t += Heartbeat)
            Assert.Null(down.Observe(t, 0, 100, Status(t, true) with { FramesRefused = t / 100 }, hostXmitFrames: 7));
        // Nor does a model that does not count refusals.
        var unknown = new DeviceCrossCheck(Stall, Stall);
        for (t = 0; t <= 60_000; t += Heartbeat)
            Assert.Null(unknown.Observe(t, 0, 100, Status(t, true, sent: t / 100), hostXmitFrames: t / 100));
    }

    [Fact]
    public void ABusyReceiverAnIdleWireOrAFewLostFramesAreNoStall()
    {
        // Busy: frames lost to a full ring all the time, but the driver passes frames up too.
        var busy = new DeviceCrossCheck(Stall, Stall);
        for (long t = 0, n = 0; t <= 120_000; t += Heartbeat, n += 3)
            Assert.Null(busy.Observe(t, 0, n, Status(t, true, overflowed: t)));
        // Idle: nothing passed up, nothing lost.
        var idle = new DeviceCrossCheck(Stall, Stall);
        for (long t = 0; t <= 120_000; t += Heartbeat)
            Assert.Null(idle.Observe(t, 0, 7, Status(t, true, overflowed: 40)));
        // A burst lost once, then an idle wire: fewer than OverflowedFrames since the driver last passed one up.
        var burst = new DeviceCrossCheck(Stall, Stall);
        for (long t = 0; t <= 120_000; t += Heartbeat)
            Assert.Null(burst.Observe(t, 0, 7, Status(t, true, overflowed: t < 1000 ? t / 100 : DeviceCrossCheck.OverflowedFrames - 1)));
    }

    [Fact]
    public void FramesStoredInTheRingWhileNothingIsPassedUpIsAReceiveStall()
    {
        // The ring never fills (the device stores every frame) but the driver has stopped looking at it.
        var check = new DeviceCrossCheck(Stall, Stall);
        var (stall, t) = FirstStall(now => check.Observe(now, 0, hostRxFrames: 100, Status(now, true, received: now / 100)));
        Assert.NotNull(stall);
        Assert.Equal("receive", stall.Reason);
        Assert.InRange(t, Stall, Stall + 2 * Heartbeat);
        // The same frames passed up as they arrive: no stall.
        var working = new DeviceCrossCheck(Stall, Stall);
        for (t = 0; t <= 60_000; t += Heartbeat)
            Assert.Null(working.Observe(t, 0, hostRxFrames: t / 100, Status(t, true, received: t / 100)));
        // QEMU's status (it does not count what it stores) is never judged.
        var qemu = new DeviceCrossCheck(Stall, Stall);
        for (t = 0; t <= 60_000; t += Heartbeat)
            Assert.Null(qemu.Observe(t, 0, 100, Status(t, true, overflowed: -1, received: t / 100)));
    }

    [Fact]
    public void TakingFramesWhileTheDeviceSendsNoneIsATransmitStall()
    {
        var check = new DeviceCrossCheck(Stall, Stall, Stall);
        var (stall, t) = FirstStall(now => check.Observe(now, 0, 100, Status(now, true, sent: 42), hostXmitFrames: now / 100));
        Assert.NotNull(stall);
        Assert.Equal("transmit", stall.Reason);
        Assert.Equal("transmit stall", stall.Failure);
        Assert.InRange(t, Stall, Stall + 2 * Heartbeat);
    }

    [Fact]
    public void ASendingDeviceAnIdleDriverNoLinkOrNoCarrierIsNoTransmitStall()
    {
        var sending = new DeviceCrossCheck(Stall, Stall, Stall);
        var idle = new DeviceCrossCheck(Stall, Stall, Stall);
        var unplugged = new DeviceCrossCheck(Stall, Stall, Stall);
        var noCarrier = new DeviceCrossCheck(60_000, Stall, Stall);
        var unknown = new DeviceCrossCheck(Stall, Stall, Stall);
        var few = new DeviceCrossCheck(Stall, Stall, Stall);
        for (long t = 0; t <= 60_000; t += Heartbeat)
        {
            // The device sends what the driver takes, a little late.
            Assert.Null(sending.Observe(t, 0, 100, Status(t, true, sent: Math.Max(0, t - 500) / 100), hostXmitFrames: t / 100));
            // Nothing to send.
            Assert.Null(idle.Observe(t, 0, 100, Status(t, true, sent: 42), hostXmitFrames: 7));
            // Frames taken, none sent: the cable has no link (the device may not send), or the interface no carrier.
            Assert.Null(unplugged.Observe(t, 0, 100, Status(t, false, sent: 42), hostXmitFrames: t / 100));
            Assert.Null(noCarrier.Observe(t, t, 100, Status(t, true, sent: 42), hostXmitFrames: t / 100));
            // The host does not say what it took.
            Assert.Null(unknown.Observe(t, 0, 100, Status(t, true, sent: 42)));
            // Fewer frames taken than a stall needs.
            Assert.Null(few.Observe(t, 0, 100, Status(t, true, sent: 42), hostXmitFrames: Math.Min(t / 100, DeviceCrossCheck.OverflowedFrames - 1)));
        }
    }
}
