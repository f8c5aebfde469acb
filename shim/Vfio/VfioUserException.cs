// SPDX-License-Identifier: MIT
// Managed side. A vfio-user command the server answered with an error reply.
namespace LinuxShim.Shim.Vfio;

public sealed class VfioUserException(VfioUserCommand command, int errno)
    : NativeCallException($"vfio-user {command}", errno)
{
    public VfioUserCommand Command { get; } = command;
}
