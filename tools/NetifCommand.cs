// SPDX-License-Identifier: MIT
// Managed side. `linuxshim netif show`: what each running driver reports about its interfaces
// through its ops (ethtool -i / ethtool / ethtool -S style), asked over the driver hosts' netif
// control sockets.
using System.Text.Json;
using LinuxShim.Posix;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Tools;

public static class NetifCommand
{
    /// <summary>Where `run` keeps each port's sockets: /run/linuxshim for root, else the user's runtime directory.</summary>
    public static string RuntimeRoot()
    {
        if (Environment.GetEnvironmentVariable("LINUXSHIM_RUNTIME_DIR") is { Length: > 0 } explicitRoot)
            return explicitRoot;
        if (Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root")
            return "/run/linuxshim";
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } xdg)
            return Path.Combine(xdg, "linuxshim");
        return Path.Combine(Path.GetTempPath(), $"linuxshim-{Environment.UserName}");
    }

    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        string sub = cl.Positionals.Count > 0 ? cl.Positionals[0] : throw new UsageException("netif takes a subcommand: netif show [INTERFACE]");
        return sub switch
        {
            "show" => Show(cl, stdout, stderr),
            "bench" => NetifBench.Run(cl, stdout, stderr),
            "soak" => SoakBench.Run(cl, stdout, stderr),
            _ => throw new UsageException($"unknown netif subcommand '{sub}' (show, bench, soak)"),
        };
    }

    private static int Show(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count > 2)
            throw new UsageException("netif show takes at most one interface name");
        string? only = cl.Positionals.Count == 2 ? cl.Positionals[1] : null;
        var sockets = new List<string>();
        if (cl.Get("socket") is { } socket)
            sockets.Add(socket);
        else if (Directory.Exists(RuntimeRoot()))
            sockets.AddRange(Directory.EnumerateDirectories(RuntimeRoot()).Select(d => Path.Combine(d, "netif.sock")).Where(File.Exists).Order(StringComparer.Ordinal));
        if (sockets.Count == 0)
        {
            stderr.WriteLine($"linuxshim: no running driver (no netif sockets under {RuntimeRoot()}; start one with `linuxshim run PORT`, or name one with --socket)");
            return Cli.ExitFailure;
        }
        var found = new List<(string Socket, NetifInterface Interface)>();
        int failures = 0;
        foreach (var path in sockets)
        {
            try
            {
                using var client = NetifClient.Connect(path);
                found.AddRange(client.Show(only).Select(i => (path, i)));
            }
            catch (Exception e) when (e is PosixException or NetifException or NetifProtocolException or IOException)
            {
                failures++;
                stderr.WriteLine($"linuxshim: {path}: {e.Message} (a driver host that has stopped leaves its socket behind)");
            }
        }
        if (cl.Get("json") is { } json)
        {
            var doc = found.Select(f => new { socket = f.Socket, @interface = f.Interface }).ToList();
            string text = JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
            if (json == "-")
                stdout.WriteLine(text);
            else
                File.WriteAllText(json, text + "\n");
        }
        else
        {
            foreach (var (path, i) in found)
                Print(stdout, path, i);
        }
        if (only is not null && found.Count == 0)
        {
            stderr.WriteLine($"linuxshim: no interface '{only}'");
            return Cli.ExitFailure;
        }
        return failures > 0 && found.Count == 0 ? Cli.ExitFailure : Cli.ExitOk;
    }

    private static void Print(TextWriter o, string socket, NetifInterface i)
    {
        var l = i.Link;
        o.WriteLine($"{i.Name}: {(l.Up ? "UP" : "DOWN")} {(l.Carrier ? "LOWER_UP" : "NO-CARRIER")}  ({socket})");
        o.WriteLine($"    driver: {i.Driver}  version: {i.Version}  firmware: {(i.Firmware.Length > 0 ? i.Firmware : "-")}  bus-info: {i.BusInfo}");
        o.WriteLine($"    link: {(l.Carrier ? "yes" : "no")}  speed: {(l.SpeedMbps is { } s ? $"{s}Mb/s" : "unknown")}  duplex: {l.Duplex}  autoneg: {(l.Autoneg is { } a ? (a ? "on" : "off") : "-")}");
        o.WriteLine($"    mac: {i.Mac}  mtu: {i.Mtu}  netif client attached: {(i.Attached ? "yes" : "no")}");
        o.WriteLine("    statistics:");
        foreach (var row in i.Statistics.Where(s => s.Value != 0 || s.Key.EndsWith("packets", StringComparison.Ordinal) || s.Key.EndsWith("bytes", StringComparison.Ordinal)).Chunk(4))
            o.WriteLine("      " + string.Join("  ", row.Select(s => $"{s.Key}: {s.Value}")));
        if (i.DriverStatistics.Count > 0)
        {
            o.WriteLine("    driver statistics (ethtool -S):");
            foreach (var row in i.DriverStatistics.Chunk(4))
                o.WriteLine("      " + string.Join("  ", row.Select(s => $"{s.Key}: {s.Value}")));
        }
        if (i.Netif.Count > 0)
            o.WriteLine("    netif rings: " + string.Join("  ", i.Netif.Select(s => $"{s.Key}: {s.Value}")));
    }
}
