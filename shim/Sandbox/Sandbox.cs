// SPDX-License-Identifier: MIT
// Managed side. The driver host's lock-down (DESIGN D7), done once it holds its capabilities and has
// loaded the driver, before any driver code runs: resource limits, a user namespace where possible,
// no_new_privs, Landlock with no filesystem or TCP access, then a seccomp allow-list whose every
// other call goes to a listener. Memory is not limited here: RLIMIT_AS/RLIMIT_DATA break the .NET
// runtime's address-space reservations; the driver's memory is the fixed-size DMA memfd and the
// managed heap is bounded by DOTNET_GCHeapHardLimit, which the supervisor sets.
using System.Diagnostics;
using System.Reflection;
using System.Runtime;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Sandbox;

public static class Sandbox
{
    private const int RLIMIT_CPU = 0, RLIMIT_CORE = 4, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7;
    private const int PR_SET_NO_NEW_PRIVS = 38;
    private const int CLONE_NEWUSER = 0x10000000;

    private static int _statm = -1;
    private static int _locked;

    /// <summary>Whether this process has locked itself down.</summary>
    public static bool IsLockedDown => Volatile.Read(ref _locked) != 0;

    public static SandboxResult LockDown(SandboxOptions options)
    {
        if (Interlocked.Exchange(ref _locked, 1) != 0)
            throw new InvalidOperationException("the process is already locked down");
        var clock = Stopwatch.StartNew();

        // What the host would otherwise read from disk later: assemblies (loaded lazily on first use of
        // one of their types), the console's terminal state, the statm file behind ResidentBytes().
        int assemblies = PreloadAssemblies([typeof(Sandbox).Assembly, .. options.Preload]);
        _ = Console.IsInputRedirected;
        _ = Console.IsOutputRedirected;
        _ = Console.IsErrorRedirected;
        Console.Out.Flush();
        Console.Error.Flush();
        // On a terminal the console reads its terminfo description at its first write.
        if (!Console.IsOutputRedirected || !Console.IsErrorRedirected)
            (Console.IsErrorRedirected ? Console.OpenStandardOutput() : Console.OpenStandardError()).Write([]);
        _statm = Libc.Open("/proc/self/statm", Libc.O_CLOEXEC, 0);

        var descriptors = OpenDescriptors();
        var mappable = new List<int>(options.MappableDescriptors);
        // The runtime's W^X double mapping maps views of one memfd as the JIT needs code pages
        // (unless DOTNET_EnableWriteXorExecute=0).
        mappable.AddRange(descriptors.Where(d => d.Target.StartsWith("/memfd:doublemapper", StringComparison.Ordinal)).Select(d => d.Fd));

        // Resource limits. One descriptor is added by the seccomp listener.
        ulong nofile = (ulong)(descriptors.Count == 0 ? 3 : descriptors.Max(d => d.Fd) + 1) + (ulong)options.DescriptorMargin;
        SetLimit(RLIMIT_NOFILE, nofile);
        SetLimit(RLIMIT_CORE, 0);
        if (options.CpuSeconds is { } cpu)
            SetLimit(RLIMIT_CPU, cpu);
        if (options.MaxProcesses is { } nproc)
            SetLimit(RLIMIT_NPROC, nproc);

        // A user namespace. The kernel refuses it to a process with threads (unshare(2): EINVAL), which a
        // .NET process always is; then the supervisor must start the host inside one.
        bool userns = false;
        string? usernsNote = "not requested";
        if (options.UserNamespace)
        {
            if (Libc.Unshare(CLONE_NEWUSER) == 0)
            {
                userns = true;
                usernsNote = null;
            }
            else
            {
                int e = Errno.Last;
                usernsNote = e == Errno.EINVAL
                    ? "the process has threads; start the host in one"
                    : $"unshare: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e)}";
            }
        }

        if (Libc.Prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            throw SandboxException.FromErrno("prctl(PR_SET_NO_NEW_PRIVS)");

        int abi = Landlock.AbiVersion();
        bool landlock = false, allThreads = false;
        string? landlockNote = null;
        if (abi == 0)
        {
            landlockNote = "not available in this kernel";
            if (options.RequireLandlock)
                throw new SandboxException("Landlock is required but the kernel does not offer it");
        }
        else
        {
            allThreads = Landlock.RestrictSelf(abi);
            landlock = true;
        }

        bool notify = Seccomp.ActionAvailable(SeccompPolicy.RetUserNotif);
        if (!notify && options.RequireNotifications)
            throw new SandboxException("seccomp user notification is required but the kernel does not offer it");
        var policy = new SeccompPolicy
        {
            Pid = Libc.GetPid(),
            Deny = notify ? SeccompPolicy.RetUserNotif : SeccompPolicy.RetErrno | SeccompPolicy.Eperm,
            MappableDescriptors = mappable,
            ListeningDescriptors = options.ListeningDescriptors,
            ServeInProcess = options.ReportInProcess is not null,
        };
        var program = policy.Compile();
        var notifications = notify && options.ReportInProcess is { } report ? new SeccompNotifications(report) : null;
        // From the filter on, a collection waits for its /proc reads to be answered; with a hand-over, there is
        // none until the listener has gone to the one who answers.
        return options.HandOver is null ? Install() : WithoutCollections(HandOverAllocationBudget, held =>
        {
            var result = Install() with { CollectionsHeldOff = held };
            options.HandOver(result);
            return result;
        });

        SandboxResult Install()
        {
            int listener;
            try
            {
                listener = Seccomp.Install(program, notify);
            }
            catch
            {
                notifications?.Dispose();
                throw;
            }
            notifications?.Attach(listener, ownsListener: true, ownProcess: true);
            return new SandboxResult
            {
                DescriptorLimit = nofile,
                CoreDumpsOff = true,
                CpuSeconds = options.CpuSeconds,
                MaxProcesses = options.MaxProcesses,
                UserNamespace = userns,
                UserNamespaceNote = usernsNote,
                NoNewPrivileges = true,
                LandlockAbi = abi,
                Landlock = landlock,
                LandlockAllThreads = allThreads,
                LandlockNote = landlockNote,
                FilterLength = program.Length,
                ListenerFd = listener,
                Notifications = notifications,
                NotificationsNote = notify ? null : "seccomp user notification not available",
                MappableDescriptors = mappable,
                AssembliesLoaded = assemblies,
                Elapsed = clock.Elapsed,
            };
        }
    }

    // Bytes the managed heap may grow by with no collection: the hand-over serializes one small message.
    internal const long HandOverAllocationBudget = 4L << 20;

    /// <summary>
    /// Runs <paramref name="action"/> with no garbage collection, as long as the process allocates at most
    /// <paramref name="budget"/> bytes meanwhile (one collection first makes room). Its argument says whether
    /// collections are held off: false when the runtime cannot promise that budget, or is already in such a
    /// region. What it runs must not wait for another thread's allocations either.
    /// </summary>
    public static T WithoutCollections<T>(long budget, Func<bool, T> action)
    {
        bool held;
        try
        {
            held = GC.TryStartNoGCRegion(budget);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
        {
            held = false;
        }
        try
        {
            return action(held);
        }
        finally
        {
            // A region the process allocated its way out of has ended by itself (EndNoGCRegion would throw).
            if (held && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion)
                GC.EndNoGCRegion();
        }
    }

    /// <summary>
    /// A ReportInProcess that writes each call as one line, "sandbox: denied CALL at IP" (or "sandbox:
    /// refused runtime probe ..."), straight to <paramref name="fd"/> with write(2). It takes no lock: the
    /// thread whose call is being reported may hold any of them (a TextWriter's, while the console
    /// reads its terminal description).
    /// </summary>
    public static Action<SeccompNotification> LogTo(int fd) => n =>
    {
        var line = System.Text.Encoding.UTF8.GetBytes($"sandbox: {(n.RuntimeProbe ? "refused runtime probe" : "denied")} {n}\n");
        unsafe
        {
            fixed (byte* p = line)
            {
                for (int done = 0; done < line.Length;)
                {
                    nint w = Libc.Write(fd, p + done, (nuint)(line.Length - done));
                    if (w <= 0 && Errno.Last != Errno.EINTR)
                        return;
                    done += (int)Math.Max(w, 0);
                }
            }
        }
    };

    /// <summary>Resident memory (bytes) through /proc/self/statm opened before lock-down; else through the path.</summary>
    public static unsafe long ResidentBytes()
    {
        if (_statm < 0)
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1]) * Environment.SystemPageSize;
        }
        var buffer = stackalloc byte[128];
        nint n = Libc.PRead(_statm, buffer, 127, 0);
        if (n <= 0)
            return 0;
        var text = System.Text.Encoding.ASCII.GetString(buffer, (int)n).Split(' ');
        return long.Parse(text[1]) * Environment.SystemPageSize;
    }

    private static void SetLimit(int resource, ulong value)
    {
        if (Libc.GetRLimit(resource, out var current) != 0)
            throw SandboxException.FromErrno($"getrlimit({resource})");
        // Never raise: a limit the supervisor set lower stays.
        var limit = new Libc.RLimit { Current = Math.Min(value, current.Maximum), Maximum = Math.Min(value, current.Maximum) };
        if (Libc.SetRLimit(resource, limit) != 0)
            throw SandboxException.FromErrno($"setrlimit({resource})");
    }

    private static List<(int Fd, string Target)> OpenDescriptors()
    {
        var list = new List<(int, string)>();
        foreach (var path in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (!int.TryParse(Path.GetFileName(path), out int fd))
                continue;
            string? target = null;
            try
            {
                target = new FileInfo(path).LinkTarget;
            }
            catch (IOException)
            {
                continue; // the enumeration's own descriptor, closed by now
            }
            if (target is not null)
                list.Add((fd, target));
        }
        return list;
    }

    /// <summary>
    /// Loads every assembly reachable through references from <paramref name="roots"/> ahead of <see cref="LockDown"/>,
    /// which loads them again (at no cost then) before it locks the process down.
    /// </summary>
    public static void Preload(IEnumerable<Assembly> roots) => PreloadAssemblies(roots);

    /// <summary>Loads every assembly reachable through references from <paramref name="roots"/>.</summary>
    private static int PreloadAssemblies(IEnumerable<Assembly> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>(roots);
        int loaded = 0;
        while (queue.TryDequeue(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (!seen.Add(reference.FullName))
                    continue;
                try
                {
                    queue.Enqueue(Assembly.Load(reference));
                    loaded++;
                }
                catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
                {
                    // A reference the code never reaches at run time (e.g. a platform-specific facade).
                }
            }
        }
        return loaded;
    }
}
