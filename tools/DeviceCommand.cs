// SPDX-License-Identifier: MIT
// Managed side. `linuxshim device`: runs an emulated NIC (our RTL8139 or 82540EM, or one of QEMU's
// models in a child QEMU) as a vfio-user device server on a UNIX socket, with its cable on a wire
// backend, until SIGINT or SIGTERM. `device --list` says which models there are.
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Devices;
using LinuxShim.Devices.E1000;
using LinuxShim.Devices.Qemu;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;

[assembly: InternalsVisibleTo("LinuxShim.Devices.Tests")]

namespace LinuxShim.Tools;

internal static class DeviceCommand
{
    public const string Help = """
        linuxshim device: an emulated NIC served over vfio-user.

        Usage:
          linuxshim device MODEL --socket PATH [--wire WIRE] [--pcap FILE] [--mac MAC] [--faults] [--status FILE]
          linuxshim device --list
          linuxshim device attack [rtl8139|e1000|qemu:MODEL|all] [--messages N] [--seed S] [--json FILE]

        Models:
          rtl8139, e1000  LinuxShim's own models (RTL8139, 82540EM), written from the datasheets.
          dwmac (gmac)    LinuxShim's Synopsys DesignWare GMAC 3.70a (stmmac's dwmac1000), served as a
                          platform device (device tree compatible "snps,dwmac-3.70a"): region 0 its
                          0x2000-byte register block, IRQ 0 its macirq line, a PHY at MDIO address 1.
          qemu:NAME[,PROPERTY=VALUE...]
                          QEMU's model NAME (e.g. qemu:e1000, qemu:rtl8139), run in a child
                          qemu-system-x86_64 -machine x-remote that this command starts, confines (its
                          own process and network namespace, QEMU's seccomp filter, only its channel and
                          cable descriptors) and stops; the properties go to its -device option.
                          `device --list` shows the models, their PCI ids and the ports that drive them.

        Options:
          --socket PATH   UNIX socket to listen on for the vfio-user client (the driver host).
          --wire WIRE     the NIC's cable: inproc (default: nothing at the other end),
                          tap:NAME (a TAP interface, needs CAP_NET_ADMIN), or
                          udp:HOST:PORT[:LOCALPORT] (one frame per datagram, as QEMU -netdev dgram).
          --pcap FILE     also write every frame on the wire, both ways, to FILE (pcap).
          --mac MAC       station address in the EEPROM (default 52:54:00:12:34:56).
          --faults        take device faults on standard input, one a line: "fault KIND MS SEED" makes
                          the device misbehave for MS ms (KIND: all_ones, random_reads, bad_descriptors,
                          irq_storm, unresponsive); each is answered "linuxshim device: fault ..." on
                          standard output (`linuxshim inject` drives this).
          --status FILE   keep FILE (64 bytes, rewritten every 100 ms) telling whether the cable has
                          link and since when, and the frames moved; a supervisor reads it to tell a
                          driver that lost its link from one that lost its way (`run` passes it).

        The server treats its clients as hostile: VERSION first and once, every message decoded and
        checked, DMA windows only from memfds sealed against shrinking (or without a descriptor, then
        reached by DMA_READ/DMA_WRITE), interrupt descriptors only eventfds (made non-blocking), several
        clients with one owning the device, and bounds on handshake, message, idle and reply times.
        Why a request was refused goes to standard error (at most 100 lines in 10 s). `device attack --help`
        describes the campaign that tests all of this.

        Runs until SIGINT or SIGTERM (gone within a second). Exit status: 0 stopped, 1 could not start,
        2 usage error.
        """;

    private sealed record Options(string Model, string Socket, string Wire, string? Pcap, MacAddress Mac, bool Faults, string? Status);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && args[0] == "attack")
            return AttackCommand.Run(args[1..], stdout, stderr);
        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return Run(args, stdout, stderr, stop.Token);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
            // The server stops within a second however its clients behave; should anything still hold
            // the process then, it ends anyway (nothing is left to save: the device state goes with it).
            var deadline = new Thread(() =>
            {
                Thread.Sleep(1000);
                Console.Error.WriteLine("linuxshim device: did not stop within 1 s of the signal; exiting");
                Console.Error.Flush();
                System.Diagnostics.Process.GetCurrentProcess().Kill();
            }) { IsBackground = true, Name = "stop deadline" };
            deadline.Start();
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires (the signal handlers above cancel it).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (args.Length > 0 && args[0] == "--list")
            return List(stdout, stderr);
        Options options;
        try
        {
            var parsed = Parse(args);
            if (parsed is null)
            {
                stdout.WriteLine(Help);
                return 0;
            }
            options = parsed;
        }
        catch (FormatException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            stderr.WriteLine("usage: linuxshim device rtl8139|e1000|dwmac|qemu:MODEL --socket PATH [--wire WIRE] [--pcap FILE] [--mac MAC]");
            return 2;
        }

        IWire? wire = null;
        IWire? farEnd = null;
        try
        {
            (wire, farEnd) = DeviceModels.OpenWire(options.Wire);
            if (options.Pcap is not null)
                wire = new CaptureWire(wire, new PcapWriter(options.Pcap));
            using INic device = DeviceModels.CreateNic(options.Model, options.Mac, Report);
            device.Connect(wire);
            var faults = options.Faults ? new DeviceFaults(device) : null;
            using var status = options.Status is null ? null : new DeviceStatusWriter(device, options.Status);
            using var server = new VfioUserServer(faults is null ? device : faults);
            server.Diagnostic += Report;
            var serving = server.ListenAsync(options.Socket, cancellationToken);
            stdout.WriteLine($"linuxshim device: {options.Model} {options.Mac} on {options.Socket}, wire {wire.Description}");
            stdout.Flush();
            if (faults is not null)
                TakeFaults(faults, Console.In, stdout, stderr);
            try
            {
                serving.Wait(CancellationToken.None);
            }
            catch (AggregateException e) when (e.InnerException is OperationCanceledException)
            {
            }
            stdout.WriteLine($"linuxshim device: stopped after {server.Messages} messages ({server.ErrorReplies} refused, " +
                $"{server.DroppedClients} clients dropped), {device.FramesSent} frames sent, {device.FramesReceived} received");
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or ArgumentException
                                       or LinuxShim.Posix.PosixException)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            return 1;
        }
        finally
        {
            wire?.Dispose();
            farEnd?.Dispose();
        }

        void Report(string line)
        {
            lock (stderr)
                stderr.WriteLine($"linuxshim device: {line}");
        }
    }

    /// <summary>`device --list`: our models and QEMU's, with the PCI identity each reports and the port that drives it.</summary>
    private static int List(TextWriter stdout, TextWriter stderr)
    {
        stdout.WriteLine($"{"MODEL",-22} {"PCI ID",-10} {"REV",-4} {"SUBSYSTEM",-10} {"PORT",-14} DESCRIPTION");
        foreach (var (name, nic, port, what) in new[] { ("rtl8139", "rtl8139", "ports/8139too", "RTL8139 (LinuxShim's model)"), ("e1000", "e1000", "ports/e1000", "82540EM (LinuxShim's model)") })
        {
            using var device = DeviceModels.CreateNic(nic, MacAddress.Default, _ => { });
            Row(name, QemuModels.Identity(device), port, what);
        }
        stdout.WriteLine($"{"dwmac",-22} {"platform",-10} {"-",-4} {"-",-10} {"-",-14} DesignWare GMAC 3.70a (LinuxShim's model), {Devices.Dwmac.DwmacNic.Compatible}");
        if (QemuModels.Executable is null)
        {
            stdout.WriteLine("(QEMU's models: qemu-system-x86_64 is not installed; Debian: apt-get install qemu-system-x86)");
            return 0;
        }
        int failed = 0;
        foreach (var m in QemuModels.All)
        {
            try
            {
                Row($"qemu:{m.Name}", QemuModels.ReadIdentity(m.Name), m.Port ?? "-", m.Description);
            }
            catch (Exception e) when (e is IOException or FormatException or LinuxShim.Posix.PosixException)
            {
                failed++;
                stderr.WriteLine($"linuxshim: qemu:{m.Name}: {e.Message}");
            }
        }
        return failed == 0 ? 0 : 1;

        void Row(string name, Devices.Pci.PciIdentity id, string port, string what) =>
            stdout.WriteLine($"{name,-22} {id.VendorId:x4}:{id.DeviceId:x4} {id.Revision:x2}   {id.SubsystemVendorId:x4}:{id.SubsystemId:x4}  {port,-14} {what}");
    }

    // Device faults from standard input ("fault KIND MS SEED"), on a thread of their own, until it closes.
    private static void TakeFaults(DeviceFaults faults, TextReader input, TextWriter stdout, TextWriter stderr)
    {
        var reader = new Thread(() =>
        {
            while (input.ReadLine() is { } line)
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string? problem = null;
                if (parts.Length != 4 || parts[0] != "fault" || !int.TryParse(parts[2], out int ms) || !int.TryParse(parts[3], out int seed))
                    problem = $"bad fault line '{line}' (want: fault KIND MS SEED)";
                else
                {
                    try
                    {
                        faults.Start(parts[1], ms, seed);
                    }
                    catch (ArgumentException e)
                    {
                        problem = e.Message;
                    }
                }
                lock (stderr)
                {
                    if (problem is null)
                        stdout.WriteLine($"linuxshim device: fault {parts[1]} for {parts[2]} ms");
                    else
                        stderr.WriteLine($"linuxshim device: {problem}");
                }
                stdout.Flush();
            }
        }) { IsBackground = true, Name = "device-faults" };
        reader.Start();
    }

    /// <summary>The options, or null for --help; FormatException on a usage error.</summary>
    private static Options? Parse(string[] args)
    {
        if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
            return null;
        string model = DeviceModels.ModelName(args[0]);
        string? socket = null, pcap = null, status = null;
        string wire = "inproc";
        var mac = MacAddress.Default;
        bool faults = false;
        for (int i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--socket":
                    socket = Value();
                    break;
                case "--wire":
                    wire = Value();
                    break;
                case "--pcap":
                    pcap = Value();
                    break;
                case "--mac":
                    mac = MacAddress.Parse(Value());
                    if ((mac.B0 & 1) != 0)
                        throw new FormatException($"{mac} is a multicast address");
                    break;
                case "--faults":
                    faults = true;
                    break;
                case "--status":
                    status = Value();
                    break;
                default:
                    throw new FormatException($"unknown option '{args[i]}'");
            }
        }
        if (socket is null)
            throw new FormatException("--socket PATH is required");
        if (DeviceModels.WireProblem(wire) is { } problem)
            throw new FormatException(problem);
        return new Options(model, socket, wire, pcap, mac, faults, status);
    }
}
