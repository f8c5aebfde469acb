// SPDX-License-Identifier: MIT
// Managed side. A vfio-user command the server answered with an error reply.
using LinuxShim.Posix;

namespace LinuxShim.VfioUser;

public sealed class VfioUserException(VfioUserCommand command, int errno)
    : PosixException($"vfio-user {command}", (Errno)errno)
{
    public VfioUserCommand Command { get; } = command;
}
