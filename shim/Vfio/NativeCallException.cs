// SPDX-License-Identifier: MIT
// Managed side. A failed libc call or a vfio-user error reply: what failed and the errno it gave.
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Vfio;

public class NativeCallException : IOException
{
    public NativeCallException(string what, int errno)
        : base($"{what}: {Describe(errno)}")
    {
        Errno = errno;
        HResult = errno;
    }

    /// <summary>The Linux errno value.</summary>
    public int Errno { get; }

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
