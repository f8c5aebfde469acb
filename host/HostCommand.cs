// SPDX-License-Identifier: MIT
// Managed side. The driver host (`linuxshim-host`, also `linuxshim host LIB.so`): runs a driver in this
// process under the shim (the supervisor and `run` start it in its own process, as this executable, which
// references the shim only). With --fake-pci it gets in-memory PCI functions, enough to reach the driver's probe.
using System.Diagnostics;
using System.Runtime.InteropServices;
using LinuxShim.Posix;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Sandbox;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Host;

public static class HostCommand
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public const string Usage = """
        usage: linuxshim-host LIB.so [--vfio-user SOCKET]... [--fake-pci VVVV:DDDD]... [--param NAME=VALUE]...
                              [--netif SOCKET] [--sandbox] [--up] [--exit-after-probe] [--memory MIB]
                              [--device-timeout-ms N] [--stop-timeout-ms N] [--layout FILE]
               linuxshim-host --supervisor SOCKET
        Runs a driver .so from `linuxshim port build` in this process under the shim (see linuxshim --help, host).
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>The host with its arguments: 0 done, 1 failed, 2 a usage mistake (one line on stderr).</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var cl = HostArguments.Parse(args);
            if (cl.Has("help"))
            {
                stdout.WriteLine(Usage);
                return ExitOk;
            }
            return Run(cl, stdout, stderr);
        }
        catch (HostUsageException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            stderr.WriteLine("Try 'linuxshim-host --help'.");
            return ExitUsage;
        }
    }

    private static int Run(HostArguments cl, TextWriter stdout, TextWriter stderr)
    {
        var started = Stopwatch.StartNew();
        // SIGINT/SIGTERM are taken from the start: one that comes while the driver probes or opens
        // ends the host cleanly (ndo_stop, module exit) as soon as it is up, instead of killing it.
        // Cleanly or not, it ends within --stop-timeout-ms (default 1 s) of the signal; a second
        // signal ends it at once.
        int stopTimeout = cl.GetInt("stop-timeout-ms", 1000);
        if (stopTimeout <= 0)
            throw new HostUsageException("--stop-timeout-ms must be positive");
        using var deadline = new ShutdownDeadline(TimeSpan.FromMilliseconds(stopTimeout));
        using var stop = new ManualResetEventSlim();
        int signals = 0;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        Machine.Log = (level, text) =>
        {
            lock (stderr)
                stderr.WriteLine($"<{level}> {text}");
        };
        // A host that must end itself (unimplemented symbol, interrupt storm) does so without waiting
        // for the runtime's shutdown, which a thread stuck in the driver could hold up.
        Machine.Abort = HostExit.Now;
        try
        {
            return Serve(cl, stdout, stderr, started, stop, deadline);
        }
        finally
        {
            deadline.Finished();
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) > 1)
                HostExit.Now($"{context.Signal} again: exiting at once", HostExit.ShutdownTimedOut);
            deadline.Begin(context.Signal.ToString());
            stop.Set();
        }
    }

    private static int Serve(HostArguments cl, TextWriter stdout, TextWriter stderr, Stopwatch started, ManualResetEventSlim stop, ShutdownDeadline deadline)
    {
        if (cl.Get("supervisor") is { } supervisor)
        {
            // Under a supervisor: everything (library, device, netif) comes through its socket.
            if (cl.Positionals.Count > 0 || cl.Has("fake-pci") || cl.Has("vfio-user") || cl.Has("netif"))
                throw new HostUsageException("host --supervisor SOCKET takes everything from the supervisor: no library, --fake-pci, --vfio-user or --netif");
            return SupervisedHost.Run(supervisor, stderr, LockDownForSupervisor, stop);
        }
        string library = cl.Library();
        var functions = new List<IPciFunction>();
        foreach (var id in cl.All("fake-pci"))
        {
            try
            {
                functions.Add(MemoryPciFunction.Parse(id));
            }
            catch (FormatException e)
            {
                throw new HostUsageException(e.Message);
            }
        }
        int deviceTimeout = cl.GetInt("device-timeout-ms", (int)VfioUserClient.DefaultReplyTimeout.TotalMilliseconds);
        if (deviceTimeout <= 0)
            throw new HostUsageException("--device-timeout-ms must be positive");
        foreach (var socket in cl.All("vfio-user"))
        {
            try
            {
                // A device that fails later (breaks the protocol, closes, does not answer within the
                // timeout) ends the host with one line and status 72.
                var client = VfioUserClient.Connect(socket, TimeSpan.FromMilliseconds(deviceTimeout));
                if (client.MappedSummary is { } mapped)
                    stderr.WriteLine($"linuxshim: {socket}: {mapped}");
                functions.Add(new FailStopPciFunction(client, $"vfio-user {socket}"));
            }
            catch (Exception e) when (e is PosixException or IOException or InvalidDataException)
            {
                stderr.WriteLine($"linuxshim: vfio-user device at {socket}: {e.Message}");
                return ExitFailure;
            }
        }
        if (cl.Has("sandbox") && cl.Get("netif") is not null)
            throw new HostUsageException("--sandbox and --netif: a locked-down host cannot create its netif socket (the supervisor grants it)");
        ulong memory = (ulong)cl.GetInt("memory", 64) << 20;
        PciCore.Probed += (device, driver, result) =>
        {
            lock (stdout)
            {
                stdout.WriteLine($"probe {driver} {device.Name} {result} {started.Elapsed.TotalMilliseconds:F0}ms");
                stdout.Flush();
            }
        };
        NetCore.Added += d => Console.Out.Flush();

        DriverHost host;
        try
        {
            host = DriverHost.Load(new DriverHostOptions
            {
                Library = library,
                Layout = cl.Get("layout"),
                MemoryBytes = memory,
                Parameters = cl.All("param"),
            }, functions);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            return ExitFailure;
        }
        // --sandbox: lock down before any driver code runs. With no supervisor to take the seccomp
        // listener, this process answers its own notifications and logs each denial.
        SandboxResult? sandbox = null;
        if (cl.Has("sandbox"))
        {
            sandbox = Sandbox.LockDown(new SandboxOptions
            {
                ReportInProcess = Sandbox.LogTo(2), // not through stderr's lock: its holder may be the caller
            });
            lock (stderr)
                stderr.WriteLine($"sandbox: {sandbox}");
        }
        if (stop.IsSet)
        {
            stdout.WriteLine("exit 0 (stopped before init)");
            return ExitOk;
        }
        int init = host.Init();
        stdout.WriteLine($"init {init} {started.Elapsed.TotalMilliseconds:F0}ms");
        foreach (var d in NetCore.Registered)
            stdout.WriteLine($"netdev {d.Name} {Convert.ToHexString(d.Mac)}");
        if (init != 0)
            return ExitFailure;
        if (cl.Has("up") && !stop.IsSet)
            foreach (var d in NetCore.Registered)
                stdout.WriteLine($"open {d.Name} {d.Open()}");
        NetifServer? netif = null;
        if (cl.Get("netif") is { } control)
        {
            netif = new NetifServer(() => NetCore.Registered);
            netif.Listen(control);
            stdout.WriteLine($"netif {control}");
        }
        stdout.WriteLine($"rss {(sandbox is null ? DriverHost.ResidentBytes() : Sandbox.ResidentBytes())}");
        stdout.Flush();
        if (!cl.Has("exit-after-probe"))
            stop.Wait();
        // The way out is bounded too, signal or not: without one it may take longer (e1000 needs
        // about 0.1 s here, much more on a loaded machine), a signal still brings the end closer.
        deadline.Begin("exit", TimeSpan.FromMilliseconds(Math.Max(deadline.Timeout.TotalMilliseconds, 5000)));
        netif?.Dispose();
        if (cl.Get("netif") is { } socketFile)
            File.Delete(socketFile);
        host.Exit();
        sandbox?.Notifications?.Dispose();
        stdout.WriteLine("exit 0");
        return ExitOk;
    }

    // Under a supervisor: the listener goes to it (ReportInProcess stays null, so the filter does not
    // let this process answer its own calls).
    private static string LockDownForSupervisor(Action<string, int> handOver) =>
        Sandbox.LockDown(new SandboxOptions
        {
            Preload = [typeof(HostCommand).Assembly],
            HandOver = r => handOver(r.ToString(), r.ListenerFd),
        }).ToString();
}
