// SPDX-License-Identifier: MIT
// Managed side. `linuxshim device attack`: starts a device server (its own process, cable on UDP
// loopback) and runs the hostile-client campaign (tools/Adversary) against it, for one model or both;
// prints each run's table and, with --json, writes the reports. Exit status 0 only when every run held.
using LinuxShim.Supervisor;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LinuxShim.Tools.Adversary;

namespace LinuxShim.Tools;

internal static class AttackCommand
{
    public const string Help = """
        linuxshim device attack: a compromised driver host's campaign against the vfio-user device server.

        Usage:
          linuxshim device attack [rtl8139|e1000|qemu:MODEL|all] [--messages N] [--seed S] [--json FILE]

        Starts `linuxshim device MODEL` as its own process (cable: UDP on loopback) and sends it N
        messages per model (default 100000): malformed and mutated requests, hostile descriptors (pipes,
        sockets, regular files, unsealed memfds, saturated blocking eventfds), messages cut off with
        descriptors in flight, DMA windows at every edge, frames from the cable into odd ring states,
        hostile answers to the server's DMA_READ/DMA_WRITE; then idle connections past the client limit
        and a client that stops reading. Every message must be answered or its connection dropped, the
        server must stay alive with its descriptors and memory flat, add no seal to a client's memfd,
        and serve a fresh client at the end.

        Options:
          --messages N   messages per model (default 100000).
          --seed S       the campaign's random seed (default: from the clock; printed, so runs repeat).
          --json FILE    write the reports as JSON.

        Exit status: 0 every run held, 1 a run found a failure, 2 usage error.
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            stdout.WriteLine(Help);
            return 0;
        }
        var models = new List<string> { "rtl8139", "e1000" };
        long messages = 100_000;
        int seed = Environment.TickCount & 0x7FFFFFFF;
        string? json = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--messages":
                        messages = long.TryParse(Value(), out long m) && m > 0 ? m : throw new FormatException("--messages needs a positive number");
                        break;
                    case "--seed":
                        seed = int.TryParse(Value(), out int s) && s >= 0 ? s : throw new FormatException("--seed needs a non-negative number");
                        break;
                    case "--json":
                        json = Value();
                        break;
                    case "all":
                        break;
                    case var model when !model.StartsWith('-'):
                        models = [Devices.DeviceModels.ModelName(model)];
                        break;
                    default:
                        throw new FormatException($"unknown option {args[i]}");
                }
            }
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            stderr.WriteLine("usage: linuxshim device attack [rtl8139|e1000|qemu:MODEL|all] [--messages N] [--seed S] [--json FILE]");
            return 2;
        }

        var reports = new List<VfioUserAttackReport>();
        foreach (var model in models)
        {
            stdout.WriteLine($"linuxshim device attack: {model}, {messages:N0} messages, seed {seed}");
            var report = Attack(model, messages, seed, stdout, line => stderr.WriteLine($"  {line}"));
            reports.Add(report);
            Print(report, stdout);
        }
        if (json is not null)
            File.WriteAllText(json, JsonSerializer.Serialize(reports, new JsonSerializerOptions { WriteIndented = true, IncludeFields = false }));
        return reports.All(r => r.Passed) ? 0 : 1;
    }

    /// <summary>Runs one campaign against a fresh `linuxshim device MODEL` process.</summary>
    public static VfioUserAttackReport Attack(string model, long messages, int seed, TextWriter log, Action<string>? progress = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"linuxshim-attack-{Environment.ProcessId}-{model}");
        Directory.CreateDirectory(dir);
        string socket = Path.Combine(dir, "device.sock");
        int devicePort = NetifBench.FreeUdpPort();
        int sinkPort = NetifBench.FreeUdpPort();
        using var device = ChildProcess.Start("device", ["device", model, "--socket", socket, "--wire", $"udp:127.0.0.1:{sinkPort}:{devicePort}"], TextWriter.Null);
        try
        {
            device.WaitForDevice(socket, TimeSpan.FromSeconds(30));
            var attack = new VfioUserAttack(socket, device.Id, new IPEndPoint(IPAddress.Loopback, devicePort), seed);
            var report = attack.Run(messages, progress) with { Model = model };
            if (device.HasExited)
                report.Failures.Add($"the device server exited (status {device.ExitCode})");
            var clock = Stopwatch.StartNew();
            device.Stop(TimeSpan.FromSeconds(5));
            if (clock.ElapsedMilliseconds > 1500)
                report.Failures.Add($"the device server took {clock.ElapsedMilliseconds} ms to stop after SIGTERM");
            foreach (var line in device.Lines.Where(l => l.Contains("did not stop") || l.Contains("Unhandled")))
                report.Failures.Add($"device server: {line}");
            return report;
        }
        finally
        {
            if (!device.HasExited)
                device.Kill();
            Directory.Delete(dir, recursive: true);
        }
    }

    public static void Print(VfioUserAttackReport r, TextWriter stdout)
    {
        stdout.WriteLine($"  messages {r.Messages:N0}: {r.Answered:N0} answered ({r.ErrorReplies:N0} refused), {r.DroppedByServer:N0} connections dropped by the server, {r.Unanswered} unanswered");
        stdout.WriteLine($"  by class: {string.Join(", ", r.ByClass.Select(kv => $"{kv.Key} {kv.Value:N0}"))}");
        stdout.WriteLine($"  server DMA_READ/WRITE answered: {r.ServerDmaCommands:N0}; connections: {r.Connections:N0}");
        stdout.WriteLine($"  server descriptors {r.FdsBefore} -> {r.FdsAfter}, resident memory {r.RssBeforeKiB / 1024.0:F1} -> {r.RssAfterKiB / 1024.0:F1} MiB");
        stdout.WriteLine($"  alive {r.ServerAlive}, fresh client served {r.FreshClientServed}, no seal added {r.NoSealAdded}; {r.Seconds:F1} s");
        if (r.NewDescriptors.Count > 0)
            stdout.WriteLine($"  new server descriptors: {string.Join(", ", r.NewDescriptors)}");
        foreach (var f in r.Failures)
            stdout.WriteLine($"  FAILURE: {f}");
        stdout.WriteLine($"  {(r.Passed ? "held" : "FAILED")}");
    }
}
