// SPDX-License-Identifier: MIT
// Managed side. The descriptor objects of the POSIX layer: a closed one is never used by number again
// (its number may already name another file), a leased one stays open until the lease ends.
using LinuxShim.Posix;

namespace LinuxShim.Posix.Tests;

public sealed unsafe class DescriptorTests
{
    private static bool IsOpen(int fd) => Libc.Fcntl(fd, Libc.F_GETFL, 0) >= 0;

    [Fact]
    public void A_disposed_eventfd_neither_signals_nor_exposes_its_number()
    {
        var e = new EventFd();
        int number = e.Handle;
        e.Dispose();
        Assert.False(IsOpen(number));
        // The kernel gives the lowest free number to the next file: that is the number the eventfd had.
        using var reuse = new EventFd();
        Assert.Equal(number, reuse.Handle);
        e.Signal(); // must not reach the new eventfd
        Assert.Equal(0ul, reuse.Consume());
        Assert.Throws<ObjectDisposedException>(() => e.Handle);
        Assert.Throws<ObjectDisposedException>(() => e.Consume());
    }

    [Fact]
    public void An_eventfd_counts_signals_until_consumed()
    {
        using var e = new EventFd();
        e.Signal(2);
        e.Signal(3);
        Assert.Equal(5ul, e.Wait(1000));
        Assert.Equal(0ul, e.Consume());
    }

    [Fact]
    public void A_lease_keeps_the_descriptor_open_across_dispose()
    {
        var e = new EventFd();
        int number = e.Handle;
        var lease = e.Descriptor.Lease();
        e.Dispose();
        Assert.True(IsOpen(number));
        Assert.Throws<ObjectDisposedException>(() => e.Handle);
        Assert.False(e.Descriptor.TryLease(out _));
        lease.Dispose();
        Assert.False(IsOpen(number));
    }

    [Fact]
    public void A_detached_descriptor_stays_open_and_becomes_the_callers()
    {
        var e = new EventFd();
        int number = e.DetachHandle();
        e.Dispose();
        Assert.True(IsOpen(number));
        Assert.Equal(-1, e.DetachHandle());
        Assert.Equal(0, Libc.Close(number));
    }

    [Fact]
    public void A_socket_pair_carries_bytes_and_descriptors()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        using (var e = new EventFd())
        {
            a.Send("hi"u8, [e.Handle]);
            var fds = new List<int>();
            var buffer = new byte[2];
            Assert.True(b.ReceiveExactly(buffer, fds));
            Assert.Equal("hi"u8.ToArray(), buffer);
            var received = Assert.Single(fds);
            Assert.NotEqual(e.Handle, received);
            using var copy = new EventFd(received);
            copy.Signal(7);
            Assert.Equal(7ul, e.Consume());
        }
    }

    [Fact]
    public void A_disposed_socket_fails_instead_of_writing_to_its_old_number()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (b)
        {
            a.Dispose();
            Assert.Throws<ObjectDisposedException>(() => a.Send("x"u8));
            a.Shutdown(); // nothing to wake: no exception either
            Assert.False(b.ReceiveExactly(new byte[1], null)); // the peer sees the end of the stream
        }
    }

    [Fact]
    public void Shared_memory_is_sealed_against_resizing_and_closes_with_its_mapping()
    {
        var m = SharedMemory.Create("posix-test", 4096);
        int number = m.Handle;
        int seals = Libc.Fcntl(number, Libc.F_GET_SEALS, 0);
        Assert.Equal(Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW, seals & (Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW));
        m.AsSpan(0, 4)[0] = 42;
        using (var view = SharedMemory.Map(number, 0, 4096, writable: false))
        {
            Assert.Equal(-1, view.Handle);
            Assert.Equal(42, view.AsSpan(0, 1)[0]);
        }
        Assert.Null(SharedMemory.TryMap(number, 0, 0, writable: false, out var errno));
        Assert.Equal(Errno.EINVAL, errno);
        m.Dispose();
        Assert.False(IsOpen(number));
        Assert.Throws<ObjectDisposedException>(() => m.Address);
    }
}
