// SPDX-License-Identifier: MIT
// Managed side. An eventfd: the object VFIO and vfio-user signal interrupts through.
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Shim.Vfio;

public sealed unsafe class EventFd : IDisposable
{
    private int fd;

    public EventFd()
        => fd = (int)Libc.Check(Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK), "eventfd");

    /// <summary>Takes ownership of an eventfd descriptor received from elsewhere.</summary>
    public EventFd(int handle) => fd = handle >= 0 ? handle : throw new ArgumentOutOfRangeException(nameof(handle));

    public int Handle => fd >= 0 ? fd : throw new ObjectDisposedException(nameof(EventFd));

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
        string target = n > 0 ? System.Text.Encoding.UTF8.GetString(link, (int)n) : $"unreadable (errno {Libc.LastError})";
        if (target != "anon_inode:[eventfd]")
        {
            why = $"descriptor is {target}, not an eventfd";
            return null;
        }
        int flags = Libc.Fcntl(handle, Libc.F_GETFL, 0);
        if (flags < 0 || ((flags & Libc.O_NONBLOCK) == 0 && Libc.Fcntl(handle, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0))
        {
            why = $"cannot make the eventfd non-blocking (errno {Libc.LastError})";
            return null;
        }
        return new EventFd(handle);
    }

    /// <summary>
    /// Adds <paramref name="count"/> to the counter, waking a waiter. On a non-blocking eventfd (every one
    /// this process creates or adopts) a saturated counter makes it return at once.
    /// </summary>
    public void Signal(ulong count = 1)
    {
        int f = fd;
        if (f < 0)
            return;
        while (Libc.Write(f, &count, 8) < 0 && Libc.LastError == Libc.EINTR)
        {
        }
    }

    /// <summary>Reads and resets the counter; 0 when it was 0.</summary>
    public ulong Consume()
    {
        ulong value = 0;
        while (true)
        {
            nint n = Libc.Read(Handle, &value, 8);
            if (n == 8)
                return value;
            int err = Libc.LastError;
            if (err == Libc.EINTR)
                continue;
            if (err == Libc.EAGAIN)
                return 0;
            throw new NativeCallException("eventfd read", err);
        }
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for a signal and consumes it; the count, or 0 on timeout.</summary>
    public ulong Wait(int timeoutMs)
    {
        var p = new Libc.PollFd { Fd = Handle, Events = Libc.POLLIN };
        if (Libc.Poll(&p, 1, timeoutMs) <= 0)
            return 0;
        return Consume();
    }

    /// <summary>Waits for either <paramref name="first"/> or <paramref name="second"/>; true when <paramref name="first"/> is readable.</summary>
    public static bool WaitEither(EventFd first, EventFd second)
    {
        var p = stackalloc Libc.PollFd[2];
        p[0] = new Libc.PollFd { Fd = first.Handle, Events = Libc.POLLIN };
        p[1] = new Libc.PollFd { Fd = second.Handle, Events = Libc.POLLIN };
        while (Libc.Poll(p, 2, -1) < 0)
        {
            if (Libc.LastError != Libc.EINTR)
                throw new NativeCallException("poll", Libc.LastError);
        }
        return (p[0].Revents & Libc.POLLIN) != 0;
    }

    /// <summary>Gives the descriptor back without closing it (this object no longer owns it).</summary>
    public int DetachHandle() => Interlocked.Exchange(ref fd, -1);

    public void Dispose()
    {
        int f = Interlocked.Exchange(ref fd, -1);
        if (f >= 0)
            Libc.Close(f);
    }
}
