// SPDX-License-Identifier: MIT
// Managed side, the fault injector. The kinds of fault a campaign injects, in four groups (code
// faults in the driver's text, kernel API failures, device faults, the trojan's attacks), and the
// seeded choice of each fault and its parameters, so that a seed replays the same campaign.
using LinuxShim.Devices;
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Tools.Inject;

/// <summary>One fault to inject: its kind ("group.name") and what was drawn for it.</summary>
public sealed record PlannedFault(int Index, string Kind, int Seed, int Number, int Percent, int DurationMs, bool Cycle)
{
    public string Group => Kind[..Kind.IndexOf('.')];
    public string Name => Kind[(Kind.IndexOf('.') + 1)..];
}

public static class FaultPlan
{
    /// <summary>The trojan's actions, numbered as the frame that triggers them says (ports/8139too-trojan).</summary>
    public static readonly IReadOnlyList<string> TrojanActions = ["crash", "hang", "leak", "storm", "escape"];

    /// <summary>Every kind there is, by group.</summary>
    public static IReadOnlyList<string> AllKinds =>
    [
        .. CodeFaults.Kinds.Select(k => "code." + k),
        .. FaultInjection.Sites.Select(s => "api." + s),
        .. DeviceFaults.Kinds.Select(k => "device." + k),
        .. TrojanActions.Select(a => "trojan." + a),
    ];

    /// <summary>
    /// The kinds <paramref name="spec"/> names (comma-separated kinds or groups; null: all), of those the port
    /// supports (the trojan's only where the driver carries it).
    /// </summary>
    public static IReadOnlyList<string> Select(string? spec, bool trojan)
    {
        var available = AllKinds.Where(k => trojan || !k.StartsWith("trojan.", StringComparison.Ordinal)).ToList();
        if (spec is null)
            return available;
        var chosen = new List<string>();
        foreach (var item in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var matching = AllKinds.Where(k => k == item || k.StartsWith(item + ".", StringComparison.Ordinal)).ToList();
            if (matching.Count == 0)
                throw new UsageException($"unknown fault kind '{item}' (groups code, api, device, trojan; kinds {string.Join(", ", AllKinds)})");
            if (!trojan && matching.All(k => k.StartsWith("trojan.", StringComparison.Ordinal)))
                throw new UsageException($"'{item}': this port's driver carries no trojan (use ports/8139too-trojan)");
            chosen.AddRange(matching.Where(available.Contains).Except(chosen));
        }
        return chosen;
    }

    /// <summary>
    /// The seed of shard <paramref name="shard"/> of a campaign seeded <paramref name="seed"/> (--parallel): shard 0 draws from
    /// the seed itself, so one campaign replays as before; the others from seeds far apart from it and from each other.
    /// </summary>
    public static int ShardSeed(int seed, int shard) => (int)(((long)seed + 1_000_003L * shard) % int.MaxValue);

    /// <summary>Fault <paramref name="index"/> of the campaign, drawn from <paramref name="random"/> (the campaign's seeded generator).</summary>
    public static PlannedFault Draw(int index, IReadOnlyList<string> kinds, Random random)
    {
        string kind = kinds[random.Next(kinds.Count)];
        int seed = random.Next();
        int number = 1 + random.Next(50);     // api: calls to fail
        int percent = 5 + random.Next(96);    // api: chance each call fails
        bool cycle = random.Next(2) == 0;     // api: take the interface down and up meanwhile
        int duration = kind switch            // device: how long it misbehaves
        {
            "device.unresponsive" => 100 + random.Next(7900),
            "device.irq_storm" or "device.all_ones" => 100 + random.Next(1900),
            _ => 50 + random.Next(950),
        };
        return new PlannedFault(index, kind, seed, number, percent, duration, cycle || kind == "api.request_irq");
    }
}
