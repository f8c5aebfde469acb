// SPDX-License-Identifier: MIT
// Managed side. `linuxshim demo`: the seed scenario. A critical hardware monitor (its own process)
// produces events; its logger sends them through the shimmed upstream 8139too to a collector on the
// NIC's cable (this process). An attacker on the wire sends the frame that triggers a trojan
// planted in the driver (ports/8139too-trojan): first a crash, then a hang, with the driver isolated
// under the supervisor; then, for contrast, the crash with the driver inside the monitor's process.
// Prints a timeline and a summary; --json FILE writes the scenarios' numbers.
using LinuxShim.Supervisor;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using LinuxShim.Import.Port;

namespace LinuxShim.Tools.Demo;

public static partial class DemoCommand
{
    public sealed record Scenario(string Name, bool Isolated, int EventsProduced, int EventsDelivered, int EventsLost,
        int DriverRestarts, bool MonitorSurvived, double? RecoveryMs)
    {
        /// <summary>Faults the scenario injected (attack frames sent).</summary>
        public int Injected { get; init; }

        /// <summary>Every failure the supervisor detected, with the outage it caused (detection to a new host ready; null: none came).</summary>
        public IReadOnlyList<(string Failure, double? OutageMs)> Failures { get; init; } = [];

        /// <summary>Failures beyond those injected: false detections or failures nobody asked for.</summary>
        public int Unexpected => Math.Max(0, Failures.Count - (Isolated ? Injected : 0));
    }

    // Audit events that are a detected failure of the driver host.
    private static readonly HashSet<string> FailureEvents = ["crash", "hang", "memory", "irq_storm", "device_failed", "stall"];

    // The failures in the audit records the monitor printed, each with the outage it caused: from the
    // failure record to the next host's ready record.
    private static List<(string Failure, double? OutageMs)> FailuresIn(IEnumerable<string> lines)
    {
        var records = new List<(DateTimeOffset Time, string Event)>();
        foreach (var line in lines.Where(l => l.StartsWith("audit ", StringComparison.Ordinal)))
        {
            using var doc = JsonDocument.Parse(line[6..]);
            var r = doc.RootElement;
            if (r.TryGetProperty("event", out var e) && r.TryGetProperty("time", out var t) && DateTimeOffset.TryParse(t.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var time))
                records.Add((time, e.GetString() ?? ""));
        }
        var failures = new List<(string, double?)>();
        for (int i = 0; i < records.Count; i++)
        {
            if (!FailureEvents.Contains(records[i].Event))
                continue;
            var ready = records.Skip(i + 1).TakeWhile(r => !FailureEvents.Contains(r.Event)).FirstOrDefault(r => r.Event == "ready");
            failures.Add((records[i].Event, ready.Event is null ? null : (ready.Time - records[i].Time).TotalMilliseconds));
        }
        return failures;
    }

    private static string Describe(IReadOnlyList<(string Failure, double? OutageMs)> failures) =>
        string.Join(", ", failures.Select(f => $"{f.Failure} ({(f.OutageMs is { } ms ? $"a new host ready {ms:F0} ms after detection" : "no host came back")})"));

    private const int Rate = 50; // events per second (the monitor's default)

    private sealed record Plan(string Name, string Title, bool Isolated, int Trojan);

    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count > 0 && cl.Positionals[0] == "monitor")
            return DemoMonitor.Run(cl, stdout, stderr);
        string port = cl.Get("port") ?? PortFolders.Find("8139too-trojan");
        var recipe = PortRecipe.Load(port);
        if (cl.Get("device") is { } device)
            CheckDrives(recipe, DeviceChoice.Model(device));
        RunCommand.EnsureBuilt(cl, recipe, stderr);
        int seconds = cl.GetInt("seconds", 6);
        if (cl.Get("crashes") is not null)
            return RecoveryBench(port, cl.GetInt("crashes", 50), cl, stdout);
        var plans = new[]
        {
            new Plan("crash-isolated", "the trojan crashes the driver; the driver runs isolated under the supervisor", true, 1),
            new Plan("hang-isolated", "the trojan hangs the driver; the driver runs isolated under the supervisor", true, 2),
            new Plan("crash-in-process", "the trojan crashes the driver; the driver runs inside the monitor's own process", false, 1),
        };
        var results = new List<Scenario>();
        for (int i = 0; i < plans.Length; i++)
        {
            stdout.WriteLine();
            stdout.WriteLine($"== scenario {i + 1}/{plans.Length}: {plans[i].Title}");
            results.Add(RunScenario(plans[i], port, seconds, cl.Has("verbose") ? stderr : TextWriter.Null, stdout, device: cl.Get("device")));
        }
        stdout.WriteLine();
        stdout.WriteLine($"{"scenario",-18} {"isolated",8} {"produced",9} {"delivered",9} {"lost",5} {"injected",8} {"restarts",8} {"outage",8} {"monitor",8} {"recovery",9}");
        foreach (var r in results)
            stdout.WriteLine($"{r.Name,-18} {(r.Isolated ? "yes" : "no"),8} {r.EventsProduced,9} {r.EventsDelivered,9} {r.EventsLost,5} {r.Injected,8} {r.DriverRestarts,8} {Outage(r),8} {(r.MonitorSurvived ? "alive" : "DEAD"),8} {(r.RecoveryMs is { } ms ? $"{ms:F0} ms" : "-"),9}");
        if (cl.Get("json") is { } json)
        {
            var doc = new { scenarios = results.Select(r => new
            {
                name = r.Name, isolated = r.Isolated, events_produced = r.EventsProduced, events_delivered = r.EventsDelivered,
                events_lost = r.EventsLost, injected_faults = r.Injected, driver_restarts = r.DriverRestarts,
                failures = r.Failures.Select(f => new { failure = f.Failure, outage_ms = f.OutageMs is { } o ? Math.Round(o, 1) : (double?)null }),
                unexpected_restarts = r.Unexpected, monitor_survived = r.MonitorSurvived,
                recovery_ms = r.RecoveryMs is { } ms ? Math.Round(ms, 1) : (double?)null,
            }) };
            File.WriteAllText(json, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        foreach (var r in results.Where(r => r.Unexpected > 0))
            stdout.WriteLine($"linuxshim demo: FAILED: {r.Name}: {r.Failures.Count} failures detected, {r.Injected} injected: {Describe(r.Failures)}");
        bool asExpected = results.Where(r => r.Isolated).All(r => r.MonitorSurvived && r.EventsLost == 0 && r.DriverRestarts >= 1)
                          && results.Where(r => !r.Isolated).All(r => !r.MonitorSurvived)
                          && results.All(r => r.Unexpected == 0);
        stdout.WriteLine(asExpected
            ? "isolated: the monitor never stopped and every event arrived; in-process: the driver's crash took the monitor down."
            : "linuxshim demo: the scenarios did not turn out as expected (see above)");
        return asExpected ? Cli.ExitOk : Cli.ExitFailure;
    }

    // The demo's scenarios need a trojaned driver that drives the device: say so before anything starts,
    // rather than letting the monitor fail to come up.
    private static void CheckDrives(PortRecipe recipe, string model)
    {
        string? driver = model.StartsWith(Devices.DeviceModels.QemuPrefix, StringComparison.Ordinal)
            ? Devices.Qemu.QemuModels.All.FirstOrDefault(m => m.Name == model[Devices.DeviceModels.QemuPrefix.Length..].Split(',')[0])?.Port
            : model switch { "rtl8139" => "ports/8139too", "dwmac" => "ports/dwmac-generic", _ => "ports/e1000" };
        string? module = driver is null ? null : PortRecipe.Load(PortFolders.Find(Path.GetFileName(driver))).Module;
        if (module != recipe.Module)
            throw new UsageException($"{model} is driven by {(driver is null ? "no port yet" : $"{driver} (module {module})")}, and the demo's driver is "
                                     + $"{recipe.Name} (module {recipe.Module}): the demo needs a trojaned port of the module that drives the device (--port)");
    }

    // Recovery time from a crash to events flowing again, over many crashes of the isolated driver.
    private static int RecoveryBench(string port, int crashes, CommandLine cl, TextWriter stdout)
    {
        bool standby = !cl.Has("no-standby");
        var plan = new Plan("recovery", $"recovery time over repeated crashes (isolated, {(standby ? "warm standby host" : "no standby: a host is started after each crash")})", true, 1);
        stdout.WriteLine($"== {plan.Title}: {crashes} crashes, events at 500/s");
        var result = RunScenario(plan, port, seconds: crashes * 5 / 2 + 5, cl.Has("verbose") ? Console.Error : TextWriter.Null, stdout, attacks: crashes, rate: 500, standby: standby,
            device: cl.Get("device"));
        var sorted = Recoveries.Order().ToList();
        if (sorted.Count == 0)
        {
            stdout.WriteLine("linuxshim demo: no recovery measured");
            return Cli.ExitFailure;
        }
        double Percentile(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
        stdout.WriteLine($"{(standby ? "warm standby" : "no standby (baseline)")}: crashes {crashes}, recoveries {sorted.Count}, restarts {result.DriverRestarts}, failures detected {result.Failures.Count}, events lost {result.EventsLost}, monitor {(result.MonitorSurvived ? "survived" : "DIED")}");
        stdout.WriteLine($"recovery (outage at the collector: last frame through the crashed driver host -> first through the new one): median {Percentile(0.5):F0} ms, p90 {Percentile(0.9):F0} ms, p99 {Percentile(0.99):F0} ms, min {sorted[0]:F0} ms, max {sorted[^1]:F0} ms");
        if (cl.Get("json") is { } json)
            File.WriteAllText(json, JsonSerializer.Serialize(new { crashes, recoveries_ms = sorted, median_ms = Percentile(0.5), p99_ms = Percentile(0.99) }) + "\n");
        if (result.Unexpected > 0)
            stdout.WriteLine($"linuxshim demo: FAILED: {result.Failures.Count} failures detected, {crashes} injected: {Describe(result.Failures)}");
        return sorted.Count == crashes && result.MonitorSurvived && result.Unexpected == 0 ? Cli.ExitOk : Cli.ExitFailure;
    }

    /// <summary>Every recovery time of the last multi-attack scenario (ms).</summary>
    private static List<double> Recoveries = [];

    private static Scenario RunScenario(Plan plan, string port, int seconds, TextWriter log, TextWriter stdout, int attacks = 1, int rate = Rate, bool standby = true,
        string? device = null)
    {
        var clock = Stopwatch.StartNew();
        void Say(string who, string what)
        {
            lock (stdout)
                stdout.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F2}s] {who,-10} {what}");
        }

        using var collector = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        int nicPort = NetifBench.FreeUdpPort();
        var nic = new IPEndPoint(IPAddress.Loopback, nicPort);
        string wire = $"udp:127.0.0.1:{((IPEndPoint)collector.Client.LocalEndPoint!).Port}:{nicPort}";
        string runtime = Path.Combine(NetifCommand.RuntimeRoot(), "demo-" + plan.Name);
        using var monitor = ChildProcess.Start("monitor", [
            "demo", "monitor", "--port", port, "--mode", plan.Isolated ? "isolated" : "in-process", "--wire", wire,
            "--param", $"trojan={plan.Trojan}", "--seconds", seconds.ToString(), "--runtime-dir", runtime, "--rate", rate.ToString(), "--restart-budget", Math.Max(20, attacks * 2).ToString(), .. (standby ? Array.Empty<string>() : ["--no-standby"]),
            .. (device is null ? Array.Empty<string>() : ["--device", device]),
            "--audit", Path.Combine(runtime, "audit.jsonl")], log);
        string ready = monitor.WaitForLine("ready ", TimeSpan.FromSeconds(90));
        var parts = ready.Split(' ');
        NetifMacParse(parts[1], out var mac);
        Say("monitor", $"up (pid {parts[2]}); driver {PortRecipe.Load(port).Module} {(plan.Isolated ? "in its own supervised process" : "inside the monitor process")}, NIC {parts[1]}");

        // The collector: takes events off the wire, acknowledges them cumulatively.
        var delivered = new HashSet<int>();
        int contiguous = -1, highestBeforeAttack = -1;
        double? recovery = null;
        var recoveries = new List<double>();
        var arrivals = new List<long>();
        var attackTimes = new List<long>();
        long attackAt = -1;
        using var stop = new CancellationTokenSource();
        var collecting = new Thread(() =>
        {
            collector.Client.ReceiveTimeout = 100;
            var buffer = new byte[65536];
            while (!stop.IsCancellationRequested)
            {
                int n = DemoFrames.ReceiveFromCable(collector.Client, buffer);
                if (n < 0 || !DemoFrames.TryEvent(buffer.AsSpan(0, n), out int seq))
                    continue;
                lock (delivered)
                {
                    arrivals.Add(Stopwatch.GetTimestamp());
                    delivered.Add(seq);
                    while (delivered.Contains(contiguous + 1))
                        contiguous++;
                    if (attackAt >= 0 && recovery is null && seq > highestBeforeAttack)
                    {
                        recovery = (Stopwatch.GetTimestamp() - attackAt) * 1000.0 / Stopwatch.Frequency;
                        recoveries.Add(recovery.Value);
                    }
                }
                if (contiguous >= 0)
                    collector.Client.SendTo(DemoFrames.Ack(mac, contiguous), nic);
            }
        }) { IsBackground = true, Name = "collector" };
        collecting.Start();

        // Narrate what the monitor reports (supervisor audit records among them).
        int shown = 0;
        var narrator = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var lines = monitor.Lines;
                for (; shown < lines.Count; shown++)
                    if (Narrate(lines[shown]) is { } text)
                        Say(text.Who, text.What);
                Thread.Sleep(20);
            }
        }) { IsBackground = true };
        narrator.Start();

        Thread.Sleep(TimeSpan.FromSeconds(Math.Min(2, seconds / 3.0)));
        for (int a = 0; a < attacks; a++)
        {
            if (a > 0)
            {
                // The next attack once the driver is back (or after 5 s).
                var wait = Stopwatch.StartNew();
                while (wait.Elapsed < TimeSpan.FromSeconds(5))
                {
                    lock (delivered)
                        if (recovery is not null)
                            break;
                    Thread.Sleep(10);
                }
                Thread.Sleep(1500); // let the supervisor's next warm standby start and warm up
                if (a % 10 == 0)
                    Say("attacker", $"{a} attacks, {recoveries.Count} recoveries so far");
            }
            lock (delivered)
            {
                highestBeforeAttack = delivered.Count == 0 ? -1 : delivered.Max();
                recovery = null;
                attackAt = Stopwatch.GetTimestamp();
                attackTimes.Add(attackAt);
            }
            collector.Client.SendTo(DemoFrames.Attack(mac), nic);
            if (attacks == 1)
                Say("attacker", "sends the crafted frame (payload \"LSTROJAN\") to the NIC");
        }
        if (attacks > 1)
        {
            var wait = Stopwatch.StartNew();
            while (wait.Elapsed < TimeSpan.FromSeconds(5) && recoveries.Count < attacks)
                Thread.Sleep(10);
            // The outage each attack caused: the longest silence between two frames reaching the
            // collector after it (events flow every 2 ms), i.e. from the last frame the crashed
            // driver forwarded to the first one the new driver host forwarded.
            Recoveries = [];
            lock (delivered)
            {
                for (int k = 0; k < attackTimes.Count; k++)
                {
                    long from = attackTimes[k], to = k + 1 < attackTimes.Count ? attackTimes[k + 1] : long.MaxValue;
                    var window = arrivals.Where(t => t >= from && t < to).ToList();
                    long last = arrivals.LastOrDefault(t => t < from, from);
                    long longest = 0;
                    foreach (var t in window)
                    {
                        longest = Math.Max(longest, t - last);
                        last = t;
                    }
                    Recoveries.Add(longest * 1000.0 / Stopwatch.Frequency);
                }
            }
            Say("attacker", $"{attacks} attacks, {recoveries.Count} recoveries");
        }

        bool exited = monitor.WaitForExit((seconds + 30) * 1000);
        Thread.Sleep(300);
        stop.Cancel();
        collecting.Join();
        narrator.Join();
        if (attacks == 1 && attackAt >= 0)
        {
            // Events that were on their way when the attack frame arrived still come through: the
            // driver is back when events arrive after the longest silence that follows the attack.
            lock (delivered)
            {
                long last = arrivals.LastOrDefault(t => t < attackAt, attackAt), longest = -1, end = -1;
                foreach (var t in arrivals.Where(t => t >= attackAt))
                {
                    if (t - last > longest)
                        (longest, end) = (t - last, t);
                    last = t;
                }
                recovery = end < 0 ? null : (end - attackAt) * 1000.0 / Stopwatch.Frequency;
                if (recovery is { } r)
                    Say("collector", $"events arrive again: {r:F0} ms after the attack (after {longest * 1000.0 / Stopwatch.Frequency:F0} ms without any)");
            }
        }
        var all = monitor.Lines;
        var done = all.Select(l => DoneLine().Match(l)).LastOrDefault(m => m.Success);
        var status = all.Select(l => StatusLine().Match(l)).LastOrDefault(m => m.Success);
        int produced = done is not null ? int.Parse(done.Groups[1].Value) : status is not null ? int.Parse(status.Groups[1].Value) : 0;
        int restarts = done is not null ? int.Parse(done.Groups[3].Value) : 0;
        bool survived = exited && monitor.ExitCode == 0 && done is not null;
        if (!exited)
            monitor.Kill();
        if (!survived)
            Say("monitor", exited ? $"DIED (exit status {monitor.ExitCode}{(monitor.ExitCode > 128 ? $", signal {monitor.ExitCode - 128}" : "")})" : "stopped answering; killed");
        int deliveredCount;
        lock (delivered)
            deliveredCount = delivered.Count(s => s < produced);
        // A monitor that died produced less than its schedule: what it never produced is lost too.
        int expected = seconds * rate;
        int lost = survived ? produced - deliveredCount : Math.Max(expected, produced) - deliveredCount;
        var result = new Scenario(plan.Name, plan.Isolated, produced, deliveredCount, lost, restarts, survived, survived ? recovery : null)
        {
            Injected = attacks,
            Failures = FailuresIn(all),
        };
        Say("summary", $"produced {result.EventsProduced}, delivered {result.EventsDelivered}, lost {result.EventsLost}, driver restarts {result.DriverRestarts} ({attacks} injected), monitor {(survived ? "survived" : "died")}");
        if (result.Failures.Count > 0 && attacks == 1)
            Say("summary", $"failures detected: {Describe(result.Failures)}");
        return result;
    }

    // The outage the scenario's restarts caused in all (detection to a new host ready), or "-".
    private static string Outage(Scenario r) =>
        r.Failures.Count == 0 ? "-" : r.Failures.Any(f => f.OutageMs is null) ? "none back" : $"{r.Failures.Sum(f => f.OutageMs!.Value):F0} ms";

    private static (string Who, string What)? Narrate(string line)
    {
        if (line.StartsWith("audit ", StringComparison.Ordinal))
        {
            using var doc = JsonDocument.Parse(line[6..]);
            var r = doc.RootElement;
            string Get(string k) => r.TryGetProperty(k, out var v) ? v.ToString() : "";
            return Get("event") switch
            {
                "crash" => ("supervisor", $"driver host #{Get("host")} crashed ({(Get("signal").Length > 0 ? Get("signal") : "exit " + Get("status"))}{(Get("function").Length > 0 ? " in " + Get("function") : "")})"),
                "hang" => ("supervisor", Get("reason") == "no answer"
                    ? $"driver host #{Get("host")} did not answer for {Get("silent_ms")} ms: hung, killed"
                    : $"driver host #{Get("host")} held its CPU with no progress for {Get("stalled_ms")} ms (watchdog {Get("watchdog_ms")} ms): hung, killed"),
                "memory" => ("supervisor", $"driver host #{Get("host")} exhausted its memory"),
                "restart" => ("supervisor", $"restart: warm standby host #{Get("host")} takes over (attempt {Get("attempt")})"),
                "ready" when Get("host") != "1" => ("supervisor", $"driver host #{Get("host")} is up in {Get("ms")} ms; interface state replayed, rings handed over"),
                "give_up" => ("supervisor", "restart budget spent: gave up"),
                _ => null,
            };
        }
        var done = DoneLine().Match(line);
        if (done.Success)
            return ("monitor", $"finished: produced {done.Groups[1].Value} events, {done.Groups[2].Value} acknowledged");
        return null;
    }

    private static void NetifMacParse(string text, out byte[] mac)
    {
        if (!LinuxShim.Shim.Netif.NetifMac.TryParse(text, out mac))
            throw new IOException($"the monitor reported a bad MAC '{text}'");
    }

    [GeneratedRegex(@"^done produced=(\d+) acked=(\d+) restarts=(\d+)")]
    private static partial Regex DoneLine();

    [GeneratedRegex(@"^status produced=(\d+) acked=(\d+)")]
    private static partial Regex StatusLine();
}
