// SPDX-License-Identifier: MIT
// Managed side. A type-0 PCI configuration header (PCI Local Bus 3.0, 6.1-6.2) with BAR sizing,
// writable-bit masks, and an MSI capability (6.8.1): 32-bit BARs only, one MSI vector.
using System.Buffers.Binary;

namespace LinuxShim.Devices.Pci;

/// <summary>Identity of a PCI function: ids, revision and class code (base, sub, programming interface).</summary>
public readonly record struct PciIdentity(ushort VendorId, ushort DeviceId, byte Revision, uint ClassCode,
    ushort SubsystemVendorId, ushort SubsystemId);

/// <summary>One BAR: its size (a power of two, 0 = absent) and whether it decodes I/O space.</summary>
public readonly record struct PciBar(uint Size, bool IsIo);

public sealed class PciConfigSpace
{
    public const int Size = 256;
    public const int Command = 0x04, Status = 0x06, FirstBar = 0x10, CapabilitiesPointer = 0x34, InterruptLine = 0x3C;
    public const int MsiCapability = 0x50;
    public const ushort CommandIo = 1 << 0, CommandMemory = 1 << 1, CommandBusMaster = 1 << 2, CommandIntxDisable = 1 << 10;
    public const ushort StatusInterrupt = 1 << 3, StatusCapabilities = 1 << 4;
    public const ushort MsiControlEnable = 1 << 0, MsiControl64Bit = 1 << 7;

    private readonly byte[] initial = new byte[Size];
    private readonly byte[] writable = new byte[Size];
    private readonly byte[] bytes = new byte[Size];

    public PciConfigSpace(PciIdentity id, IReadOnlyList<PciBar> bars)
    {
        Span<byte> c = initial;
        BinaryPrimitives.WriteUInt16LittleEndian(c, id.VendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(c[2..], id.DeviceId);
        BinaryPrimitives.WriteUInt16LittleEndian(c[Status..], StatusCapabilities);
        c[0x08] = id.Revision;
        c[0x09] = (byte)id.ClassCode;
        c[0x0A] = (byte)(id.ClassCode >> 8);
        c[0x0B] = (byte)(id.ClassCode >> 16);
        BinaryPrimitives.WriteUInt16LittleEndian(c[0x2C..], id.SubsystemVendorId);
        BinaryPrimitives.WriteUInt16LittleEndian(c[0x2E..], id.SubsystemId);
        c[CapabilitiesPointer] = MsiCapability;
        c[0x3D] = 1; // interrupt pin INTA#

        // Writable bits: command (I/O, memory, bus master, parity, SERR, INTx disable), cache line,
        // latency timer, interrupt line, BAR address bits, MSI enable/multiple-enable/address/data.
        BinaryPrimitives.WriteUInt16LittleEndian(writable.AsSpan(Command), 0x0547);
        writable[0x0C] = 0xFF;
        writable[0x0D] = 0xFF;
        writable[InterruptLine] = 0xFF;
        for (int i = 0; i < bars.Count && i < 6; i++)
        {
            var bar = bars[i];
            if (bar.Size == 0)
                continue;
            uint typeBits = bar.IsIo ? 1u : 0u;
            uint addressMask = ~(bar.Size - 1) & (bar.IsIo ? 0xFFFFFFFCu : 0xFFFFFFF0u);
            BinaryPrimitives.WriteUInt32LittleEndian(c[(FirstBar + 4 * i)..], typeBits);
            BinaryPrimitives.WriteUInt32LittleEndian(writable.AsSpan(FirstBar + 4 * i), addressMask);
        }
        c[MsiCapability] = 0x05;
        c[MsiCapability + 1] = 0; // end of the list
        BinaryPrimitives.WriteUInt16LittleEndian(c[(MsiCapability + 2)..], MsiControl64Bit);
        BinaryPrimitives.WriteUInt16LittleEndian(writable.AsSpan(MsiCapability + 2), MsiControlEnable);
        BinaryPrimitives.WriteUInt32LittleEndian(writable.AsSpan(MsiCapability + 4), 0xFFFFFFFC);
        BinaryPrimitives.WriteUInt32LittleEndian(writable.AsSpan(MsiCapability + 8), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(writable.AsSpan(MsiCapability + 12), 0xFFFF);
        Reset();
    }

    public ushort CommandRegister => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(Command));

    public bool BusMaster => (CommandRegister & CommandBusMaster) != 0;

    public bool IntxDisabled => (CommandRegister & CommandIntxDisable) != 0;

    public bool MsiEnabled => (bytes[MsiCapability + 2] & MsiControlEnable) != 0;

    /// <summary>Status bit 3, the INTx line as the function drives it.</summary>
    public bool InterruptStatus
    {
        set
        {
            if (value)
                bytes[Status] |= (byte)StatusInterrupt;
            else
                bytes[Status] &= unchecked((byte)~StatusInterrupt);
        }
    }

    public void Reset() => initial.CopyTo(bytes, 0);

    /// <summary>Reads any number of bytes at any offset; bytes outside the 256-byte space read as all ones.</summary>
    public void Read(int offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            long o = (long)offset + i;
            data[i] = o is >= 0 and < Size ? bytes[o] : (byte)0xFF;
        }
    }

    /// <summary>
    /// Writes any number of bytes at any offset, each through its writable-bit mask, so a register written
    /// in pieces or together with its neighbours ends up as if written byte by byte (configuration space
    /// is byte-addressable, PCI Local Bus 3.0, 6.1); bytes outside the space are dropped.
    /// </summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            long o = (long)offset + i;
            if (o is >= 0 and < Size)
                bytes[o] = (byte)((bytes[o] & ~writable[o]) | (data[i] & writable[o]));
        }
    }
}
