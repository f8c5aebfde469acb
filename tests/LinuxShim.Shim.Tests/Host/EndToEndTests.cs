// SPDX-License-Identifier: MIT
// End-to-end test of a port (issues 7 and 9), on each installed kernel the port supports (TestKernels),
// on our NIC models and on QEMU's (issue 15: the same run with --device qemu:MODEL, QEMU's model in a
// child QEMU device server): `linuxshim run` starts the emulated NIC and the unmodified upstream driver in its own driver host process; its interface appears as a TAP, the
// NIC's cable as a second TAP; the two are moved into two fresh network namespaces, and real traffic
// crosses between them through the driver: 100 pings with no loss, then a 50 MB TCP transfer whose
// SHA-256 matches on both sides. Needs root (CI runs as root) and iproute2, ping, netcat-openbsd.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Tests.Native;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Host;

/// <summary>
/// The ports on our own NIC models. In the kernel collection with the other tests that start driver hosts;
/// the rows on QEMU's models are a collection of their own (<see cref="QemuEndToEndTests"/>), so that the two
/// long chains of end-to-end runs share the machine's cores instead of following one another.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class EndToEndTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    public static TheoryData<string, string> Ports => TestKernels.EachPort("8139too", "e1000", "dwmac-generic");

    [Theory]
    [MemberData(nameof(Ports))]
    public void PingAndTcpCrossTheShimmedDriverBetweenNamespaces(string kernelVersion, string portName) =>
        PingAndTcp(kernelVersion, portName, null);
}

/// <summary>The ports on the QEMU models they drive, per kernel.</summary>
[Collection(Name)]
public sealed class QemuEndToEndTests(ITestOutputHelper output) : EndToEndScenario(output)
{
    public const string Name = "End to end on QEMU's models";

    /// <summary>Each port on the QEMU models it drives, per kernel: (kernel, port, device).</summary>
    public static TheoryData<string, string, string> QemuModels()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var row in TestKernels.EachPort("e1000", "8139cp", "pcnet32", "tulip", "e100", "e1000e", "vmxnet3", "virtio_net", "ne2k-pci"))
        {
            string kernel = (string)row[0], port = (string)row[1];
            foreach (var m in LinuxShim.Devices.Qemu.QemuModels.All.Where(m => m.Port == $"ports/{port}"))
                data.Add(kernel, port, $"qemu:{m.Name}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(QemuModels))]
    public void PingAndTcpCrossTheShimmedDriverOnQemusModel(string kernelVersion, string portName, string device)
    {
        var show = PingAndTcp(kernelVersion, portName, device);
        // The run served QEMU's model: the device server named it, and the driver's counters saw the traffic.
        Assert.Contains($"{device} cable on tap:", show);
    }
}

/// <summary>The scenario both collections run: a port built here, run, and real traffic through it.</summary>
public abstract partial class EndToEndScenario(ITestOutputHelper output) : IDisposable
{
    private static readonly string Repo = TestRepository.Root;
    private readonly string id = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> namespaces = [];
    private readonly List<string> directories = [];

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        foreach (var ns in namespaces)
            Command("ip", "netns", "del", ns);
        foreach (var d in directories)
            try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }

    /// <summary>The whole scenario on the port's own device, or on <paramref name="device"/>; returns run's output.</summary>
    protected string PingAndTcp(string kernelVersion, string portName, string? device)
    {
        // A copy of the port, built here, so the test neither needs nor disturbs ports/NAME/build.
        string port = Path.Combine(Path.GetTempPath(), $"linuxshim-e2e-{portName}-{id}");
        directories.Add(port);
        Directory.CreateDirectory(port);
        foreach (var f in Directory.GetFiles(Path.Combine(Repo, "ports", portName)))
            File.Copy(f, Path.Combine(port, Path.GetFileName(f)));
        var recipe = PortRecipe.Load(port);
        var importer = TestKernels.Open(kernelVersion);
        Assert.Equal(kernelVersion, importer.Version.Series.ToString());
        PortCommand.Build(importer, recipe, Path.Combine(port, "build"), null);

        string tap = $"ls{id}s", wire = $"ls{id}w", nsDriver = $"lsA{id}", nsWire = $"lsB{id}";
        string subnet = $"10.{Random.Shared.Next(64, 250)}.{Random.Shared.Next(1, 250)}";
        string driverIp = $"{subnet}.1", wireIp = $"{subnet}.2";

        string[] deviceArgs = device is null ? [] : ["--device", device];
        using var run = Start("run", [port, "--tap", tap, "--wire", $"tap:{wire}", "--runtime-dir", Path.Combine(port, "run"), .. deviceArgs]);
        run.WaitFor("linuxshim run: ", TimeSpan.FromSeconds(120));
        Assert.DoesNotContain("building", run.Text); // the build above, for this kernel, is what runs

        foreach (var (ns, dev, ip) in new[] { (nsDriver, tap, driverIp), (nsWire, wire, wireIp) })
        {
            namespaces.Add(ns);
            Must("ip", "netns", "add", ns);
            Must("ip", "link", "set", dev, "netns", ns);
            Must("ip", "-n", ns, "addr", "add", $"{ip}/24", "dev", dev);
            Must("ip", "-n", ns, "link", "set", dev, "up");
            Must("ip", "-n", ns, "link", "set", "lo", "up");
        }

        // 100 pings through the driver: every echo request goes out through ndo_start_xmit and the
        // NIC's TX path, every reply comes in through the NIC's RX ring, the interrupt and NAPI/netif_rx.
        // No request or reply may be lost, but a slow NIC may be late: ne2k-pci on a loaded machine answered
        // a 100/s burst in up to seconds (each frame some 50 synchronous register accesses). So exactly 100
        // requests go out, and the kernels' own ICMP counters, not ping's patience, tell whether every one
        // was answered: ping with a deadline (-w) would send more than 100 while replies are late and stop
        // at the 100th reply (101 sent for 100 received says nothing about loss), without one it gives up
        // two round trips after the last request.
        var before = (Driver: IcmpEchoes(nsDriver), Wire: IcmpEchoes(nsWire));
        var (_, ping) = Command("ip", "netns", "exec", nsDriver, "ping", "-c", "100", "-i", "0.01", "-q", wireIp);
        output.WriteLine(ping);
        var m = PingSummary().Match(ping);
        Assert.True(m.Success, ping);
        Assert.Equal(100, int.Parse(m.Groups[1].Value));
        var after = (Driver: IcmpEchoes(nsDriver), Wire: IcmpEchoes(nsWire));
        var pingClock = Stopwatch.StartNew();
        while (after.Driver.InEchoReps - before.Driver.InEchoReps < 100 && pingClock.Elapsed < TimeSpan.FromSeconds(50))
        {
            Thread.Sleep(100);
            after = (IcmpEchoes(nsDriver), IcmpEchoes(nsWire));
        }
        string echoes = $"driver side {after.Driver} wire side {after.Wire} (before: {before.Driver}, {before.Wire})";
        output.WriteLine($"echoes: {echoes}");
        Assert.True(after.Driver.OutEchos - before.Driver.OutEchos == 100, echoes);
        Assert.True(after.Wire.InEchos - before.Wire.InEchos == 100, $"echo requests lost on the way out: {echoes}");
        Assert.True(after.Wire.OutEchoReps - before.Wire.OutEchoReps == 100, echoes);
        // QEMU's eepro100 writes a receive frame descriptor's complete bit before its count and the frame
        // (hw/net/eepro100.c, nic_receive), in QEMU's thread, while e100 reads status then count after its sync:
        // the client's round trip through QEMU's main loop at dma_sync_*_for_cpu narrows that window but cannot
        // close it (a receive QEMU starts just after the round trip), and a frame read with its count still 0 is
        // dropped as empty. Seen here once in about 600 replies under load (a VM's vCPU races the same way), so
        // this model may lose one of the 100; every other model none.
        int mayLose = device == "qemu:i82559er" ? 1 : 0;
        Assert.True(100 - (after.Driver.InEchoReps - before.Driver.InEchoReps) <= mayLose, $"echo replies lost on the way in: {echoes}");

        // 50 MB of random bytes over TCP each way: from the driver's side to the wire's side, then back.
        string sent = Path.Combine(port, "sent.bin");
        using (var f = File.Create(sent))
        {
            var block = new byte[1 << 20];
            for (int i = 0; i < 50; i++)
            {
                Random.Shared.NextBytes(block);
                f.Write(block);
            }
        }
        Transfer(sent, Path.Combine(port, "received.bin"), (nsDriver, driverIp), (nsWire, wireIp), "driver -> wire");
        Transfer(sent, Path.Combine(port, "returned.bin"), (nsWire, wireIp), (nsDriver, driverIp), "wire -> driver");

        // The driver's own counters saw the traffic (netif show, through its ethtool and stats ops).
        var show = Must("dotnet", LinuxShimProcess.Dll, "netif", "show", "--socket", Path.Combine(port, "run", "netif.sock"));
        // ethtool's driver name is the module's, but stmmac's (every glue of it) is "st_gmac", as `ethtool -i` says on Linux.
        Assert.Contains($"driver: {(recipe.Module == "dwmac-generic" ? "st_gmac" : recipe.Module)}", show);
        var tx = TxPackets().Match(show);
        // What the supervisor saw (a restart resets the driver's counters): in the output on any failure.
        string audit = Path.Combine(port, "run", "audit.jsonl");
        if (File.Exists(audit))
        {
            foreach (var line in File.ReadLines(audit).Where(l => !l.Contains("\"capability\"") && !l.Contains("\"violation\"")))
                output.WriteLine($"audit: {line}");
        }
        Assert.True(tx.Success && long.Parse(tx.Groups[1].Value) > 30_000, show);

        // SIGTERM: ndo_stop, module exit, device stopped, exit 0.
        Must("kill", "-TERM", run.Process.Id.ToString());
        Assert.True(run.Process.WaitForExit(30_000), "run did not stop on SIGTERM");
        run.Process.WaitForExit(); // and its last output lines have been read
        output.WriteLine(run.Text);
        Assert.Equal(0, run.Process.ExitCode);
        Assert.Matches(@"\[host#\d+\] supervised: exit 0", run.Text);
        Assert.Contains("linuxshim run: stopped", run.Text);
        return run.Text;
    }

    /// <summary>Sends <paramref name="sent"/> with nc from one namespace to a listener in the other; the bytes must match.</summary>
    private void Transfer(string sent, string received, (string Ns, string Ip) from, (string Ns, string Ip) to, string what)
    {
        using var listener = Start(null, "sh", "-c", $"exec ip netns exec {to.Ns} nc -l -d {to.Ip} 5001 > {received}");
        WaitUntil(() => Command("ip", "netns", "exec", to.Ns, "ss", "-ltn").Output.Contains($"{to.Ip}:5001"), TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        // 600 s: what is checked is that every byte arrives, not how fast. Through QEMU's NE2000 (port I/O, a ring of
        // 52 pages, one interrupt per frame: 150-550 frames/s in netif bench) 50 MB took more than 300 s on 6.12 twice
        // in a row on a 2-core machine running half as fast as usual.
        Must("sh", TimeSpan.FromSeconds(600), "-c", $"ip netns exec {from.Ns} nc -N {to.Ip} 5001 < {sent}");
        Assert.True(listener.Process.WaitForExit(60_000), $"the receiving nc did not finish ({what})");
        output.WriteLine($"50 MB over TCP {what} in {clock.Elapsed.TotalSeconds:F1} s ({50 * 8 / clock.Elapsed.TotalSeconds:F1} Mbit/s)");
        Assert.Equal(new FileInfo(sent).Length, new FileInfo(received).Length);
        Assert.Equal(Sha256(sent), Sha256(received));
    }

    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex PingSummary();

    private readonly record struct Echoes(long InEchos, long InEchoReps, long OutEchos, long OutEchoReps);

    /// <summary>Namespace <paramref name="ns"/>'s ICMP echo counters (its /proc/net/snmp).</summary>
    private Echoes IcmpEchoes(string ns)
    {
        var (exit, text) = Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp");
        Assert.True(exit == 0, text);
        var icmp = text.Split('\n').Where(l => l.StartsWith("Icmp: ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToArray();
        Assert.True(icmp.Length == 2, text);
        long Counter(string name) => long.Parse(icmp[1][Array.IndexOf(icmp[0], name)]);
        return new Echoes(Counter("InEchos"), Counter("InEchoReps"), Counter("OutEchos"), Counter("OutEchoReps"));
    }

    [GeneratedRegex(@"tx_packets: (\d+)")]
    private static partial Regex TxPackets();

    private static string Sha256(string file)
    {
        using var f = File.OpenRead(file);
        return Convert.ToHexString(SHA256.HashData(f));
    }

    private static void WaitUntil(Func<bool> done, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > timeout)
                throw new TimeoutException("condition not met in time");
            Thread.Sleep(50);
        }
    }

    private (int Exit, string Output) Command(string file, params string[] args) => Command(file, TimeSpan.FromSeconds(60), args);

    private static (int Exit, string Output) Command(string file, TimeSpan timeout, params string[] args)
    {
        var result = LinuxShimProcess.Program(file, args, timeout);
        return (result.Exit, result.Output);
    }

    private string Must(string file, params string[] args) => Must(file, TimeSpan.FromSeconds(60), args);

    private string Must(string file, TimeSpan timeout, params string[] args)
    {
        var (exit, text) = Command(file, timeout, args);
        output.WriteLine($"$ {file} {string.Join(' ', args)}\n{text}");
        Assert.True(exit == 0, $"{file} {string.Join(' ', args)} failed ({exit}): {text}");
        return text;
    }

    /// <summary>A background process whose output is collected; `linuxshim COMMAND` when <paramref name="linuxshim"/> is set.</summary>
    private static Background Start(string? linuxshim, params string[] args)
    {
        ProcessStartInfo info;
        if (linuxshim is not null)
            info = LinuxShimProcess.StartInfo([linuxshim, .. args]);
        else
        {
            info = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args[1..])
                info.ArgumentList.Add(a);
        }
        return new Background(Process.Start(info)!);
    }

    private sealed class Background : IDisposable
    {
        private readonly System.Text.StringBuilder text = new();

        public Background(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Add(e.Data);
            process.ErrorDataReceived += (_, e) => Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string Text
        {
            get
            {
                lock (text)
                    return text.ToString();
            }
        }

        private void Add(string? line)
        {
            if (line is null)
                return;
            lock (text)
                text.AppendLine(line);
        }

        public void WaitFor(string prefix, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!Text.Split('\n').Any(l => l.StartsWith(prefix, StringComparison.Ordinal)))
            {
                if (Process.HasExited || clock.Elapsed > timeout)
                    throw new TimeoutException($"no '{prefix}' line (exited: {Process.HasExited}):\n{Text}");
                Thread.Sleep(50);
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
                Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
