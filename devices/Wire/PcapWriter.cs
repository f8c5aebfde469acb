// SPDX-License-Identifier: MIT
// Managed side. A classic libpcap capture file (magic a1b2c3d4, version 2.4, LINKTYPE_ETHERNET),
// flushed after every packet so tcpdump or Wireshark can read it while the device runs.
using System.Buffers.Binary;

namespace LinuxShim.Devices.Wire;

public sealed class PcapWriter : IDisposable
{
    public const int SnapLength = 65535;
    private const uint LinkTypeEthernet = 1;

    private readonly object sync = new();
    private readonly Stream stream;

    public PcapWriter(string path)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read))
    {
    }

    public PcapWriter(Stream stream)
    {
        this.stream = stream;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0); // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], LinkTypeEthernet);
        stream.Write(h);
        stream.Flush();
    }

    public long Packets { get; private set; }

    public void Write(ReadOnlySpan<byte> frame)
    {
        long micros = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        int captured = Math.Min(frame.Length, SnapLength);
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(micros / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(micros % 1_000_000));
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], captured);
        BinaryPrimitives.WriteInt32LittleEndian(h[12..], frame.Length);
        lock (sync)
        {
            stream.Write(h);
            stream.Write(frame[..captured]);
            stream.Flush();
            Packets++;
        }
    }

    public void Dispose()
    {
        lock (sync)
            stream.Dispose();
    }
}
