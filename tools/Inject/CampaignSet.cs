// SPDX-License-Identifier: MIT
// Managed side, the fault injector. Several campaigns side by side (`inject --parallel K`, and every
// port given at once): a port's faults split into shards, each its own campaign (driver host, device
// server, critical client, runtime directory, audit log) drawing from its own seed, all run on their own
// threads. A fault mostly waits (for its effect, for a device fault to end, for a recovery), so two cores
// carry several at once. When one campaign stops on a failure of what must not fail, or cannot start,
// the others inject no new fault.
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace LinuxShim.Tools.Inject;

public static class CampaignSet
{
    /// <summary>One campaign of the set: its options and its shard number within its port.</summary>
    public sealed record Member(Campaign.Options Options, int Shard);

    /// <summary>
    /// <paramref name="port"/>'s campaign (its Faults the port's total, its Seed the seed) as <paramref name="parallel"/>
    /// shards: shard j takes every j-th share of the faults, numbered on from the shards before it, and draws from
    /// FaultPlan.ShardSeed(seed, j); with more than one, each gets its own runtime directory and audit log (suffixed).
    /// </summary>
    public static IReadOnlyList<Member> Shards(Campaign.Options port, int parallel)
    {
        var members = new List<Member>();
        for (int shard = 0, first = 0; shard < parallel; shard++)
        {
            int count = port.Faults / parallel + (shard < port.Faults % parallel ? 1 : 0);
            members.Add(new Member(parallel == 1 ? port : port with
            {
                Faults = count,
                Seed = FaultPlan.ShardSeed(port.Seed, shard),
                RuntimeDirectory = $"{port.RuntimeDirectory}-{shard}",
                AuditLog = port.AuditLog is { } audit ? $"{audit}.{shard}" : null,
                FirstIndex = first,
            }, shard));
            first += count;
        }
        return members;
    }

    /// <summary>What the set's run gave: every campaign's result, or the first error that kept one from starting.</summary>
    public sealed record Outcome(IReadOnlyList<InjectReport.PortResult> Results, string? Error);

    /// <summary>
    /// Runs every member at once, each on its own thread, their stacks started one after another (campaign n starts
    /// its device server and driver host once campaign n-1's serves, so that no two probes share the machine's
    /// cores at the start); <paramref name="progress"/> is told of each fault judged
    /// (one at a time: the calls are serialised) with its campaign's options and event counts. Setting
    /// <paramref name="stop"/> ends every campaign after the fault it is injecting.
    /// </summary>
    public static Outcome Run(IReadOnlyList<Member> members, TextWriter log, TextWriter stderr, Action<Campaign.Options, FaultOutcome, string> progress,
        StrongBox<bool>? stop = null)
    {
        // Set when a campaign stopped or could not start (the others end too), or by the caller (an interrupt):
        // no campaign injects another fault; each drains its events and ends as it would at its last fault.
        stop ??= new StrongBox<bool>();
        var results = new InjectReport.PortResult?[members.Count];
        var errors = new string?[members.Count];
        var gate = new object();
        // Set when campaign n's stack serves (or could not start): campaign n+1 starts its own then. Six stacks
        // started at once on two cores beside other work once kept a host from bringing e1000 up within 60 s.
        var started = members.Select(_ => new ManualResetEventSlim()).ToArray();
        var threads = members.Select((member, n) => new Thread(() =>
        {
            var options = member.Options with { Cancelled = () => Volatile.Read(ref stop.Value) };
            Campaign? campaign = null;
            try
            {
                if (n > 0)
                    started[n - 1].Wait();
                if (Volatile.Read(ref stop.Value))
                {
                    started[n].Set(); // one before it could not start, or the caller stopped the set: nothing to run
                    return;
                }
                var clock = Stopwatch.StartNew();
                // Several campaigns share one log: each line says whose it is ("[8139too-trojan/1] [host#12] ...").
                try
                {
                    campaign = new Campaign(options, members.Count > 1 && log != TextWriter.Null ? new LinePrefix(log, $"[{options.Port}/{member.Shard}] ") : log);
                }
                finally
                {
                    started[n].Set();
                }
                campaign.Run((_, o) =>
                {
                    lock (gate)
                        progress(options, o, campaign!.Events);
                });
                if (campaign.Stopped is not null)
                    Volatile.Write(ref stop.Value, true);
                results[n] = new InjectReport.PortResult(options.Port, clock.Elapsed.TotalSeconds, campaign, member.Shard);
            }
            catch (Exception e) when (e is IOException or TimeoutException or Shim.Netif.NetifException or Shim.Netif.NetifProtocolException)
            {
                Volatile.Write(ref stop.Value, true);
                errors[n] = $"{options.Port}{(member.Shard == 0 ? "" : $" (campaign {member.Shard})")}: {e.Message}";
                lock (gate)
                    stderr.WriteLine($"inject: {errors[n]}");
            }
            finally
            {
                campaign?.Dispose();
            }
        }) { Name = $"inject {member.Options.Port} {member.Shard}" }).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        foreach (var e in started)
            e.Dispose();
        return new Outcome([.. results.Where(r => r is not null).Select(r => r!)], errors.FirstOrDefault(e => e is not null));
    }

    /// <summary>Writes each line to <paramref name="inner"/> with <paramref name="prefix"/> in front, in one call (so lines of several writers do not mix).</summary>
    private sealed class LinePrefix(TextWriter inner, string prefix) : TextWriter
    {
        private readonly System.Text.StringBuilder line = new();

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (line)
            {
                if (value == '\n')
                {
                    inner.WriteLine(prefix + line);
                    line.Clear();
                }
                else if (value != '\r')
                {
                    line.Append(value);
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (line)
            {
                inner.WriteLine(prefix + line + value);
                line.Clear();
            }
        }
    }
}
