// SPDX-License-Identifier: MIT
// Managed side. errno: one type, one conversion of a failed call into an exception.
using LinuxShim.Posix;

namespace LinuxShim.Posix.Tests;

public sealed class ErrnoTests
{
    [Fact]
    public void A_failed_call_becomes_a_PosixException_with_its_errno()
    {
        var e = Assert.Throws<PosixException>(() => Libc.Check(Libc.Close(-1), "close"));
        Assert.Equal(Errno.EBADF, e.Errno);
        Assert.Equal(9, e.HResult);
        Assert.StartsWith("close: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(errno 9)", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void An_errno_is_its_number_on_the_wire_and_a_message_in_diagnostics()
    {
        int wire = Errno.EINVAL;
        Assert.Equal(22, wire);
        Assert.Equal(Errno.EINVAL, (Errno)22);
        Assert.NotEqual(Errno.EINVAL, Errno.EINTR);
        Assert.Equal(Errno.ENOTSUP, Errno.EOPNOTSUPP);
        Assert.Equal($"{Errno.ENOENT.Message} (errno 2)", Errno.ENOENT.Describe());
        Assert.NotEmpty(Errno.ENOENT.Message);
    }

    [Fact]
    public void Last_reads_what_the_failed_call_left()
    {
        Assert.True(Libc.Fcntl(-1, Libc.F_GETFL, 0) < 0);
        Assert.Equal(Errno.EBADF, Errno.Last);
        Assert.True(Libc.Open("/nonexistent/linuxshim", Libc.O_RDWR, 0) < 0);
        Assert.Equal(Errno.ENOENT, Errno.Last);
    }
}
