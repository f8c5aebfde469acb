// SPDX-License-Identifier: MIT
// Managed side. The proxy end of multi-process QEMU's channel to its device server (QEMU 7.2,
// include/hw/remote/mpqemu-link.h): each message is a 16-byte header (int cmd, padding, size_t size)
// and `size` bytes of payload, descriptors riding on the header as SCM_RIGHTS. Requests that QEMU
// answers get one RET message back (a u64); SYNC_SYSMEM and SET_IRQFD get none. QEMU is trusted
// like hardware but checked like input: a reply of the wrong kind or size, one carrying descriptors,
// or none within the timeout ends the channel with an MpqemuException naming what was wrong.
using System.Buffers.Binary;
using LinuxShim.Devices.Pci;
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

    /// <summary>
    /// Accesses one register (a data port) <paramref name="data"/>.Length / <paramref name="size"/> times in order:
    /// <paramref name="write"/> stores the successive values of <paramref name="data"/>, else the values read fill
    /// it. The requests go back to back, at most <see cref="Pipelined"/> at a time, and their answers are collected
    /// after them: QEMU handles its channel's messages one at a time, in order, answering each before it reads the
    /// next (hw/remote/message.c), so this is what the same accesses one round trip each would do, without the
    /// waits in between. A batch's answers must all arrive within the reply timeout.
    /// </summary>
    public void BarRepeat(ulong address, int size, bool memory, bool write, Span<byte> data)
    {
        if (size is not (1 or 2 or 4 or 8) || data.Length % size != 0)
            throw new ArgumentException($"{data.Length} bytes are not a whole number of {size}-byte accesses");
        var command = write ? MpqemuCommand.BarWrite : MpqemuCommand.BarRead;
        int total = data.Length / size;
        lock (exchange)
        {
            for (int first = 0; first < total; first += Pipelined)
            {
                int n = Math.Min(Pipelined, total - first);
                var requests = batch.AsSpan(0, n * (HeaderSize + BarSize));
                requests.Clear();
                for (int k = 0; k < n; k++)
                {
                    var m = requests.Slice(k * (HeaderSize + BarSize), HeaderSize + BarSize);
                    BinaryPrimitives.WriteInt32LittleEndian(m, (int)command);
                    BinaryPrimitives.WriteUInt64LittleEndian(m[8..], BarSize);
                    ulong value = write ? PciDevice.Gather(data.Slice((first + k) * size, size)) : 0;
                    EncodeBar(m[HeaderSize..], address, value, size, memory);
                }
                SendRaw(command, requests);
                var answers = batch.AsSpan(requests.Length, n * (HeaderSize + 8));
                ReceiveRaw(command, answers, $"{n} answers to");
                for (int k = 0; k < n; k++)
                {
                    var a = answers.Slice(k * (HeaderSize + 8), HeaderSize + 8);
                    CheckReturn(command, a, withValue: true);
                    if (!write)
                        PciDevice.Scatter(BinaryPrimitives.ReadUInt64LittleEndian(a[HeaderSize..]), data.Slice((first + k) * size, size));
                }
            }
        }
    }

    /// <summary>Requests <see cref="BarRepeat"/> has outstanding at most (40 bytes each, 24 for its answer: well inside a socket's buffers).</summary>
    public const int Pipelined = 512;

    private readonly byte[] batch = new byte[Pipelined * (HeaderSize + BarSize + HeaderSize + 8)];

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
        SendRaw(command, message, fds);
    }

    private void SendRaw(MpqemuCommand command, ReadOnlySpan<byte> messages, ReadOnlySpan<int> fds = default)
    {
        try
        {
            socket.Send(messages, fds);
        }
        catch (Exception e) when (e is PosixException or ObjectDisposedException)
        {
            throw new MpqemuException($"sending {command} to QEMU failed: {e.Message}", e);
        }
    }

    private ulong ReceiveReturn(MpqemuCommand command, bool withValue)
    {
        Span<byte> answer = stackalloc byte[HeaderSize + 8];
        ReceiveRaw(command, answer[..HeaderSize], "its answer to");
        if (CheckReturn(command, answer, withValue) == 0)
            return 0;
        ReceiveRaw(command, answer[HeaderSize..], "the rest of its RET to");
        return BinaryPrimitives.ReadUInt64LittleEndian(answer[HeaderSize..]);
    }

    /// <summary>Checks the RET header at the start of <paramref name="answer"/>; returns its payload size (0 or 8).</summary>
    private static ulong CheckReturn(MpqemuCommand command, ReadOnlySpan<byte> answer, bool withValue)
    {
        int cmd = BinaryPrimitives.ReadInt32LittleEndian(answer);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(answer[8..]);
        if (cmd != (int)MpqemuCommand.Ret)
            throw new MpqemuException($"QEMU answered {command} with command {cmd}, not RET");
        if (size != (withValue ? 8UL : 0UL) && size != 8)
            throw new MpqemuException($"QEMU's RET to {command} has {size} payload bytes (8 expected)");
        return size;
    }

    /// <summary>Fills <paramref name="buffer"/> from QEMU within the reply timeout; descriptors are refused.</summary>
    private void ReceiveRaw(MpqemuCommand command, Span<byte> buffer, string what)
    {
        var fds = new List<int>();
        try
        {
            if (!socket.ReceiveExactly(buffer, fds, Environment.TickCount64 + replyTimeoutMs))
                throw new MpqemuException($"QEMU closed the channel instead of sending {what} {command}");
            if (fds.Count != 0)
                throw new MpqemuException($"QEMU's RET to {command} carries {fds.Count} descriptors");
        }
        catch (Exception e) when (e is PosixException or EndOfStreamException or ObjectDisposedException)
        {
            throw new MpqemuException($"receiving {what} {command} from QEMU failed: {e.Message}", e);
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
