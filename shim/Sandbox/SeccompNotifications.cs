// SPDX-License-Identifier: MIT
// Managed side, the supervisor's half of seccomp user notification (seccomp_unotify(2)): a thread
// that receives each call the filter sent to the listener (SECCOMP_IOCTL_NOTIF_RECV), reports it,
// and answers it with EPERM (SECCOMP_IOCTL_NOTIF_SEND). The denied call never runs.
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Sandbox;

/// <summary>One denied system call: who made it, which, with what, from where.</summary>
public sealed partial record SeccompNotification(int Pid, int Number, ulong InstructionPointer, IReadOnlyList<ulong> Arguments, string? Path)
{
    public string Name => SyscallNames.Name(Number);

    /// <summary>"openat(0xffffffffffffff9c, "/etc/passwd")" (trailing zero arguments left out).</summary>
    public string Call
    {
        get
        {
            int count = Arguments.Count;
            while (count > 0 && Arguments[count - 1] == 0)
                count--;
            int pathIndex = SeccompNotifications.PathArgument(Number);
            if (Path is not null)
                count = Math.Max(count, pathIndex + 1);
            var args = Enumerable.Range(0, count).Select(i =>
                i == pathIndex && Path is not null ? $"\"{Path}\"" : $"0x{Arguments[i]:x}");
            return $"{Name}({string.Join(", ", args)})";
        }
    }

    /// <summary>
    /// A call the .NET runtime and glibc make whenever a thread starts, refused like any other but
    /// not the driver's doing: the CPU count (sysconf(_SC_NPROCESSORS_CONF) reads
    /// /sys/devices/system/cpu/possible, then online, then /proc/stat), the new thread's name
    /// (/proc/self/task/TID/comm) and its SCHED_OTHER policy; the GC's look at
    /// /proc/sys/vm/overcommit_memory when it grows the heap, and at the memory in use when it decides
    /// how hard to collect (gcenv.unix.cpp GetMemoryStatus: /proc/meminfo, /proc/self/statm, the
    /// control group's memory.current/.max/.stat or v1 memory.usage_in_bytes/.limit_in_bytes/.stat),
    /// which under allocation pressure it reads at every collection. The runtime carries on without
    /// them (the GC then works from its hard heap limit, which the supervisor sets). A driver making
    /// the same call gets the same EPERM; only the audit record is left out.
    /// </summary>
    public bool RuntimeProbe =>
        Name switch
        {
            "open" or "openat" => Path is "/sys/devices/system/cpu/possible" or "/sys/devices/system/cpu/online" or "/proc/stat"
                    or "/proc/sys/vm/overcommit_memory" or "/proc/meminfo" or "/proc/self/statm"
                || (Path is not null && (ThreadComm().IsMatch(Path) || CgroupMemory().IsMatch(Path))),
            "sched_setscheduler" => Arguments[1] == 0, // SCHED_OTHER
            _ => false,
        };

    public override string ToString() => $"{Call} at 0x{InstructionPointer:x}";

    [System.Text.RegularExpressions.GeneratedRegex(@"^/proc/self/task/[0-9]+/comm$")]
    private static partial System.Text.RegularExpressions.Regex ThreadComm();

    [System.Text.RegularExpressions.GeneratedRegex(@"^(?!.*/\.\.(/|$))/sys/fs/cgroup(/[A-Za-z0-9_.@:-]+)*/memory\.(current|max|high|stat|usage_in_bytes|limit_in_bytes)$")]
    private static partial System.Text.RegularExpressions.Regex CgroupMemory();
}

public sealed unsafe class SeccompNotifications : IDisposable
{
    private const ulong NotifRecv = 0xc0502100, NotifSend = 0xc0182101, NotifIdValid = 0x40082102;

    [StructLayout(LayoutKind.Sequential)]
    private struct Notif
    {
        public ulong Id;
        public uint Pid, Flags;
        public int Nr;
        public uint Arch;
        public ulong Ip;
        public fixed ulong Args[6];
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Response
    {
        public ulong Id;
        public long Value;
        public int Error;
        public uint Flags;
    }

    private readonly Action<SeccompNotification> _report;
    private readonly Thread _thread;
    private readonly int _stop;
    private readonly ManualResetEventSlim _attached = new();
    private int _listener = -1;
    private bool _ownsListener;
    private long _answered;
    private int _ownProcess;

    /// <summary>
    /// Starts the thread now; it serves once <see cref="Attach"/> gives it the listener. A process that
    /// serves its own notifications must start it before the filter is installed: a thread created
    /// later makes calls the filter denies (the runtime reads CPU and thread-name files) and would wait
    /// for an answer from itself.
    /// </summary>
    public SeccompNotifications(Action<SeccompNotification> report)
    {
        _report = report;
        _stop = Libc.EventFd(0, Libc.EFD_CLOEXEC);
        if (_stop < 0)
            throw SandboxException.FromErrno("eventfd");
        _thread = new Thread(Loop) { IsBackground = true, Name = "seccomp-notify" };
        _thread.Start();
    }

    /// <summary>Serves <paramref name="listener"/> (a descriptor from SECCOMP_FILTER_FLAG_NEW_LISTENER, received or local).</summary>
    public static SeccompNotifications Serve(int listener, Action<SeccompNotification> report, bool ownsListener = true)
    {
        var n = new SeccompNotifications(report);
        n.Attach(listener, ownsListener);
        return n;
    }

    public void Attach(int listener, bool ownsListener = true) => Attach(listener, ownsListener, ownProcess: false);

    /// <summary>With <paramref name="ownProcess"/>, the callers are this process's threads: paths are read through its own pid.</summary>
    internal void Attach(int listener, bool ownsListener, bool ownProcess)
    {
        _ownProcess = ownProcess ? Libc.GetPid() : 0;
        if (_attached.IsSet)
            throw new InvalidOperationException("a listener is already attached");
        _listener = listener;
        _ownsListener = ownsListener;
        _attached.Set();
    }

    /// <summary>Calls answered with EPERM so far.</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Why the loop ended (null while it runs): "stopped", "no process left under the filter", or an error.</summary>
    public string? Ended { get; private set; }

    /// <summary>The argument holding a path for the calls that take one, or -1.</summary>
    public static int PathArgument(int number) =>
        SyscallNames.Name(number) switch
        {
            "open" or "creat" or "execve" or "stat" or "lstat" or "access" or "unlink" or "mkdir" or "rmdir" or "readlink"
                or "truncate" or "chdir" or "rename" or "link" or "symlink" or "chmod" or "chown" or "mknod" => 0,
            "openat" or "openat2" or "execveat" or "newfstatat" or "statx" or "faccessat" or "faccessat2" or "unlinkat"
                or "mkdirat" or "readlinkat" or "mknodat" or "fchmodat" or "fchownat" or "renameat" or "renameat2" => 1,
            _ => -1,
        };

    private void Loop()
    {
        _attached.Wait();
        var fds = stackalloc Libc.PollFd[2];
        while (true)
        {
            fds[0] = new Libc.PollFd { Fd = _listener, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = _stop, Events = Libc.POLLIN };
            if (Libc.Poll(fds, 2, -1) < 0)
            {
                if (Errno.Last == Errno.EINTR)
                    continue;
                Ended = $"poll: {Marshal.GetPInvokeErrorMessage(Errno.Last)}";
                return;
            }
            if ((fds[1].Revents & Libc.POLLIN) != 0)
            {
                Ended = "stopped";
                return;
            }
            if ((fds[0].Revents & Libc.POLLIN) != 0)
            {
                if (!Receive())
                    return;
                continue;
            }
            if ((fds[0].Revents & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0)
            {
                // Every process under the filter has exited, or the listener was closed.
                Ended = "no process left under the filter";
                return;
            }
        }
    }

    private bool Receive()
    {
        var n = new Notif(); // the kernel requires it zeroed
        if (Libc.Ioctl(_listener, NotifRecv, &n) != 0)
        {
            var e = Errno.Last;
            // ENOENT: the caller died or was interrupted before we took its call.
            if (e == Errno.EINTR || e == Errno.ENOENT)
                return true;
            Ended = $"SECCOMP_IOCTL_NOTIF_RECV: {Marshal.GetPInvokeErrorMessage(e)}";
            return false;
        }
        var args = new ulong[6];
        for (int i = 0; i < 6; i++)
            args[i] = n.Args[i];
        int pathArg = PathArgument(n.Nr);
        // The notification names the calling thread; the filter lets this process read only through its own pid.
        string? path = pathArg >= 0 ? ReadString(_ownProcess != 0 ? _ownProcess : (int)n.Pid, args[pathArg], n.Id) : null;
        try
        {
            _report(new SeccompNotification((int)n.Pid, n.Nr, n.Ip, args, path));
        }
        catch (Exception e)
        {
            Ended = $"report failed: {e.Message}";
        }
        var response = new Response { Id = n.Id, Error = -Errno.EPERM };
        // ENOENT here too: the caller went away (killed, or its call interrupted by a signal).
        if (Libc.Ioctl(_listener, NotifSend, &response) == 0)
            Interlocked.Increment(ref _answered);
        return Ended is null;
    }

    /// <summary>A NUL-terminated string from the caller's memory, valid only while its call is still pending.</summary>
    private string? ReadString(int pid, ulong address, ulong id)
    {
        if (address == 0)
            return null;
        var buffer = stackalloc byte[256];
        var local = new Libc.IoVec { Base = buffer, Length = 256 };
        var remote = new Libc.IoVec { Base = (void*)address, Length = 256 };
        long n = Libc.Syscall(Libc.SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
        if (n <= 0)
        {
            // A string that ends before the page does: read up to the page's end.
            remote.Length = local.Length = (nuint)Math.Min(256, 4096 - (long)(address & 4095));
            n = Libc.Syscall(Libc.SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
            if (n <= 0)
                return null;
        }
        // The pid may have been reused if the caller died meanwhile: the memory read counts only if the call is still pending.
        if (Libc.Ioctl(_listener, NotifIdValid, &id) != 0)
            return null;
        var span = new ReadOnlySpan<byte>(buffer, (int)n);
        int end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? span[..end] : span);
    }

    public void Dispose()
    {
        ulong one = 1;
        Libc.Write(_stop, &one, 8);
        if (!_attached.IsSet)
        {
            _listener = _stop; // never attached: the loop sees only the stop
            _attached.Set();
        }
        _thread.Join();
        Libc.Close(_stop);
        // Closing the last listener makes every later denied call fail with ENOSYS, unanswered and unlogged.
        if (_ownsListener && _listener >= 0 && _listener != _stop)
            Libc.Close(_listener);
        _attached.Dispose();
    }
}
