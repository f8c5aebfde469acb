// SPDX-License-Identifier: MIT
// End-to-end test of a port (issues 7 and 9), on each installed kernel the port supports (TestKernels),
// on our NIC models and on QEMU's (issue 15: the same run with --device qemu:MODEL, QEMU's model in a
// child QEMU device server): `linuxshim run` starts the emulated NIC and the unmodified upstream driver in its own driver host process; its interface appears as a TAP, the
// NIC's cable as a second TAP; the two are moved into two fresh network namespaces, and real traffic
// crosses between them through the driver: 100 pings with no loss (but what a chip reset on a transmit timeout takes), then a 50 MB TCP transfer each way (10 MB
// through QEMU's NE2000, see TransferMegabytes) whose SHA-256 matches on both sides. Needs root (CI runs as root) and iproute2, ping, netcat-openbsd.
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
        PingAndTcp(kernelVersion, portName, null, 50);
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

    /// <summary>
    /// The megabytes each way: 50, but 10 through QEMU's NE2000, whose every byte crosses its data port by
    /// programmed I/O at about 11 µs per 32-bit access in QEMU (2 Mbit/s at best here): 50 MB each way took 6-8
    /// minutes per kernel alone and ran past 20 beside CI's other test assemblies, the two cases then a third of
    /// CI's time. 10 MB is still some 7,000 full frames each way, every byte checked; the 50 MB run is a soak,
    /// kept as one (LINUXSHIM_E2E_MEGABYTES=50 runs every row at 50, README "ne2k-pci").
    /// </summary>
    public static int TransferMegabytes(string device) =>
        Environment.GetEnvironmentVariable("LINUXSHIM_E2E_MEGABYTES") is { Length: > 0 } mb
            ? int.TryParse(mb, out int n) && n is > 0 and <= 1000 ? n : throw new ArgumentException($"LINUXSHIM_E2E_MEGABYTES must be 1-1000, not '{mb}'")
            : device == "qemu:ne2k_pci" ? 10 : 50;

    [Theory]
    [MemberData(nameof(QemuModels))]
    public void PingAndTcpCrossTheShimmedDriverOnQemusModel(string kernelVersion, string portName, string device)
    {
        var show = PingAndTcp(kernelVersion, portName, device, TransferMegabytes(device));
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

    /// <summary>
    /// The whole scenario on the port's own device, or on <paramref name="device"/>, with <paramref name="megabytes"/>
    /// over TCP each way; returns run's output.
    /// </summary>
    protected string PingAndTcp(string kernelVersion, string portName, string? device, int megabytes)
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
        long requestsLost = 100 - (after.Wire.InEchos - before.Wire.InEchos), repliesLost = 100 - (after.Driver.InEchoReps - before.Driver.InEchoReps);
        long timeouts = 0;
        if (requestsLost != 0 || repliesLost != 0 || after.Wire.OutEchoReps - before.Wire.OutEchoReps != after.Wire.InEchos - before.Wire.InEchos)
        {
            // Where an echo went: the driver's and the netif rings' counters (tx_timeouts: the core's transmit
            // watchdog called the driver's ndo_tx_timeout) and what the host logged, in the failure's message.
            var (_, counters) = Command("dotnet", LinuxShimProcess.Dll, "netif", "show", "--socket", Path.Combine(port, "run", "netif.sock"));
            // The core's count (statistics), or the driver's own (ethtool -S, 8139too's say), whichever says more.
            timeouts = TxTimeouts().Matches(counters).Select(t => long.Parse(t.Groups[1].Value)).DefaultIfEmpty(0).Max();
            echoes += $"\nnetif show:\n{counters}\nrun so far:\n{run.Text}";
            output.WriteLine(echoes);
        }
        Assert.True(after.Driver.OutEchos - before.Driver.OutEchos == 100, echoes);
        Assert.True(after.Wire.OutEchoReps - before.Wire.OutEchoReps == after.Wire.InEchos - before.Wire.InEchos, echoes);
        // QEMU's eepro100 writes a receive frame descriptor's complete bit before its count and the frame
        // (hw/net/eepro100.c, nic_receive), in QEMU's thread, while e100 reads status then count after its sync:
        // the client's round trip through QEMU's main loop at dma_sync_*_for_cpu narrows that window but cannot
        // close it (a receive QEMU starts just after the round trip), and a frame read with its count still 0 is
        // dropped as empty. Seen here once in about 600 replies under load (a VM's vCPU races the same way), so
        // this model may lose one of the 100; every other model none.
        int mayLose = device == "qemu:i82559er" ? 1 : 0;
        // Nothing is lost unless the driver itself threw it away: when the core's transmit watchdog found the queue
        // stopped past the driver's watchdog_timeo (8390's is 200 ms, which a CI machine at load 10-30 can exceed
        // between a transmit and its interrupt) and called ndo_tx_timeout, the driver reset its chip, and the frames
        // the chip held (both 8390 transmit buffers, its receive ring) went with it, as on Linux. Then up to 10 of
        // the 100 may be lost each way, the timeouts are in the output, and the transfers below must still be exact.
        int resetMayLose = timeouts > 0 ? 10 : 0;
        Assert.True(requestsLost >= 0 && requestsLost <= resetMayLose, $"echo requests lost on the way out ({timeouts} transmit timeouts): {echoes}");
        Assert.True(repliesLost >= 0 && repliesLost <= mayLose + resetMayLose, $"echo replies lost on the way in ({timeouts} transmit timeouts): {echoes}");
        if (timeouts > 0)
            output.WriteLine($"the driver reset its chip on {timeouts} transmit timeouts: {requestsLost} requests and {repliesLost} replies lost with it");

        // Megabytes of random bytes over TCP each way: from the driver's side to the wire's side, then back.
        string sent = Path.Combine(port, "sent.bin");
        using (var f = File.Create(sent))
        {
            var block = new byte[1 << 20];
            for (int i = 0; i < megabytes; i++)
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
        // A megabyte each way is some 720 full frames out (the data, or the acknowledgements of the data coming in).
        Assert.True(tx.Success && long.Parse(tx.Groups[1].Value) > 600 * megabytes, show);

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

    private static readonly TimeSpan TransferStall = TimeSpan.FromSeconds(180), TransferLimit = TimeSpan.FromSeconds(1200);

    /// <summary>Sends <paramref name="sent"/> with nc from one namespace to a listener in the other; the bytes must match.</summary>
    private void Transfer(string sent, string received, (string Ns, string Ip) from, (string Ns, string Ip) to, string what)
    {
        using var listener = Start(null, "sh", "-c", $"exec ip netns exec {to.Ns} nc -l -d {to.Ip} 5001 > {received}");
        WaitUntil(() => Command("ip", "netns", "exec", to.Ns, "ss", "-ltn").Output.Contains($"{to.Ip}:5001"), TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();
        // What is checked is that every byte arrives, not how fast: the transfer fails when no byte has arrived for
        // TransferStall (a stall, which says where it stopped), or when it is still crawling after TransferLimit.
        // Through QEMU's NE2000 (port I/O, a ring of 52 pages, one interrupt per frame: 150-550 frames/s in netif
        // bench) 50 MB took more than 300 s on 6.12 twice in a row on a 2-core machine running half as fast as usual,
        // and more than 600 s once in CI beside the fault-injection sample.
        long total = new FileInfo(sent).Length;
        using (var sender = Start(null, "sh", "-c", $"exec ip netns exec {from.Ns} nc -N {to.Ip} 5001 < {sent}"))
        {
            long arrived = -1;
            var quiet = Stopwatch.StartNew();
            while (!sender.Process.WaitForExit(1000))
            {
                long now = File.Exists(received) ? new FileInfo(received).Length : 0;
                if (now != arrived)
                {
                    arrived = now;
                    quiet.Restart();
                }
                Assert.False(quiet.Elapsed > TransferStall,
                    $"{what}: stalled: no byte arrived for {TransferStall.TotalSeconds:F0} s, {now} of {total} bytes after {clock.Elapsed.TotalSeconds:F0} s");
                Assert.False(clock.Elapsed > TransferLimit,
                    $"{what}: {now} of {total} bytes after {TransferLimit.TotalSeconds:F0} s (still arriving, too slowly)");
            }
            sender.Process.WaitForExit(); // its output read to the end
            Assert.True(sender.Process.ExitCode == 0, $"{what}: nc -N failed ({sender.Process.ExitCode}): {sender.Text}");
        }
        Assert.True(listener.Process.WaitForExit(60_000), $"the receiving nc did not finish ({what})");
        double megabytes = total / (double)(1 << 20);
        output.WriteLine($"{megabytes:F0} MB over TCP {what} in {clock.Elapsed.TotalSeconds:F1} s ({megabytes * 8 / clock.Elapsed.TotalSeconds:F1} Mbit/s)");
        Assert.Equal(total, new FileInfo(received).Length);
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

    [GeneratedRegex(@"tx_timeouts: (\d+)")]
    private static partial Regex TxTimeouts();

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
