// SPDX-License-Identifier: MIT
// Managed side. A failed libc call or a vfio-user error reply: what failed and the errno it gave.
namespace LinuxShim.Posix;

public class PosixException : IOException
{
    public PosixException(string what, Errno errno)
        : base($"{what}: {errno.Describe()}")
    {
        Errno = errno;
        HResult = errno;
    }

    /// <summary>The Linux errno value.</summary>
    public Errno Errno { get; }
}
