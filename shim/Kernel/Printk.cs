// SPDX-License-Identifier: MIT
// Managed side. The end of kernel logging (kernel/printk): the native side formats, the host writes
// the line with its level; and the driver's fatal paths (BUG, panic, stack smashing, calls to
// symbols nobody implements), which end the driver with a report.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Host;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Printk
{
    [HostOp("linuxshim_host_log"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Log(int level, nint prefix, nint message, int length)
    {
        string text = Marshal.PtrToStringUTF8(prefix) + Encoding.UTF8.GetString((byte*)message, Math.Max(length, 0));
        Machine.Log(level < 0 ? 4 : level, text);
    }

    [HostOp("linuxshim_host_unimplemented"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Unimplemented(nint symbol, nint caller, nint frame)
    {
        Machine.Fatal($"the driver called {Marshal.PtrToStringUTF8(symbol)}, which the shim does not implement\n{Backtrace(caller, frame)}");
    }

    [HostOp("linuxshim_host_panic"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void Panic(nint reason, nint caller, nint frame)
    {
        Machine.Fatal($"driver panic: {Marshal.PtrToStringUTF8(reason)}\n{Backtrace(caller, frame)}");
    }

    /// <summary>
    /// The call chain from <paramref name="caller"/> up, walking frame pointers (the shim builds drivers
    /// with them). <paramref name="frame"/> is the frame of the native function that called into the host.
    /// </summary>
    public static string Backtrace(nint caller, nint frame)
    {
        var text = new StringBuilder();
        text.Append("  called from ").Append(DriverLibrary.Describe(caller));
        // frame -> [saved rbp of the stub's caller chain][return address]...
        // Frames live on this thread's stack, above the first one: stop at anything else.
        nint fp = frame == 0 ? 0 : *(nint*)frame;
        for (int depth = 0; depth < 16 && fp > frame && fp - frame < (8 << 20) && (fp & 7) == 0; depth++)
        {
            nint ret = *(nint*)(fp + 8);
            if (ret == 0 || LinuxShim.Posix.Libc.DlAddr(ret, out _) == 0)
                break;
            text.Append("\n  called from ").Append(DriverLibrary.Describe(ret));
            fp = *(nint*)fp;
        }
        return text.ToString();
    }

    /// <summary>printk_ratelimit()'s state (kernel/printk/printk.c): 10 messages per 5 seconds, then silence until the interval ends.</summary>
    public sealed class Ratelimit(long intervalMs = 5000, int burst = 10)
    {
        private long _begin = long.MinValue / 2;
        private int _printed, _missed;

        public bool Allow(long nowMs)
        {
            lock (this)
            {
                if (nowMs - _begin >= intervalMs)
                {
                    if (_missed > 0)
                        Machine.Log(4, $"{_missed} callbacks suppressed");
                    _begin = nowMs;
                    _printed = _missed = 0;
                }
                if (_printed < burst)
                {
                    _printed++;
                    return true;
                }
                _missed++;
                return false;
            }
        }
    }

    private static readonly Ratelimit PrintkRatelimit = new();

    [KernelSymbol("__printk_ratelimit"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PrintkRatelimitEntry(nint function) => PrintkRatelimit.Allow(Environment.TickCount64) ? 1 : 0;
}
