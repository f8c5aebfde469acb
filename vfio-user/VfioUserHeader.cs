// SPDX-License-Identifier: MIT
// Managed side. The 16-byte header in front of every vfio-user message (fields, TryDecode and Encode are
// generated from vfio-user.wire.json); here the meaning of its flags.
namespace LinuxShim.VfioUser;

public readonly partial record struct VfioUserHeader
{
    public const int Size = FixedSize;

    public const uint TypeMask = 0xF, TypeCommand = 0, TypeReply = 1, NoReply = 0x10, ErrorFlag = 0x20;

    public bool IsReply => (Flags & TypeMask) == TypeReply;

    public bool IsCommand => (Flags & TypeMask) == TypeCommand;

    public bool WantsNoReply => (Flags & NoReply) != 0;

    public bool IsError => (Flags & ErrorFlag) != 0;

    /// <summary>A command header (the size is set when the message is sent).</summary>
    public static VfioUserHeader NewCommand(ushort id, VfioUserCommand command, bool noReply = false) =>
        new(id, (ushort)command, 0, TypeCommand | (noReply ? NoReply : 0), 0);

    /// <summary>A reply to <paramref name="request"/>: success, or the error <paramref name="errno"/>.</summary>
    public static VfioUserHeader ReplyTo(VfioUserHeader request, int errno = 0) =>
        new(request.MessageId, request.Command, 0, TypeReply | (errno != 0 ? ErrorFlag : 0), (uint)errno);

    public void Write(Span<byte> b) => Encode(b);
}
