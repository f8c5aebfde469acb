// SPDX-License-Identifier: MIT
// Managed side. A Linux errno value: the constants LinuxShim uses (x86-64 values, include/uapi/asm-generic/errno*.h),
// its name and message, and the one conversion of a failed call into an exception (PosixException).
using System.Runtime.InteropServices;

namespace LinuxShim.Posix;

/// <summary>
/// An errno. It converts to int implicitly (the vfio-user and netif wires carry the number), and from int
/// only explicitly, so that an arbitrary number never passes for an errno unnoticed.
/// </summary>
public readonly record struct Errno(int Value)
{
    public static Errno EPERM => new(1);
    public static Errno ENOENT => new(2);
    public static Errno EINTR => new(4);
    public static Errno EIO => new(5);
    public static Errno E2BIG => new(7);
    public static Errno EBADF => new(9);
    public static Errno EAGAIN => new(11);
    public static Errno EFAULT => new(14);
    public static Errno EEXIST => new(17);
    public static Errno ENODEV => new(19);
    public static Errno EINVAL => new(22);
    public static Errno ENFILE => new(23);
    public static Errno EMFILE => new(24);
    public static Errno ENOTTY => new(25);
    public static Errno ENOSPC => new(28);
    public static Errno EPIPE => new(32);
    public static Errno ENOSYS => new(38);
    public static Errno EPROTO => new(71);
    public static Errno ENOTSUP => new(95);
    public static Errno EOPNOTSUPP => new(95);
    public static Errno ECONNRESET => new(104);
    public static Errno ETIMEDOUT => new(110);

    /// <summary>The errno the last libc call made with SetLastError left.</summary>
    public static Errno Last => new(Marshal.GetLastPInvokeError());

    public static implicit operator int(Errno errno) => errno.Value;

    public static explicit operator Errno(int value) => new(value);

    /// <summary>The C library's message for it, e.g. "Invalid argument".</summary>
    public string Message => Marshal.GetPInvokeErrorMessage(Value);

    /// <summary>The message and the number, as diagnostics print them: "Invalid argument (errno 22)".</summary>
    public string Describe() => $"{Message} (errno {Value})";

    /// <summary>The exception for a call (<paramref name="what"/>) that failed with this errno.</summary>
    public PosixException ToException(string what) => new(what, this);

    public override string ToString() => Describe();
}
