// SPDX-License-Identifier: MIT
// Managed side. A driver host under a supervisor: it connects to the supervisor's socket, receives
// its capabilities (the device channel and the netif channel, as descriptors; it opens nothing
// itself), loads the driver, locks itself down before any driver code runs, runs module_init,
// serves netif on the channel it was given and answers heartbeats (with the CPU's progress, read
// without taking the CPU) until the supervisor hangs up or a signal asks it to stop.
using System.Diagnostics;
using LinuxShim.Posix;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Host;

public static class SupervisedHost
{
    /// <summary>
    /// Runs the host; returns its exit status. <paramref name="lockDown"/> runs after the driver is
    /// loaded and before its init (the sandbox); <paramref name="stopping"/> is set by a signal.
    /// </summary>
    public static int Run(string supervisorSocket, TextWriter log, Func<Action<string, int>, string>? lockDown, ManualResetEventSlim stopping)
    {
        var started = Stopwatch.StartNew();
        using var control = UnixSocket.Connect(supervisorSocket);
        // A signal (the supervisor stopping a standby, or the host) shuts the control socket down,
        // which ends whatever wait the host is in.
        var watcher = new Thread(() =>
        {
            stopping.Wait();
            control.Shutdown();
        }) { IsBackground = true, Name = "host-stop" };
        watcher.Start();
        // While it waits for its grant (a warm standby may wait long), compile the shim's code, so a
        // restart does not pay for the JIT on the way to the driver's probe.
        var warm = new Thread(WarmUp) { IsBackground = true, Name = "host-warm-up" };
        warm.Start();
        try
        {
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Hello, Pid = Environment.ProcessId });
        }
        catch (PosixException) when (stopping.IsSet)
        {
            return 0; // a standby stopped before it said hello
        }
        var fds = new List<int>();
        SupervisorMessage? grant;
        try
        {
            grant = NetifChannel.Receive<SupervisorMessage>(control, fds);
        }
        catch (Exception e) when (e is PosixException or NetifProtocolException or EndOfStreamException)
        {
            grant = null;
        }
        if (grant is null)
            return stopping.IsSet ? 0 : 1; // a standby that was never needed
        string? problem = grant.Type != SupervisorMessageTypes.Grant ? $"expected a grant, got {grant.Type}" : grant.Validate(fds.Count);
        if (problem is not null)
        {
            NetifChannel.CloseAll(fds);
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = problem });
            return 1;
        }
        var granted = Stopwatch.StartNew();
        IPciFunction device;
        try
        {
            // A device that fails later ends this host with one line and status 72 (device_failed).
            var client = new VfioUserClient(UnixSocket.FromHandle(fds[0])) { Waiting = Progress.DeviceWaiting };
            if (client.MappedSummary is { } mapped)
                log.WriteLine($"supervised: {mapped}");
            device = new FailStopPciFunction(client, "vfio-user");
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            NetifChannel.CloseAll(fds.GetRange(1, fds.Count - 1));
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = $"vfio-user device: {e.Message}" });
            return 1;
        }
        var netifChannel = UnixSocket.FromHandle(fds[1]);
        NetifArea rings;
        try
        {
            rings = NetifArea.Adopt(fds.GetRange(2, 5));
        }
        catch (NetifProtocolException e)
        {
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = $"netif rings: {e.Message}" });
            return 1;
        }
        if (grant.Faults is { Count: > 0 } faults && FaultInjection.Arm(faults) is { } bad)
        {
            NetifChannel.CloseAll(fds.GetRange(1, fds.Count - 1));
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = bad });
            return 1;
        }
        DriverHost host;
        try
        {
            host = DriverHost.Load(new DriverHostOptions
            {
                Library = grant.Library!,
                MemoryBytes = (ulong)grant.MemoryMib!.Value << 20,
                Parameters = grant.Parameters ?? [],
            }, [device]);
            if (lockDown is not null)
            {
                // Locked down before any driver code runs; the seccomp listener goes to the supervisor, which
                // answers (and audits) every call the filter refuses. No copy stays. It goes from inside the
                // lock-down, before any collection could wait for an answer (SandboxOptions.HandOver); the
                // warm-up stops first, as what it allocates would count against that window.
                Volatile.Write(ref warmUpStopped, true);
                warm.Join();
                string summary = lockDown((summary, listener) =>
                {
                    if (listener < 0)
                        return;
                    NetifChannel.Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Sandboxed, Sandbox = summary }, [listener]);
                    LinuxShim.Posix.Libc.Close(listener);
                });
                log.WriteLine($"supervised: sandbox: {summary}");
            }
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or ArgumentException or IOException)
        {
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = e.Message });
            return 1;
        }
        int init = host.Init();
        if (init != 0 || NetCore.Registered.Count == 0)
        {
            Send(control, new SupervisorMessage { Type = SupervisorMessageTypes.Failed, Error = init != 0 ? $"module init returned {init}" : "the driver registered no interface" });
            return 1;
        }
        using var netif = new NetifServer(() => NetCore.Registered);
        netif.Attach(NetCore.Registered[0], rings);
        netif.Serve(netifChannel);
        Send(control, new SupervisorMessage
        {
            Type = SupervisorMessageTypes.Ready,
            Init = init,
            Interfaces = [.. NetCore.Registered.Select(d => d.Name)],
            ProbeMs = started.Elapsed.TotalMilliseconds,
        });
        log.WriteLine($"supervised: {Path.GetFileName(grant.Library)} ready {granted.ElapsedMilliseconds} ms after its grant ({started.ElapsedMilliseconds} ms after start)");
        log.Flush();

        try
        {
            while (true)
            {
                SupervisorMessage? m;
                try
                {
                    m = NetifChannel.Receive<SupervisorMessage>(control, null);
                }
                catch (NetifBadMessageException)
                {
                    continue;
                }
                if (m is null)
                    break;
                if (m.Validate(0) is not null)
                    continue;
                if (m.Type == SupervisorMessageTypes.Inject)
                {
                    // Fault injection: kernel API calls fail from now on as the supervisor asks.
                    if (FaultInjection.Arm(m.Faults!) is { } refused)
                        log.WriteLine($"supervised: inject refused: {refused}");
                    continue;
                }
                if (m.Type != SupervisorMessageTypes.Ping)
                    continue;
                // Answered without the CPU, which a busy driver may never leave free: what the CPU
                // got done and how long it has been held tell the supervisor busy from stuck.
                var progress = Progress.Read();
                var heap = Machine.Heap;
                Send(control, new SupervisorMessage
                {
                    Type = SupervisorMessageTypes.Pong,
                    Seq = m.Seq,
                    HeapUsed = heap.BytesInUse,
                    HeapSize = (long)Machine.Memory.Size,
                    Progress = progress.ToMap(),
                    CpuHeldMs = progress.CpuHeldMs,
                    HolderCpuMs = progress.HolderCpuMs >= 0 ? progress.HolderCpuMs : null,
                    HolderTid = progress.HolderTid > 0 ? progress.HolderTid : null,
                    DeviceWaitMs = progress.DeviceWaitMs,
                    Injected = FaultInjection.Injected,
                    TxBlockedMs = netif.TxBlockedMs,
                    CarrierOffMs = netif.CarrierOffMs,
                });
            }
        }
        catch (Exception e) when (e is PosixException or NetifProtocolException or EndOfStreamException)
        {
        }
        netif.Dispose();
        host.Exit();
        log.WriteLine("supervised: exit 0");
        return 0;
    }

    // Set when the host is about to lock down: the warm-up stops allocating (SandboxOptions.HandOver's window).
    private static bool warmUpStopped;

    // What loading any driver needs, done before the grant: the shim's entry points (a reflection scan) and the
    // assemblies the sandbox preloads. Then JIT-compiles every method of the shim that ReadyToRun left (those the
    // driver calls back are entered through UnmanagedCallersOnly stubs and cannot be prepared; their callees can).
    private static void WarmUp()
    {
        // At normal priority: the grant's thread may wait for these (a lower one would make it wait behind anything).
        _ = DriverLibrary.ManagedEntryPoints();
        Sandbox.Sandbox.Preload([typeof(SupervisedHost).Assembly]);
        Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
        foreach (var type in typeof(SupervisedHost).Assembly.GetTypes())
        {
            if (Volatile.Read(ref warmUpStopped))
                return; // the host is about to lock down: the rest compiles as it is reached
            if (type.ContainsGenericParameters)
                continue;
            foreach (var method in type.GetMethods(System.Reflection.BindingFlags.DeclaredOnly | System.Reflection.BindingFlags.Public |
                         System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Instance))
            {
                if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null)
                    continue;
                try
                {
                    System.Runtime.CompilerServices.RuntimeHelpers.PrepareMethod(method.MethodHandle);
                }
                catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or InvalidProgramException)
                {
                }
            }
        }
    }

    private static void Send(UnixSocket control, SupervisorMessage message) =>
        NetifChannel.Send(control, message);
}
