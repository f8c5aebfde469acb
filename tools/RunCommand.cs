// SPDX-License-Identifier: MIT
// Managed side. `linuxshim run PORT`: the port's unmodified upstream driver on its emulated NIC,
// isolated in a driver host process, with the driver's net_device exposed on this machine as a TAP
// interface (frames written to the TAP go to ndo_start_xmit, frames the driver passes up come out of
// it) and the NIC's cable on a wire (a second TAP, UDP, or nothing). Runs until SIGINT/SIGTERM, then
// takes the interface down (ndo_stop), unloads the driver (module exit) and stops the device.
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using LinuxShim.Devices.Wire;
using LinuxShim.Import;
using LinuxShim.Import.Port;
using LinuxShim.Posix;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Vfio;
using LinuxShim.Supervisor;

namespace LinuxShim.Tools;

public static class RunCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        var recipe = PortRecipe.Load(cl.Single("a port folder (e.g. ports/8139too)"));
        string device = DeviceChoice.Of(cl, recipe);
        string tapName = cl.Get("tap") ?? "shim0";
        string wire = cl.Get("wire") ?? "inproc";
        if (Devices.DeviceModels.WireProblem(wire) is { } problem)
            throw new UsageException(problem);
        string mac = cl.Get("mac") ?? "52:54:00:12:34:56";
        if (!NetifMac.TryParse(mac, out _))
            throw new UsageException($"--mac {mac}: not a unicast MAC address like 52:54:00:12:34:56");
        string library = EnsureBuilt(cl, recipe, stderr);
        var options = new StackOptions
        {
            Library = library,
            Device = device,
            Wire = wire,
            Pcap = cl.Get("pcap"),
            Mac = mac,
            MemoryMiB = cl.GetInt("memory", 64),
            Parameters = [.. recipe.Parameters, .. cl.All("param")],
            RuntimeDirectory = cl.Get("runtime-dir") ?? Path.Combine(NetifCommand.RuntimeRoot(), recipe.Name),
            Name = recipe.Name,
            WatchdogMs = cl.GetInt("watchdog-ms", 500),
        };
        options = options with { AuditLog = cl.Get("audit") ?? Path.Combine(options.RuntimeDirectory, "audit.jsonl") };

        using var stop = new ManualResetEventSlim();
        string? failure = null;
        string? upError = null;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

        var started = Stopwatch.StartNew();
        DriverStack stack;
        try
        {
            stack = cl.Has("in-process") ? DriverStack.StartInProcess(options, stderr) : DriverStack.StartIsolated(options, stderr);
        }
        catch (Exception e) when (e is IOException or TimeoutException or NetifException or PosixException or FormatException or NetifProtocolException)
        {
            stderr.WriteLine($"linuxshim: {recipe.Name}: {e.Message}");
            return Cli.ExitFailure;
        }
        stack.Failed += what =>
        {
            failure = what;
            stop.Set();
        };
        using (stack)
        {
            var link = stack.Link;
            if (cl.Get("interface") is { } wanted && wanted != link.Interface)
            {
                stderr.WriteLine($"linuxshim: no interface '{wanted}' (the driver's is {link.Interface})");
                return Cli.ExitFailure;
            }
            using var bridge = BringUp(link, tapName, stderr, stack.Supervisor is not null, stop);
            if (bridge is null)
            {
                stderr.WriteLine($"linuxshim: {recipe.Name}: {link.Interface} did not come up ({failure ?? upError ?? "stopped"})");
                return Cli.ExitFailure;
            }
            Directory.CreateDirectory(options.RuntimeDirectory); // in-process runs make no device socket there
            using var show = new NetifShowServer(link, Path.Combine(options.RuntimeDirectory, "netif.sock"));
            var info = link.Show();
            stdout.WriteLine($"linuxshim run: {recipe.Module} {link.Interface} {info?.Mac} <-> tap {bridge.TapName}; " +
                             $"{device} cable on {wire}; {(cl.Has("in-process") ? "in one process" : "isolated, supervised")}; " +
                             $"ready in {started.ElapsedMilliseconds} ms. Ctrl-C stops.");
            stdout.Flush();
            while (!stop.Wait(1000))
                bridge.Refresh();
            var counters = bridge.Counters;
            stdout.WriteLine($"linuxshim run: stopping ({failure ?? "signal"}); {counters.ToDriver} frames to the driver, {counters.FromDriver} from it" +
                             (stack.Supervisor is { } sup ? $"; {sup.Restarts} driver restarts" : ""));
        }
        stdout.WriteLine("linuxshim run: stopped");
        return failure is null ? Cli.ExitOk : Cli.ExitFailure;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Set();
        }

        // The first "interface up" can meet a host that dies in the driver's open (a trojan, a crash): the
        // supervisor starts another, and the open is asked of it. An error the driver answers is final after a
        // few tries; a stopped run (signal, supervisor gave up) ends the wait. No exception escapes.
        TapBridge? BringUp(IDriverLink link, string tap, TextWriter log, bool supervised, ManualResetEventSlim stopped)
        {
            var deadline = Stopwatch.StartNew();
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return new TapBridge(link, tap, log);
                }
                catch (Exception e) when (e is NetifException or NetifProtocolException or IOException or PosixException)
                {
                    upError = e.Message;
                    if (e is not (NetifException or NetifProtocolException) || !supervised || attempt >= UpAttempts || deadline.Elapsed > UpPatience)
                        return null;
                    log.WriteLine($"linuxshim: {recipe.Name}: bringing {link.Interface} up failed ({e.Message}); trying again");
                    if (stopped.Wait(UpRetryDelay))
                        return null;
                }
            }
        }
    }

    /// <summary>How long, and how many times, run tries the first "interface up" while a supervisor replaces hosts.</summary>
    private static readonly TimeSpan UpPatience = TimeSpan.FromSeconds(15);
    private const int UpAttempts = 5;
    private static readonly TimeSpan UpRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The port's driver library, built first when missing. A build older than this shim is built again with
    /// the kernel it was built for while that is still installed; --kernel, --linux or --build asking for
    /// another kernel than the build's builds it again for that one. Either change of kernel is said.
    /// </summary>
    /// <param name="root">Where installed kernels are looked for (null: $LINUXSHIM_SYSROOT, else "/").</param>
    public static string EnsureBuilt(CommandLine cl, PortRecipe recipe, TextWriter stderr, string? root = null)
    {
        string outDir = Path.Combine(recipe.Folder, "build");
        string library = Path.Combine(outDir, recipe.Module + ".so");
        // A build older than this shim may lack fields the shim now reads (its layout file says which).
        string shim = typeof(LinuxShim.Shim.Host.DriverHost).Assembly.Location;
        bool exists = File.Exists(library);
        bool stale = exists && File.GetLastWriteTimeUtc(library) < File.GetLastWriteTimeUtc(shim);
        var given = KernelOptions.Request(cl, recipe) with { Root = root };
        if (exists && !stale && !given.IsExplicit)
            return library;
        var built = exists ? BuiltKernel.Read(Path.Combine(outDir, recipe.Module + ".port.json")) : null;
        var request = given;
        string why = !exists ? "first" : stale ? "again: its build is older than this shim;" : "again";
        if (stale && !given.IsExplicit && built is { StillInstalled: true })
            request = given with { Linux = built.Spec, LinuxGivenBy = "as its last build", Build = built.Build, BuildGivenBy = "as its last build" };
        using var importer = KernelOptions.Open(request, cl, stderr, recipe);
        if (exists && !stale && built is not null && built.Is(importer))
            return library;
        string kernel = built is null ? $"for Linux {importer.Version}"
            : built.Is(importer) ? $"for Linux {importer.Version}, as before"
            : $"for Linux {importer.Version} ({importer.Build.Path}); its build was for Linux {built.Version} ({built.Build})";
        stderr.WriteLine($"linuxshim: building {recipe.Name} {why} {kernel} (linuxshim port build {recipe.Folder}) ...");
        return PortCommand.Build(importer, recipe, outDir, cl.Has("quiet") ? null : stderr).Library;
    }
}

/// <summary>The kernel a port's build was made with, read from its manifest (MODULE.port.json).</summary>
internal sealed record BuiltKernel(string Location, string? Commit, string Build, string Version)
{
    /// <summary>The --linux value that opens the same tree again.</summary>
    public string Spec => Commit is null ? Location : $"{Location}@{Commit}";

    public bool StillInstalled => Path.Exists(Location) && Directory.Exists(Build);

    public bool Is(Importer importer) =>
        importer.Kernel.Location == Location && importer.Kernel.Commit == Commit && importer.Build.Path == Build;

    /// <summary>Null when the manifest is missing or unreadable (then the build's kernel is unknown).</summary>
    public static BuiltKernel? Read(string manifest)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
            var k = doc.RootElement.GetProperty("kernel");
            string? Text(string name) => k.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return Text("location") is { } location && Text("build") is { } build
                ? new BuiltKernel(location, Text("commit"), build, Text("version") ?? Text("release") ?? "of unknown version")
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
