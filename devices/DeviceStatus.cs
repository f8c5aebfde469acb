// SPDX-License-Identifier: MIT
// Managed side. What the device server knows of its NIC that a supervisor can trust more than a
// driver host's word: whether the cable has link and since when, and the frames it moved. The server
// rewrites a small file with it ten times a second (`device --status FILE`); the supervisor reads it
// beside the host's answers, so that a driver that believes its link is down while the cable has had
// link all along is known to have stopped working, whatever it says.
//
// The file: 80 bytes, little-endian, rewritten in place by one pwrite: "LSDS", version 2, a sequence
// number at offset 8 and again at 72 (a reader that finds them different read a write half done and
// reads again), the link (-1 not known, 0 down, 1 up) at 16, then at 24 when it last changed, at 32 and
// 40 the frames sent and received (stored in the driver's ring), at 48 the frames that found the ring
// full and the receive FIFO too (lost for want of room), at 56 when the record was written
// (Environment.TickCount64 ms, a clock every process on the machine shares), at 64 the frames addressed
// to the station's own address that the NIC refused (its receiver off, or its address filter set to
// turn them away: what a driver that garbled its receive configuration leaves; -1 not known).
using System.Buffers.Binary;

namespace LinuxShim.Devices;

/// <summary>One reading of the device server's status.</summary>
/// <param name="CableLinked">Link on the cable (null: the model does not say).</param>
/// <param name="LinkSinceMs">When <paramref name="CableLinked"/> last changed (TickCount64 ms).</param>
/// <param name="UpdatedMs">When the record was written (TickCount64 ms).</param>
/// <param name="FramesOverflowed">Frames for the station lost because the driver's ring and the receive FIFO were full (-1: not known).</param>
/// <param name="FramesRefused">Frames addressed to the station's own address that the NIC refused: receiver off, or filtered out (-1: not known).</param>
public readonly record struct DeviceStatus(bool? CableLinked, long LinkSinceMs, long FramesSent, long FramesReceived, long FramesOverflowed, long UpdatedMs,
    long FramesRefused = -1)
{
    private const uint Magic = 0x5344534C; // "LSDS"
    private const uint Version = 2;
    public const int Size = 80;

    /// <summary>How long the cable has had link at <paramref name="nowMs"/> (0: no link, or not known).</summary>
    public long LinkedForMs(long nowMs) => CableLinked == true ? Math.Max(0, nowMs - LinkSinceMs) : 0;

    public void Encode(Span<byte> record, ulong sequence)
    {
        record[..Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], sequence);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], CableLinked switch { null => -1, false => 0, true => 1 });
        BinaryPrimitives.WriteInt64LittleEndian(record[24..], LinkSinceMs);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], FramesSent);
        BinaryPrimitives.WriteInt64LittleEndian(record[40..], FramesReceived);
        BinaryPrimitives.WriteInt64LittleEndian(record[48..], FramesOverflowed);
        BinaryPrimitives.WriteInt64LittleEndian(record[56..], UpdatedMs);
        BinaryPrimitives.WriteInt64LittleEndian(record[64..], FramesRefused);
        BinaryPrimitives.WriteUInt64LittleEndian(record[72..], sequence);
    }

    /// <summary>Decodes a record; null when it is not one, or was read while being written.</summary>
    public static DeviceStatus? Decode(ReadOnlySpan<byte> record)
    {
        if (record.Length < Size
            || BinaryPrimitives.ReadUInt32LittleEndian(record) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(record[4..]) != Version
            || BinaryPrimitives.ReadUInt64LittleEndian(record[8..]) != BinaryPrimitives.ReadUInt64LittleEndian(record[72..]))
            return null;
        bool? linked;
        switch (BinaryPrimitives.ReadInt32LittleEndian(record[16..]))
        {
            case -1: linked = null; break;
            case 0: linked = false; break;
            case 1: linked = true; break;
            default: return null;
        }
        return new DeviceStatus(linked, BinaryPrimitives.ReadInt64LittleEndian(record[24..]), BinaryPrimitives.ReadInt64LittleEndian(record[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[40..]), BinaryPrimitives.ReadInt64LittleEndian(record[48..]), BinaryPrimitives.ReadInt64LittleEndian(record[56..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[64..]));
    }

    /// <summary>The status in <paramref name="path"/>; null when there is none (yet), or it is not readable.</summary>
    public static DeviceStatus? Read(string path)
    {
        Span<byte> record = stackalloc byte[Size];
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            for (int attempt = 0; attempt < 3; attempt++) // a read that met a write half done is read again
                if (RandomAccess.Read(file, record, 0) == Size && Decode(record) is { } status)
                    return status;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}

/// <summary>Writes <see cref="DeviceStatus"/> of a NIC to a file every <see cref="Period"/> until disposed.</summary>
public sealed class DeviceStatusWriter : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    private readonly INic nic;
    private readonly string path;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle file;
    private readonly Timer timer;
    private readonly object gate = new();
    private readonly byte[] record = new byte[DeviceStatus.Size];
    private bool? linked;
    private long linkSince = Environment.TickCount64;
    private ulong sequence;
    private bool disposed;

    public DeviceStatusWriter(INic nic, string path)
    {
        this.nic = nic;
        this.path = path;
        file = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
        linked = nic.CableLinked;
        Write();
        timer = new Timer(_ => Write(), null, Period, Period);
    }

    /// <summary>Writes the status now (the timer does it every <see cref="Period"/>).</summary>
    public void Write()
    {
        lock (gate)
        {
            if (disposed)
                return;
            long now = Environment.TickCount64;
            bool? nowLinked = nic.CableLinked;
            if (nowLinked != linked)
            {
                linked = nowLinked;
                linkSince = now;
            }
            new DeviceStatus(linked, linkSince, nic.FramesSent, nic.FramesReceived, nic.FramesOverflowed, now, nic.FramesRefused).Encode(record, ++sequence);
            try
            {
                RandomAccess.Write(file, record, 0);
            }
            catch (IOException)
            {
                // A full or vanished runtime directory: the supervisor reads a stale record and ignores it.
            }
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
                return;
            disposed = true;
        }
        timer.Dispose();
        file.Dispose();
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
