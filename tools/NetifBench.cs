// SPDX-License-Identifier: MIT
// Managed side. `linuxshim netif bench PORT`: frame throughput through a port's driver, isolated
// (device server and driver host in their own processes) and in one process (same code, no
// isolation), side by side in one run. The NIC's cable is a UDP wire to this process, so both ends
// of every frame are counted here: transmit = frames sent into the netif ring that come out of the
// cable; receive = frames put on the cable that the driver passes up the netif ring.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Netif;
using LinuxShim.Tools.Supervisor;

namespace LinuxShim.Tools;

public static class NetifBench
{
    public sealed record Result(string Mode, string Direction, int FrameBytes, double FramesPerSecond, double Mbps, long Frames);

    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count != 2)
            throw new UsageException("netif bench takes one port folder, e.g. ports/8139too");
        var recipe = PortRecipe.Load(cl.Positionals[1]);
        string device = recipe.Device ?? throw new UsageException($"{recipe.Name} names no device");
        double seconds = cl.GetInt("seconds", 3);
        string library = RunCommand.EnsureBuilt(cl, recipe, stderr);
        var log = cl.Has("verbose") ? stderr : TextWriter.Null;
        var results = new List<Result>();
        // Isolated first: the in-process mode loads the driver into this process for good.
        foreach (bool isolated in new[] { true, false })
        {
            string mode = isolated ? "isolated" : "in-process";
            stderr.WriteLine($"netif bench: {recipe.Module} {mode} ...");
            using var sink = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            int nicPort = FreeUdpPort();
            var options = new StackOptions
            {
                Library = library,
                Device = device,
                Wire = $"udp:127.0.0.1:{((IPEndPoint)sink.Client.LocalEndPoint!).Port}:{nicPort}",
                Parameters = recipe.Parameters,
                RuntimeDirectory = Path.Combine(NetifCommand.RuntimeRoot(), recipe.Name + "-bench"),
                Name = recipe.Name,
            };
            using var stack = isolated ? DriverStack.StartIsolated(options, log) : DriverStack.StartInProcess(options, log);
            var link = stack.Link;
            var info = link.Up();
            if (!link.WaitForCarrier(TimeSpan.FromSeconds(10)))
                throw new IOException($"{link.Interface}: no link after 10 s");
            Thread.Sleep(3000); // both modes settle first (the isolated one starts a warm standby host)
            NetifMac.TryParse(info.Mac, out var mac);
            foreach (int size in new[] { 60, 1514 })
            {
                results.Add(Transmit(mode, link.Port, sink, mac, size, seconds));
                results.Add(Receive(mode, link.Port, new IPEndPoint(IPAddress.Loopback, nicPort), mac, size, seconds));
            }
            link.Down();
        }
        stdout.WriteLine($"{recipe.Module} on the emulated {device}, {seconds:F0} s per measurement (frame sizes without FCS: 60 = a 64-byte frame)");
        stdout.WriteLine($"{"direction",-10} {"frame",6} {"isolated",22} {"in-process",22} {"ratio",6}");
        foreach (var group in results.GroupBy(r => (r.Direction, r.FrameBytes)))
        {
            var iso = group.First(r => r.Mode == "isolated");
            var inp = group.First(r => r.Mode == "in-process");
            stdout.WriteLine($"{group.Key.Direction,-10} {group.Key.FrameBytes,6} {Format(iso),22} {Format(inp),22} {(inp.FramesPerSecond > 0 ? iso.FramesPerSecond / inp.FramesPerSecond : 0),6:F2}");
        }
        if (cl.Get("json") is { } json)
            File.WriteAllText(json, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }) + "\n");
        return Cli.ExitOk;
    }

    private static string Format(Result r) => $"{r.FramesPerSecond,8:F0} f/s {r.Mbps,7:F1} Mb/s";

    /// <summary>A UDP port on loopback that was free a moment ago (for a wire's far end).</summary>
    internal static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }

    private static byte[] Frame(byte[] destination, byte[] source, int size)
    {
        var frame = new byte[size];
        destination.CopyTo(frame, 0);
        source.CopyTo(frame, 6);
        frame[12] = 0x88; // local experimental EtherType 0x88b5
        frame[13] = 0xb5;
        return frame;
    }

    // The driver transmits: frames into the ring as fast as it takes them, counted as they leave the cable.
    private static Result Transmit(string mode, NetifPort port, UdpClient sink, byte[] mac, int size, double seconds)
    {
        var frame = Frame([0x02, 0, 0, 0, 0, 1], mac, size);
        using var stop = new CancellationTokenSource();
        var sender = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
                port.Send(frame, 100);
        }) { IsBackground = true };
        sender.Start();
        long frames = Count(sink.Client, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(seconds));
        stop.Cancel();
        sender.Join();
        Drain(sink.Client);
        return Make(mode, "transmit", size, frames, seconds);
    }

    // The driver receives: frames onto the cable as fast as this thread sends them, counted as they come up the ring.
    private static Result Receive(string mode, NetifPort port, IPEndPoint nic, byte[] mac, int size, double seconds)
    {
        var frame = Frame(mac, [0x02, 0, 0, 0, 0, 2], size);
        using var stop = new CancellationTokenSource();
        using var source = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var sender = new Thread(() =>
        {
            var pace = Stopwatch.StartNew();
            long sent = 0;
            while (!stop.IsCancellationRequested)
            {
                source.SendTo(frame, nic);
                // Keep the cable busy without starving the receiver of CPU on a small machine.
                if (++sent % 64 == 0)
                    Thread.Yield();
            }
        }) { IsBackground = true };
        sender.Start();
        var buffer = new byte[port.MaxFrame];
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(0.5))
            port.Receive(buffer, 50);
        long frames = 0;
        var window = Stopwatch.StartNew();
        while (window.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (port.Receive(buffer, 50) >= 0)
                frames++;
        }
        stop.Cancel();
        sender.Join();
        while (port.Receive(buffer, 200) >= 0)
        {
        }
        return Make(mode, "receive", size, frames, seconds);
    }

    private static long Count(Socket socket, TimeSpan warmUp, TimeSpan window)
    {
        var buffer = new byte[65536];
        socket.ReceiveTimeout = 50;
        var clock = Stopwatch.StartNew();
        long frames = 0;
        while (clock.Elapsed < warmUp + window)
        {
            try
            {
                socket.Receive(buffer);
                if (clock.Elapsed >= warmUp)
                    frames++;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
            }
        }
        return frames;
    }

    private static void Drain(Socket socket)
    {
        var buffer = new byte[65536];
        socket.ReceiveTimeout = 200;
        try
        {
            while (true)
                socket.Receive(buffer);
        }
        catch (SocketException)
        {
        }
    }

    private static Result Make(string mode, string direction, int size, long frames, double seconds) =>
        new(mode, direction, size, frames / seconds, frames * size * 8 / seconds / 1e6, frames);
}
