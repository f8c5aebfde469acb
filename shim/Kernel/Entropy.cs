// SPDX-License-Identifier: MIT
// Managed side. The kernel's random numbers (drivers/char/random.c): get_random_bytes() fills a buffer from
// the host kernel's generator through getrandom(2), which the sandbox allows (no file to open).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Entropy
{
    /// <summary>Fills <paramref name="length"/> bytes at <paramref name="buffer"/>; getrandom returns at most 32 MiB a call.</summary>
    public static void Fill(byte* buffer, nuint length)
    {
        while (length > 0)
        {
            nint got = LinuxShim.Posix.Libc.GetRandom(buffer, length, 0);
            if (got < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == 4) // EINTR
                    continue;
                Machine.Fatal($"get_random_bytes: getrandom failed (errno {errno})");
                return;
            }
            buffer += got;
            length -= (nuint)got;
        }
    }

    [KernelSymbol("get_random_bytes"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void GetRandomBytes(byte* buffer, nuint length) => Fill(buffer, length);
}
