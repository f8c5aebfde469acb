// SPDX-License-Identifier: MIT
// Managed side. The 16-byte header in front of every vfio-user message, host-endian (little-endian
// here): message id, command, size of the whole message, flags (type, No_reply, Error), errno.
using System.Buffers.Binary;

namespace LinuxShim.Shim.Vfio;

public readonly record struct VfioUserHeader(ushort MessageId, ushort Command, uint MessageSize, uint Flags, uint Error)
{
    public const int Size = 16;

    public const uint TypeMask = 0xF, TypeCommand = 0, TypeReply = 1, NoReply = 0x10, ErrorFlag = 0x20;

    public bool IsReply => (Flags & TypeMask) == TypeReply;

    public bool IsCommand => (Flags & TypeMask) == TypeCommand;

    public bool WantsNoReply => (Flags & NoReply) != 0;

    public bool IsError => (Flags & ErrorFlag) != 0;

    public static VfioUserHeader Read(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(b),
        BinaryPrimitives.ReadUInt16LittleEndian(b[2..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[12..]));

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(b, MessageId);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], Command);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], MessageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[12..], Error);
    }
}
