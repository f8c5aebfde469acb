// SPDX-License-Identifier: MIT
// Test side. Mapped register pages (VFIO_REGION_INFO_CAP_SPARSE_MMAP): a function whose second BAR page
// lives in a memfd the model shares, described by the server as the specification says (argsz protocol,
// the capability chain, one descriptor) and used by our client with plain loads and stores, no message.
using System.Buffers.Binary;
using LinuxShim.Devices.Pci;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed class MappedAreaTests : IDisposable
{
    /// <summary>A function with an 8 KiB memory BAR: page 0 registers by message, page 1 mapped (memory the model shares).</summary>
    private sealed class PagedDevice : PciDevice, IDisposable
    {
        public const uint BarSize = 0x2000, MappedAt = 0x1000;

        public PagedDevice()
            : base(new PciIdentity(0x1234, 0x5678, 1, 0xFF0000, 0x1234, 0x5678), new PciBar(BarSize, IsIo: false))
        {
        }

        public SharedMemory Page { get; } = SharedMemory.Create("test-registers", BarSize);

        public int Accesses;

        protected override uint ReadBar(int bar, ulong offset, int size)
        {
            Accesses++;
            return BinaryPrimitives.ReadUInt32LittleEndian(Page.AsSpan((long)offset & ~3, 4)) >> (8 * (int)(offset & 3));
        }

        protected override void WriteBar(int bar, ulong offset, int size, uint value)
        {
            Accesses++;
            if (size == 4)
                BinaryPrimitives.WriteUInt32LittleEndian(Page.AsSpan((long)offset, 4), value);
        }

        protected override void ResetDevice()
        {
        }

        protected override bool InterruptPending => false;

        public override VfioMappedAreas? MappedAreas(int region) =>
            region == 0 ? new VfioMappedAreas(Page.Handle, [(MappedAt, 0x1000)]) : null;

        public void Dispose() => Page.Dispose();
    }

    private readonly PagedDevice device = new();
    private readonly VfioUserServer server;
    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;
    private readonly VfioUserClient client;

    public MappedAreaTests()
    {
        server = new VfioUserServer(device);
        var (clientEnd, serverEnd) = UnixSocket.CreatePair();
        serving = server.ServeAsync(serverEnd, stop.Token);
        client = new VfioUserClient(clientEnd);
        client.WriteConfig(0x04, 2, 0x0002); // memory decoding
    }

    public void Dispose()
    {
        client.Dispose();
        stop.Cancel();
        serving.Wait(5000);
        server.Dispose();
        device.Dispose();
    }

    [Fact]
    public void The_client_maps_the_page_and_reaches_it_without_a_message()
    {
        Assert.Equal((1, 0), (client.Mapped.Areas, client.Mapped.Doorbells));
        Assert.Empty(client.Mapped.Notes);
        long messages = server.Messages;
        int accesses = device.Accesses;
        client.WriteBar(0, PagedDevice.MappedAt + 8, 4, 0xCAFE_F00D);
        Assert.Equal(0xCAFE_F00Du, BinaryPrimitives.ReadUInt32LittleEndian(device.Page.AsSpan(PagedDevice.MappedAt + 8, 4)));
        BinaryPrimitives.WriteUInt16LittleEndian(device.Page.AsSpan(PagedDevice.MappedAt + 0x10, 2), 0x5A5A);
        Assert.Equal(0x5A5Aul, client.ReadBar(0, PagedDevice.MappedAt + 0x10, 2));
        Assert.Equal(messages, server.Messages);
        Assert.Equal(accesses, device.Accesses); // the model's register code never ran

        client.WriteBar(0, 0x20, 4, 0x1111_2222); // page 0 is not mapped: a message, and the model's code
        Assert.Equal(0x1111_2222ul, client.ReadBar(0, 0x20, 4));
        Assert.True(server.Messages >= messages + 2);
        Assert.Equal(accesses + 2, device.Accesses);
    }

    [Fact]
    public async Task The_region_info_follows_the_argsz_protocol_and_carries_the_capability_and_one_descriptor()
    {
        using var paged = new PagedDevice();
        using var own = new VfioUserServer(paged);
        var (a, b) = UnixSocket.CreatePair();
        using var stopOwn = new CancellationTokenSource();
        var task = own.ServeAsync(b, stopOwn.Token);
        using var connection = new VfioUserConnection(a, 1 << 22);
        Exchange(connection, 0, VfioUserCommand.Version, [0, 0, 1, 0, .. "{}\0"u8.ToArray()], out _);

        var q = new byte[32];
        new VfioUserRegionInfo(32, 0, 0, 0, 0, 0).Encode(q);
        var first = Exchange(connection, 1, VfioUserCommand.DeviceGetRegionInfo, q, out var fds);
        Assert.Empty(fds);
        Assert.True(VfioUserRegionInfo.TryDecode(first, 0, out var small, out _, out string? why), why);
        const uint mmapCaps = VfioAbi.RegionInfoFlagMmap | VfioAbi.RegionInfoFlagCaps;
        Assert.Equal(mmapCaps, small.Flags & mmapCaps);
        Assert.Equal(32u + 8 + 8 + 16, small.Argsz);

        new VfioUserRegionInfo(small.Argsz, 0, 0, 0, 0, 0).Encode(q);
        var full = Exchange(connection, 2, VfioUserCommand.DeviceGetRegionInfo, q, out fds);
        try
        {
            Assert.Single(fds);
            Assert.True(VfioUserRegionInfo.TryDecode(full, 1, out var info, out _, out why), why);
            Assert.Equal(32u, info.CapOffset);
            Assert.True(VfioInfoCapHeader.TryDecode(full.AsSpan(32), out var cap, out var body, out why), why);
            Assert.Equal((VfioAbi.RegionInfoCapSparseMmap, VfioAbi.RegionInfoCapSparseMmapVersion, 0u), (cap.Id, cap.Version, cap.Next));
            Assert.True(VfioRegionSparseMmap.TryDecode(body, out var sparse, out var areas, out why), why);
            Assert.Equal(1u, sparse.NrAreas);
            Assert.True(VfioRegionSparseArea.TryDecode(areas, out var area, out why), why);
            Assert.Equal((PagedDevice.MappedAt, 0x1000ul), (area.Offset, area.Size));
        }
        finally
        {
            fds.ForEach(fd => Libc.Close(fd));
        }
        connection.Dispose();
        await stopOwn.CancelAsync();
        await task.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static byte[] Exchange(VfioUserConnection c, ushort id, VfioUserCommand command, byte[] payload, out List<int> fds)
    {
        c.Send(VfioUserHeader.NewCommand(id, command), payload);
        Assert.True(c.Socket.WaitReadable(5000));
        var m = c.Receive();
        Assert.NotNull(m);
        Assert.False(m.Header.IsError, $"{command} refused: {m.Header.Error}");
        fds = [.. m.Fds];
        return m.Payload.ToArray();
    }
}
