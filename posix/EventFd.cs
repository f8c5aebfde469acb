// SPDX-License-Identifier: MIT
// Managed side. An eventfd: the object VFIO and vfio-user signal interrupts through.
namespace LinuxShim.Posix;

public sealed unsafe class EventFd : IDisposable
{
    private readonly EventFdDescriptor fd;

    public EventFd()
        => fd = new EventFdDescriptor((int)Libc.Check(Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), "eventfd"));

    /// <summary>Takes ownership of an eventfd descriptor received from elsewhere.</summary>
    public EventFd(int handle) => fd = new EventFdDescriptor(handle);

    /// <summary>The descriptor's number (ObjectDisposedException once closed); the object still owns it.</summary>
    public int Handle => fd.Number;

    /// <summary>The descriptor itself, for a caller that must hold it open across a call (see <see cref="FileDescriptor.Lease"/>).</summary>
    public EventFdDescriptor Descriptor => fd;

    /// <summary>
    /// Takes over a descriptor a peer sent to be signalled, once it is shown to be an eventfd (its
    /// /proc/self/fd link is anon_inode:[eventfd]); its description is made non-blocking, so that a
    /// counter the peer saturated makes <see cref="Signal"/> return (the event is pending anyway) instead
    /// of blocking the signaller. Null, with <paramref name="why"/>, for anything else (not taken over).
    /// </summary>
    public static EventFd? AdoptForSignalling(int handle, out string? why)
    {
        why = null;
        byte* link = stackalloc byte[64];
        nint n = Libc.ReadLink($"/proc/self/fd/{handle}", link, 64);
        string target = n > 0 ? System.Text.Encoding.UTF8.GetString(link, (int)n) : $"unreadable (errno {Errno.Last.Value})";
        if (target != "anon_inode:[eventfd]")
        {
            why = $"descriptor is {target}, not an eventfd";
            return null;
        }
        int flags = Libc.Fcntl(handle, Libc.F_GETFL, 0);
        if (flags < 0 || ((flags & Libc.O_NONBLOCK) == 0 && Libc.Fcntl(handle, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0))
        {
            why = $"cannot make the eventfd non-blocking (errno {Errno.Last.Value})";
            return null;
        }
        return new EventFd(handle);
    }

    /// <summary>
    /// Adds <paramref name="count"/> to the counter, waking a waiter. On a non-blocking eventfd (every one
    /// this process creates or adopts) a saturated counter makes it return at once. Signalling a closed
    /// eventfd does nothing: the descriptor is held for the write, so it never reaches a reused number.
    /// </summary>
    public void Signal(ulong count = 1)
    {
        if (!fd.TryLease(out var held))
            return;
        using (held)
        {
            while (Libc.Write(held.Number, &count, 8) < 0 && Errno.Last == Errno.EINTR)
            {
            }
        }
    }

    /// <summary>Reads and resets the counter; 0 when it was 0.</summary>
    public ulong Consume()
    {
        ulong value = 0;
        using var held = fd.Lease();
        while (true)
        {
            nint n = Libc.Read(held.Number, &value, 8);
            if (n == 8)
                return value;
            var err = Errno.Last;
            if (err == Errno.EINTR)
                continue;
            if (err == Errno.EAGAIN)
                return 0;
            throw err.ToException("eventfd read");
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for a signal and consumes it; the count, or 0 on timeout.</summary>
    public ulong Wait(int timeoutMs)
    {
        using (var held = fd.Lease())
        {
            var p = new Libc.PollFd { Fd = held.Number, Events = Libc.POLLIN };
            if (Libc.Poll(&p, 1, timeoutMs) <= 0)
                return 0;
        }
        return Consume();
    }

    /// <summary>Waits for either <paramref name="first"/> or <paramref name="second"/>; true when <paramref name="first"/> is readable.</summary>
    public static bool WaitEither(EventFd first, EventFd second)
    {
        using var a = first.fd.Lease();
        using var b = second.fd.Lease();
        var p = stackalloc Libc.PollFd[2];
        p[0] = new Libc.PollFd { Fd = a.Number, Events = Libc.POLLIN };
        p[1] = new Libc.PollFd { Fd = b.Number, Events = Libc.POLLIN };
        while (Libc.Poll(p, 2, -1) < 0)
        {
            if (Errno.Last != Errno.EINTR)
                throw Errno.Last.ToException("poll");
        }
        return (p[0].Revents & Libc.POLLIN) != 0;
    }

    /// <summary>Gives the descriptor back without closing it (this object no longer owns it).</summary>
    public int DetachHandle() => fd.Detach();

    public void Dispose() => fd.Dispose();
}
