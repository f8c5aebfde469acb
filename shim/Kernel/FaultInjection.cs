// SPDX-License-Identifier: MIT
// Managed side. Kernel API fault injection, as Linux's lib/fault-inject.c with failslab,
// fail_page_alloc and friends: the calls that may fail in Linux (allocation, DMA mapping, IRQ request,
// ioremap) fail on purpose, so that the driver's error paths run. Off unless the supervisor arms a
// site for this host (in its grant, for the probe, or in an inject message, at any time); an armed
// site fails its next calls with the given probability, up to a number of times, like a fault_attr's
// "times" and "probability".
namespace LinuxShim.Shim.Kernel;

public static class FaultInjection
{
    /// <summary>The places a kernel API call can be made to fail.</summary>
    public static readonly IReadOnlyList<string> Sites = ["slab", "page_alloc", "dma_map", "request_irq", "ioremap"];

    private sealed class Site
    {
        public int Times;       // failures left to inject
        public int Probability; // percent of calls that fail while Times > 0
        public long Injected;   // failures injected in all
    }

    private static readonly Dictionary<string, Site> State = Sites.ToDictionary(s => s, _ => new Site());
    private static readonly Lock Gate = new();
    private static Random random = new(1);
    private static volatile bool armed;

    /// <summary>Failures injected so far, over every site.</summary>
    public static long Injected
    {
        get
        {
            lock (Gate)
                return State.Values.Sum(s => s.Injected);
        }
    }

    /// <summary>
    /// Arms sites from "SITE:TIMES:PERCENT[:SEED]" specs (e.g. "slab:3:50": fail 3 calls, each call failing
    /// with probability 50 %); TIMES 0 disarms. Returns the first problem, or null when all were applied.
    /// </summary>
    public static string? Arm(IEnumerable<string> specs)
    {
        var parsed = new List<(Site Site, int Times, int Percent, int? Seed)>();
        foreach (var spec in specs)
        {
            var parts = spec.Split(':');
            if (parts.Length is < 3 or > 4 || !State.TryGetValue(parts[0], out var site)
                || !int.TryParse(parts[1], out int times) || times is < 0 or > 1_000_000
                || !int.TryParse(parts[2], out int percent) || percent is < 1 or > 100)
                return $"bad fault '{spec}' (want SITE:TIMES:PERCENT[:SEED], SITE one of {string.Join(", ", Sites)}, TIMES 0..1000000, PERCENT 1..100)";
            int? seed = null;
            if (parts.Length == 4)
            {
                if (!int.TryParse(parts[3], out int s))
                    return $"bad fault '{spec}': the seed is not a number";
                seed = s;
            }
            parsed.Add((site, times, percent, seed));
        }
        lock (Gate)
        {
            foreach (var (site, times, percent, seed) in parsed)
            {
                site.Times = times;
                site.Probability = percent;
                if (seed is { } s)
                    random = new Random(s);
            }
            armed = State.Values.Any(s => s.Times > 0);
        }
        return null;
    }

    /// <summary>True when this call at <paramref name="site"/> is to fail (and counts it).</summary>
    public static bool Fail(string site)
    {
        if (!armed)
            return false;
        lock (Gate)
        {
            var s = State[site];
            if (s.Times <= 0 || random.Next(100) >= s.Probability)
                return false;
            s.Times--;
            s.Injected++;
            armed = State.Values.Any(x => x.Times > 0);
            return true;
        }
    }
}
