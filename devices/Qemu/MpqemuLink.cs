// SPDX-License-Identifier: MIT
// Managed side. The proxy end of multi-process QEMU's channel to its device server (QEMU 7.2,
// include/hw/remote/mpqemu-link.h): each message is a 16-byte header (int cmd, padding, size_t size)
// and `size` bytes of payload, descriptors riding on the header as SCM_RIGHTS. Requests that QEMU
// answers get one RET message back (a u64); SYNC_SYSMEM and SET_IRQFD get none. QEMU is trusted
// like hardware but checked like input: a reply of the wrong kind or size, one carrying descriptors,
// or none within the timeout ends the channel with an MpqemuException naming what was wrong.
using System.Buffers.Binary;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Devices.Qemu;

internal enum MpqemuCommand
{
    SyncSysmem = 0,
    Ret = 1,
    PciConfigWrite = 2,
    PciConfigRead = 3,
    BarWrite = 4,
    BarRead = 5,
    SetIrqFd = 6,
    DeviceReset = 7,
}

/// <summary>The channel to QEMU failed: QEMU died, hung, or said something the protocol does not allow.</summary>
public sealed class MpqemuException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>One guest-physical window of SYNC_SYSMEM: bytes [Offset, Offset+Size) of Fd at Gpa.</summary>
internal readonly record struct SysmemRegion(ulong Gpa, ulong Size, long Offset, int Fd);

internal sealed class MpqemuLink(UnixSocket socket, int replyTimeoutMs = 5000)
{
    public const int HeaderSize = 16;

    /// <summary>
    /// Regions one SYNC_SYSMEM carries: the message has room for 8, but QEMU's validation refuses a message
    /// with 8 descriptors (mpqemu_msg_valid: num_fds >= REMOTE_MAX_FDS), so 7.
    /// </summary>
    public const int MaxRegions = 7;

    private const int SlotCount = 8, SysmemSize = SlotCount * 8 * 3, ConfigSize = 12, BarSize = 24;

    private readonly object exchange = new();

    public uint ConfigRead(int address, int length)
    {
        Span<byte> p = stackalloc byte[ConfigSize];
        EncodeConfig(p, address, 0, length);
        return (uint)Request(MpqemuCommand.PciConfigRead, p, default, withValue: true);
    }

    public void ConfigWrite(int address, uint value, int length)
    {
        Span<byte> p = stackalloc byte[ConfigSize];
        EncodeConfig(p, address, value, length);
        Request(MpqemuCommand.PciConfigWrite, p, default, withValue: true);
    }

    /// <summary>A read of <paramref name="size"/> (1, 2, 4 or 8) bytes at <paramref name="address"/> of memory or I/O space.</summary>
    public ulong BarRead(ulong address, int size, bool memory)
    {
        Span<byte> p = stackalloc byte[BarSize];
        EncodeBar(p, address, 0, size, memory);
        return Request(MpqemuCommand.BarRead, p, default, withValue: true);
    }

    public void BarWrite(ulong address, ulong value, int size, bool memory)
    {
        Span<byte> p = stackalloc byte[BarSize];
        EncodeBar(p, address, value, size, memory);
        Request(MpqemuCommand.BarWrite, p, default, withValue: true);
    }

    /// <summary>The device model's reset (its DeviceClass reset; configuration space is left as it is).</summary>
    public void DeviceReset() => Request(MpqemuCommand.DeviceReset, default, default, withValue: false);

    /// <summary>
    /// Replaces QEMU's whole view of guest memory with <paramref name="regions"/> (1 to <see cref="MaxRegions"/>).
    /// QEMU does not answer SYNC_SYSMEM; the configuration read after it returns once QEMU has applied it
    /// (it handles messages in order), so no DMA reaches the old map after this returns.
    /// </summary>
    public void SyncSysmem(IReadOnlyList<SysmemRegion> regions)
    {
        if (regions.Count is 0 or > MaxRegions)
            throw new ArgumentOutOfRangeException(nameof(regions), $"SYNC_SYSMEM carries 1 to {MaxRegions} regions");
        Span<byte> p = stackalloc byte[SysmemSize];
        p.Clear();
        var fds = new int[regions.Count];
        for (int i = 0; i < regions.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(p[(i * 8)..], regions[i].Gpa);
            BinaryPrimitives.WriteUInt64LittleEndian(p[(SlotCount * 8 + i * 8)..], regions[i].Size);
            BinaryPrimitives.WriteInt64LittleEndian(p[(SlotCount * 16 + i * 8)..], regions[i].Offset);
            fds[i] = regions[i].Fd;
        }
        lock (exchange)
        {
            Send(MpqemuCommand.SyncSysmem, p, fds);
            ConfigRead(0, 4);
        }
    }

    /// <summary>INTx: QEMU signals <paramref name="irq"/> when the line rises, and again on <paramref name="resample"/> while it stays up.</summary>
    public void SetIrqFd(EventFd irq, EventFd resample)
    {
        lock (exchange)
        {
            Send(MpqemuCommand.SetIrqFd, default, [irq.Handle, resample.Handle]);
            ConfigRead(0, 4);
        }
    }

    private static void EncodeConfig(Span<byte> p, int address, uint value, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(p, (uint)address);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], value);
        BinaryPrimitives.WriteInt32LittleEndian(p[8..], length);
    }

    private static void EncodeBar(Span<byte> p, ulong address, ulong value, int size, bool memory)
    {
        p.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(p, address);
        BinaryPrimitives.WriteUInt64LittleEndian(p[8..], value);
        BinaryPrimitives.WriteUInt32LittleEndian(p[16..], (uint)size);
        p[20] = memory ? (byte)1 : (byte)0;
    }

    private ulong Request(MpqemuCommand command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds, bool withValue)
    {
        lock (exchange)
        {
            Send(command, payload, fds);
            return ReceiveReturn(command, withValue);
        }
    }

    private void Send(MpqemuCommand command, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds)
    {
        Span<byte> message = stackalloc byte[HeaderSize + payload.Length];
        message.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(message, (int)command);
        BinaryPrimitives.WriteUInt64LittleEndian(message[8..], (ulong)payload.Length);
        payload.CopyTo(message[HeaderSize..]);
        try
        {
            socket.Send(message, fds);
        }
        catch (Exception e) when (e is PosixException or ObjectDisposedException)
        {
            throw new MpqemuException($"sending {command} to QEMU failed: {e.Message}", e);
        }
    }

    private ulong ReceiveReturn(MpqemuCommand command, bool withValue)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        Span<byte> value = stackalloc byte[8];
        var fds = new List<int>();
        try
        {
            long deadline = Environment.TickCount64 + replyTimeoutMs;
            if (!socket.ReceiveExactly(header, fds, deadline))
                throw new MpqemuException($"QEMU closed the channel instead of answering {command}");
            int cmd = BinaryPrimitives.ReadInt32LittleEndian(header);
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
            if (cmd != (int)MpqemuCommand.Ret)
                throw new MpqemuException($"QEMU answered {command} with command {cmd}, not RET");
            if (size != (withValue ? 8UL : 0UL) && size != 8)
                throw new MpqemuException($"QEMU's RET to {command} has {size} payload bytes (8 expected)");
            if (fds.Count != 0)
                throw new MpqemuException($"QEMU's RET to {command} carries {fds.Count} descriptors");
            if (size == 0)
                return 0;
            if (!socket.ReceiveExactly(value, fds, deadline))
                throw new MpqemuException($"QEMU closed the channel in the middle of its RET to {command}");
            return BinaryPrimitives.ReadUInt64LittleEndian(value);
        }
        catch (Exception e) when (e is PosixException or EndOfStreamException or ObjectDisposedException)
        {
            throw new MpqemuException($"receiving QEMU's answer to {command} failed: {e.Message}", e);
        }
        catch (TimeoutException)
        {
            throw new MpqemuException($"QEMU did not answer {command} within {replyTimeoutMs} ms");
        }
        finally
        {
            foreach (int fd in fds)
                LinuxShim.Posix.Libc.Close(fd);
        }
    }
}
