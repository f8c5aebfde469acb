// SPDX-License-Identifier: MIT
// Managed side. What a benchmark needs to know about its driver stack's supervisor: every restart
// (what failed, when, and how long until a new host served again) and whether the stack stopped for
// good, so that a run reports the outages inside its figures and fails when a restart happened that
// it did not inject.
using LinuxShim.Supervisor;
using System.Diagnostics;
using System.Globalization;

namespace LinuxShim.Tools;

public sealed class RestartWatch : IDisposable
{
    /// <summary>One failure the supervisor detected; <see cref="ServingAfterMs"/> is null until a new host serves.</summary>
    public sealed record Restart(double DetectedAtSeconds, string Failure, double? ServingAfterMs);

    private readonly DriverStack stack;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly object gate = new();
    private readonly List<Restart> restarts = [];
    private string? fatal;

    public RestartWatch(DriverStack stack)
    {
        this.stack = stack;
        stack.Failed += OnStackFailed;
        if (stack.Supervisor is { } s)
        {
            s.Failed += OnFailed;
            s.Recovered += OnRecovered;
        }
    }

    /// <summary>Seconds on the clock <see cref="Restart.DetectedAtSeconds"/> is on.</summary>
    public double Elapsed => clock.Elapsed.TotalSeconds;

    /// <summary>Failures detected so far (each one a restart, or the end when the supervisor gave up).</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return restarts.Count;
        }
    }

    public IReadOnlyList<Restart> Restarts
    {
        get
        {
            lock (gate)
                return [.. restarts];
        }
    }

    /// <summary>Why the stack stopped for good (device server gone, supervisor gave up), or null.</summary>
    public string? Fatal
    {
        get
        {
            lock (gate)
                return fatal;
        }
    }

    private void OnFailed(string what)
    {
        lock (gate)
            restarts.Add(new Restart(clock.Elapsed.TotalSeconds, what, null));
    }

    private void OnRecovered(string what, double ms)
    {
        lock (gate)
        {
            int i = restarts.FindLastIndex(r => r.ServingAfterMs is null);
            if (i >= 0)
                restarts[i] = restarts[i] with { ServingAfterMs = ms };
        }
    }

    private void OnStackFailed(string what)
    {
        lock (gate)
            fatal ??= what;
    }

    /// <summary>"0 restarts", or each restart with its time and outage, e.g. "2 restarts: hang at 23.1 s (a new host served 812 ms later), ...".</summary>
    public string Describe()
    {
        var list = Restarts;
        string text = list.Count == 1 ? "1 restart" : $"{list.Count} restarts";
        if (list.Count > 0)
            text += ": " + string.Join("; ", list.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"{r.Failure} at {r.DetectedAtSeconds:F1} s ({(r.ServingAfterMs is { } ms ? $"a new host served {ms:F0} ms after detection" : "no host served again")})")));
        if (Fatal is { } f)
            text += $"; {f}";
        return text;
    }

    public void Dispose()
    {
        stack.Failed -= OnStackFailed;
        if (stack.Supervisor is { } s)
        {
            s.Failed -= OnFailed;
            s.Recovered -= OnRecovered;
        }
    }
}
