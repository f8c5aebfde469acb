// SPDX-License-Identifier: MIT
// Managed side. A file descriptor owned through a SafeHandle, and one sealed kind per sort of descriptor
// LinuxShim opens. Closing happens once, after the last user let go: a descriptor in use by another thread
// is never closed under it, and a closed one fails with ObjectDisposedException instead of reaching a number
// the kernel has since given to another file.
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LinuxShim.Posix;

public abstract class FileDescriptor : SafeHandleMinusOneIsInvalid
{
    // Set by Dispose: from then on nothing new may use the number, even while a lease taken before
    // keeps the descriptor itself open (SafeHandle alone counts as closed only once the last lease ends).
    private volatile bool disposed;

    protected FileDescriptor()
        : base(ownsHandle: true)
    {
    }

    protected FileDescriptor(int fd)
        : base(ownsHandle: true)
        => SetHandle(fd >= 0 ? fd : throw new ArgumentOutOfRangeException(nameof(fd), fd, "not a descriptor"));

    /// <summary>
    /// The descriptor's number, to hand to a call that takes ints (an SCM_RIGHTS message, QEMU's command line).
    /// Only valid while this object is not closed; use <see cref="Lease"/> where a concurrent close is possible.
    /// </summary>
    public int Number => !disposed && !IsClosed ? (int)handle : throw new ObjectDisposedException(GetType().Name);

    /// <summary>Holds the descriptor open until the lease is disposed; ObjectDisposedException when it is already closed.</summary>
    public DescriptorLease Lease() => new(this);

    /// <summary>Like <see cref="Lease"/>, but false (and nothing to dispose) when the descriptor is already closed.</summary>
    public bool TryLease(out DescriptorLease lease)
    {
        try
        {
            lease = new(this);
            return true;
        }
        catch (ObjectDisposedException)
        {
            lease = default;
            return false;
        }
    }

    /// <summary>
    /// Gives the number back without closing it: the caller owns it from now on (this object reads as closed;
    /// a lease still held keeps its number valid, as before); -1 when it was already closed or detached.
    /// </summary>
    public int Detach()
    {
        if (disposed || IsClosed)
            return -1;
        int fd = (int)handle;
        SetHandleAsInvalid();
        return fd;
    }

    protected override void Dispose(bool disposing)
    {
        disposed = true;
        base.Dispose(disposing);
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}

/// <summary>A use of a <see cref="FileDescriptor"/>'s number during which it cannot be closed.</summary>
public readonly ref struct DescriptorLease
{
    private readonly SafeHandle? owner;

    internal DescriptorLease(FileDescriptor descriptor)
    {
        descriptor.ThrowIfDisposed();
        bool added = false;
        descriptor.DangerousAddRef(ref added);
        owner = descriptor;
        Number = (int)descriptor.DangerousGetHandle();
    }

    public int Number { get; }

    public void Dispose() => owner?.DangerousRelease();
}

/// <summary>An eventfd (eventfd(2)).</summary>
public sealed class EventFdDescriptor : FileDescriptor
{
    public EventFdDescriptor()
    {
    }

    public EventFdDescriptor(int fd)
        : base(fd)
    {
    }
}

/// <summary>A socket (socket(2), socketpair(2), accept4(2)).</summary>
public sealed class SocketDescriptor : FileDescriptor
{
    public SocketDescriptor()
    {
    }

    public SocketDescriptor(int fd)
        : base(fd)
    {
    }
}

/// <summary>An anonymous memory file (memfd_create(2)).</summary>
public sealed class MemoryFileDescriptor : FileDescriptor
{
    public MemoryFileDescriptor()
    {
    }

    public MemoryFileDescriptor(int fd)
        : base(fd)
    {
    }
}
