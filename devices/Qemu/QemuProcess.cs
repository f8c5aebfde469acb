// SPDX-License-Identifier: MIT
// Managed side. One child `qemu-system-x86_64 -machine x-remote` (multi-process QEMU's device server)
// serving one NIC model: started with exactly three descriptors beside its output pipe (the mpqemu
// channel, the NIC's cable as a datagram socket, a QMP channel used once), in a network namespace of
// its own where the machine allows one, under QEMU's own seccomp filter; reaped and reported when it
// exits; stopped by closing its channel (x-remote shuts down when its proxy goes), then by signals.
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Devices.Qemu;

internal sealed unsafe class QemuProcess : IDisposable
{
    // The descriptor numbers QEMU is given (its command line names them).
    private const int ChildChannelFd = 3, ChildCableFd = 4, ChildMonitorFd = 5;

    private readonly Thread reaper, output;
    private readonly object gate = new();
    private int exitStatus = -1;

    private QemuProcess(int pid, UnixSocket channel, int cable, int outputFd, Action<string> log)
    {
        Pid = pid;
        Channel = channel;
        CableFd = cable;
        reaper = new Thread(Reap) { IsBackground = true, Name = $"qemu {pid} reaper" };
        output = new Thread(() => ForwardOutput(outputFd, log)) { IsBackground = true, Name = $"qemu {pid} output" };
        output.Start();
        reaper.Start();
    }

    public int Pid { get; }

    /// <summary>The mpqemu channel (a UNIX stream socket).</summary>
    public UnixSocket Channel { get; }

    /// <summary>This side of the NIC's cable: a UNIX datagram socket, one Ethernet frame per datagram (owned here).</summary>
    public int CableFd { get; private set; }

    /// <summary>Raised once, on the reaper thread, with a description of how QEMU ended.</summary>
    public event Action<string>? Exited;

    public bool HasExited
    {
        get { lock (gate) return exitStatus >= 0; }
    }

    /// <summary>The QEMU binary: $LINUXSHIM_QEMU, else qemu-system-x86_64 on PATH; null when there is none.</summary>
    public static string? FindExecutable() =>
        Environment.GetEnvironmentVariable("LINUXSHIM_QEMU") is { Length: > 0 } given ? given : OnPath("qemu-system-x86_64");

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>
    /// The confinement QEMU starts under: unshare(1) with a network namespace of its own (a user namespace
    /// too when not root), where the machine allows it; empty otherwise. QEMU needs no network: its cable
    /// is the socket it inherits.
    /// </summary>
    private static readonly Lazy<string[]> NamespaceWrapper = new(() =>
    {
        if (OnPath("unshare") is not { } unshare)
            return [];
        foreach (string[] flags in new[] { new[] { "--net" }, ["--user", "--map-root-user", "--net"] })
        {
            string[] wrapper = [unshare, .. flags, "--"];
            try
            {
                int pid = SpawnProcess([.. wrapper, "/bin/true"], []);
                int status;
                while (Libc.WaitPid(pid, &status, 0) < 0 && Errno.Last == Errno.EINTR)
                {
                }
                if (status == 0)
                    return wrapper;
            }
            catch (IOException)
            {
            }
        }
        return [];
    });

    /// <summary>Whether QEMU runs in a network namespace of its own.</summary>
    public static bool NetworkIsolated => NamespaceWrapper.Value.Length > 0;

    /// <summary>
    /// Starts QEMU's device server for <paramref name="device"/> (a -device value naming id=nic0 and netdev=n0)
    /// and waits until it serves (its main loop answered on QMP, so its machine reset is behind it).
    /// Its output lines go to <paramref name="log"/>.
    /// </summary>
    public static QemuProcess Start(string device, Action<string> log, int timeoutMs = 10_000)
    {
        string qemu = FindExecutable() ?? throw new IOException(
            "qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86), or set LINUXSHIM_QEMU");
        var (channel, channelChild) = UnixSocket.CreatePair();
        var (monitor, monitorChild) = UnixSocket.CreatePair();
        int* cable = stackalloc int[2];
        int* pipe = stackalloc int[2];
        Libc.Check(Libc.SocketPair(Libc.AF_UNIX, SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0, cable), "socketpair");
        Libc.Check(Libc.Pipe2(pipe, Libc.O_CLOEXEC), "pipe2");
        string[] argv =
        [
            .. NamespaceWrapper.Value, qemu,
            "-machine", "x-remote", "-nodefaults", "-no-user-config", "-display", "none",
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
            "-chardev", $"socket,id=qmp,fd={ChildMonitorFd}", "-mon", "chardev=qmp,mode=control",
            "-netdev", $"dgram,id=n0,local.type=fd,local.str={ChildCableFd}",
            "-device", device,
            "-object", $"x-remote-object,id=r0,devid=nic0,fd={ChildChannelFd}",
        ];
        int pid;
        try
        {
            pid = SpawnProcess(argv, [(channelChild.Handle, ChildChannelFd), (cable[1], ChildCableFd), (monitorChild.Handle, ChildMonitorFd), (pipe[1], 1), (pipe[1], 2)]);
        }
        finally
        {
            channelChild.CloseDescriptor();
            monitorChild.CloseDescriptor();
            Libc.Close(cable[1]);
            Libc.Close(pipe[1]);
        }
        var process = new QemuProcess(pid, channel, cable[0], pipe[0], log);
        try
        {
            using (monitor)
                Handshake(monitor, Environment.TickCount64 + timeoutMs);
            return process;
        }
        catch (Exception e) when (e is IOException or TimeoutException or PosixException)
        {
            process.Dispose();
            throw new IOException($"QEMU ({string.Join(' ', argv)}) did not come up: {e.Message}", e);
        }
    }

    private const int SOCK_DGRAM = 2;

    // QMP: a greeting, then the reply to qmp_capabilities. QEMU answers QMP from its main loop only, which
    // it enters after resetting the machine: x-remote reads mpqemu messages already during machine setup,
    // and a BAR programmed then would be wiped by that reset.
    private static void Handshake(UnixSocket monitor, long deadline)
    {
        string greeting = ReadLine(monitor, deadline);
        if (!greeting.Contains("\"QMP\"", StringComparison.Ordinal))
            throw new IOException($"unexpected QMP greeting '{greeting}'");
        monitor.Send("{\"execute\":\"qmp_capabilities\"}\n"u8);
        while (true)
        {
            string line = ReadLine(monitor, deadline);
            if (line.StartsWith("{\"return\"", StringComparison.Ordinal))
                return;
            if (line.StartsWith("{\"error\"", StringComparison.Ordinal))
                throw new IOException($"QMP refused qmp_capabilities: {line}");
        }
    }

    private static string ReadLine(UnixSocket socket, long deadline)
    {
        var line = new List<byte>();
        Span<byte> one = stackalloc byte[1];
        while (line.Count < 4096)
        {
            if (!socket.ReceiveExactly(one, null, deadline))
                throw new IOException("QEMU closed its monitor");
            if (one[0] == '\n')
                return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            line.Add(one[0]);
        }
        throw new IOException("a QMP line longer than 4096 bytes");
    }

    /// <summary>posix_spawn of argv[0] with <paramref name="fds"/> (source, number) and nothing else open; its pid.</summary>
    private static int SpawnProcess(string[] argv, (int From, int To)[] fds)
    {
        // Copies above every target number first, so no dup2 overwrites a source still to be copied.
        var copies = new int[fds.Length];
        for (int i = 0; i < fds.Length; i++)
            copies[i] = (int)Libc.Check(Libc.Fcntl(fds[i].From, Libc.F_DUPFD_CLOEXEC, 16), "fcntl F_DUPFD_CLOEXEC");
        byte* actions = stackalloc byte[Libc.FileActionsSize];
        byte* attributes = stackalloc byte[Libc.AttributesSize];
        byte* noSignals = stackalloc byte[Libc.SigSetSize];
        byte* allSignals = stackalloc byte[Libc.SigSetSize];
        new Span<byte>(noSignals, Libc.SigSetSize).Clear();
        new Span<byte>(allSignals, Libc.SigSetSize).Clear();
        new Span<byte>(allSignals, 4).Fill(0xFF); // signals 1-32 back to their default action (.NET ignores SIGPIPE)
        var strings = new List<nint>();
        try
        {
            Libc.FileActionsInit(actions);
            Libc.AttributesInit(attributes);
            int devNull = (int)Libc.Check(Libc.Open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC, 0), "open /dev/null");
            copies = [.. copies, devNull];
            Libc.FileActionsAddDup2(actions, devNull, 0);
            for (int i = 0; i < fds.Length; i++)
                Libc.FileActionsAddDup2(actions, copies[i], fds[i].To);
            // Anything this process inherited without close-on-exec stays behind too.
            Libc.FileActionsAddCloseFrom(actions, fds.Length == 0 ? 3 : fds.Max(f => f.To) + 1);
            // Its own session: a terminal's Ctrl-C reaches LinuxShim, which stops QEMU in order.
            Libc.AttributesSetFlags(attributes, Libc.POSIX_SPAWN_SETSIGMASK | Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSID);
            Libc.AttributesSetSigMask(attributes, noSignals);
            Libc.AttributesSetSigDefault(attributes, allSignals);
            byte** args = stackalloc byte*[argv.Length + 1];
            for (int i = 0; i < argv.Length; i++)
            {
                nint s = Marshal.StringToCoTaskMemUTF8(argv[i]);
                strings.Add(s);
                args[i] = (byte*)s;
            }
            args[argv.Length] = null;
            byte** env = stackalloc byte*[1];
            env[0] = null;
            int pid;
            int err = Libc.PosixSpawn(&pid, args[0], actions, attributes, args, env);
            if (err != 0)
                throw new IOException($"cannot start {argv[0]}: {Marshal.GetPInvokeErrorMessage(err)}");
            return pid;
        }
        finally
        {
            Libc.FileActionsDestroy(actions);
            Libc.AttributesDestroy(attributes);
            foreach (var s in strings)
                Marshal.FreeCoTaskMem(s);
            foreach (int c in copies)
                Libc.Close(c);
        }
    }

    private void Reap()
    {
        int status = 0;
        while (Libc.WaitPid(Pid, &status, 0) < 0)
        {
            if (Errno.Last != Errno.EINTR)
            {
                status = 0;
                break;
            }
        }
        lock (gate)
            exitStatus = status;
        int code = (status >> 8) & 0xFF, signal = status & 0x7F;
        Exited?.Invoke(signal != 0 ? $"QEMU (pid {Pid}) was killed by signal {signal}" : $"QEMU (pid {Pid}) exited with status {code}");
    }

    private static void ForwardOutput(int fd, Action<string> log)
    {
        using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Read);
        using var reader = new StreamReader(stream);
        try
        {
            while (reader.ReadLine() is { } line)
                log($"qemu: {line}");
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Waits up to <paramref name="milliseconds"/> for QEMU to exit (at once on the reaper's own thread, which saw it).</summary>
    public bool WaitForExit(int milliseconds) => Thread.CurrentThread == reaper || reaper.Join(milliseconds);

    /// <summary>Ends QEMU at once (SIGKILL) and waits for it.</summary>
    public void Kill()
    {
        if (!HasExited)
            Libc.Kill(Pid, Libc.SIGKILL);
        WaitForExit(Timeout.Infinite);
    }

    /// <summary>Stops QEMU: its channel closed (x-remote then shuts down), SIGTERM after 2 s, SIGKILL after 2 more.</summary>
    public void Dispose()
    {
        Channel.Dispose();
        if (!WaitForExit(2000))
        {
            Libc.Kill(Pid, Libc.SIGTERM);
            if (!WaitForExit(2000))
                Kill();
        }
        output.Join(1000);
        int cable = CableFd;
        CableFd = -1;
        if (cable >= 0)
            Libc.Close(cable);
    }
}
