// SPDX-License-Identifier: MIT
// Managed side. How a driver host ends when it cannot end in order: one "linuxshim-host:" line
// written straight to descriptor 2 (no lock a stuck thread may hold) and _exit (no runtime shutdown
// to wait for; exit_group is on the sandbox's allow-list). The supervisor reads that line and the status.
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Host;

public static unsafe partial class HostExit
{
    /// <summary>Exit status of a host whose device failed (broke the protocol, closed, did not answer).</summary>
    public const int DeviceFailed = 72;

    /// <summary>Exit status of a host whose orderly shutdown did not finish within its deadline.</summary>
    public const int ShutdownTimedOut = 73;

    /// <summary>Writes "linuxshim-host: <paramref name="message"/>" to standard error and ends the process at once.</summary>
    public static void Now(string message, int status)
    {
        byte[] line = Encoding.UTF8.GetBytes($"linuxshim-host: {message.ReplaceLineEndings(" ")}\n");
        fixed (byte* p = line)
        {
            int done = 0;
            while (done < line.Length)
            {
                nint n = Libc.Write(2, p + done, (nuint)(line.Length - done));
                if (n > 0)
                    done += (int)n;
                else if (n == 0 || Errno.Last != Errno.EINTR)
                    break; // nowhere to say it: end all the same
            }
        }
        Libc.Exit(status);
    }
}
