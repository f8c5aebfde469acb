// SPDX-License-Identifier: MIT
// The acknowledged-event bookkeeping the demo's monitor, the soak benchmark and the fault campaign's
// critical client share: what the sender still has to resend, and what the collector acknowledges.
using LinuxShim.Tools.Demo;

namespace LinuxShim.Tools.Tests;

public class EventLedgerTests
{
    [Fact]
    public void TheSenderKeepsWhatIsNotAcknowledgedOldestFirst()
    {
        var o = new OutstandingEvents();
        for (int i = 0; i < 5; i++)
            o.Add(i, [(byte)i]);
        Assert.Equal([[0], [1]], o.Oldest(2));
        Assert.Equal(3, o.Acknowledge(1));
        Assert.Equal(2, o.Acked);
        Assert.Equal([[2], [3], [4]], o.Oldest(64));
        Assert.Equal(3, o.Acknowledge(0)); // a stale acknowledgement takes nothing back
        Assert.Equal(2, o.Acked);
        Assert.Equal(0, o.Acknowledge(4));
        Assert.Equal(0, o.Pending);
        Assert.Equal(5, o.Acked);
    }

    [Fact]
    public void AnEventIsSentAgainOnlyWhenItsAcknowledgementIsOverdue()
    {
        var o = new OutstandingEvents();
        for (int i = 0; i < 4; i++)
            o.Add(i, [(byte)i], nowMs: 1_000 + i * 100); // sent at 1000, 1100, 1200, 1300
        // At 2150 only the first two have waited a second.
        Assert.Equal([[0], [1]], o.Oldest(64, 1_000, nowMs: 2_150));
        // Just resent: not again until a second later; the next two are due by then.
        Assert.Equal([[2], [3]], o.Oldest(64, 1_000, nowMs: 2_400));
        Assert.Empty(o.Oldest(64, 1_000, nowMs: 3_000));
        Assert.Equal([[0], [1]], o.Oldest(64, 1_000, nowMs: 3_150));
        // Without a minimum age every outstanding event is due, oldest first, as before.
        Assert.Equal([[0], [1], [2]], o.Oldest(3));
    }

    [Fact]
    public void TheCollectorAcknowledgesTheContiguousPrefixAndCountsEachEventOnce()
    {
        var d = new DeliveredEvents();
        Assert.Equal(-1, d.Record(1));
        Assert.Equal(-1, d.Record(3));
        Assert.Equal(1, d.Record(0));
        Assert.Equal(1, d.Record(0)); // a resent event counts once
        Assert.Equal(3, d.Count());
        Assert.Equal(3, d.Record(2));
        Assert.Equal(3, d.Record(5)); // 4 is missing
        Assert.Equal(5, d.Count());
        Assert.Equal(4, d.Count(below: 4));
        Assert.Equal(2, d.Count(below: 2));
    }
}
