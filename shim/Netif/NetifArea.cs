// SPDX-License-Identifier: MIT
// Managed side. The memory a netif client and a driver host share for one interface: a header, two
// frame rings (to the driver, from the driver) and four eventfds. The client creates it and hands
// the descriptors to the host (a capability: the host gets this memory and nothing else), and each
// side seals the memfd against shrinking, so neither can make the other fault on it.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Netif;

public sealed unsafe class NetifArea : IDisposable
{
    private const uint Magic = 0x494E534C; // "LSNI"
    private const uint Version = 1;
    private const int HeaderBytes = 64;
    private const int DataOffset = 4096;
    public const int DefaultSlots = 256, DefaultSlotSize = 2048;
    private const int MaxSlots = 1 << 16, MinSlotSize = 64, MaxSlotSize = 1 << 16;

    private readonly SharedMemory memory;
    private readonly EventFd[] events; // to-driver data, to-driver space, from-driver data, from-driver space

    private NetifArea(SharedMemory memory, EventFd[] events, uint slots, int slotSize)
    {
        this.memory = memory;
        this.events = events;
        byte* b = (byte*)memory.Address;
        long ringBytes = (long)slots * slotSize;
        ToDriver = new NetifRing(b + HeaderBytes, b + DataOffset, slots, slotSize, events[0], events[1]);
        FromDriver = new NetifRing(b + HeaderBytes + NetifRing.ControlBytes, b + DataOffset + ringBytes, slots, slotSize, events[2], events[3]);
    }

    /// <summary>Frames the client sends: the client produces, the driver host consumes.</summary>
    public NetifRing ToDriver { get; }

    /// <summary>Frames the driver passed up: the host produces, the client consumes.</summary>
    public NetifRing FromDriver { get; }

    /// <summary>The descriptors to pass to the other side: the memfd, then the four eventfds.</summary>
    public int[] Descriptors => [memory.Handle, .. events.Select(e => e.Handle)];

    private static long SizeFor(uint slots, int slotSize) => DataOffset + 2L * slots * slotSize;

    /// <summary>A new, empty area (the client's side).</summary>
    public static NetifArea Create(uint slots = DefaultSlots, int slotSize = DefaultSlotSize)
    {
        Validate(slots, slotSize);
        var memory = SharedMemory.Create("linuxshim-netif", SizeFor(slots, slotSize));
        Libc.Fcntl(memory.Handle, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK);
        var header = (uint*)memory.Address;
        header[0] = Magic;
        header[1] = Version;
        header[2] = slots;
        header[3] = (uint)slotSize;
        return new NetifArea(memory, [new EventFd(), new EventFd(), new EventFd(), new EventFd()], slots, slotSize);
    }

    /// <summary>
    /// The area a client passed (the host's side). Takes ownership of the five descriptors (closing
    /// them on failure); throws <see cref="NetifProtocolException"/> when they are not a valid area.
    /// </summary>
    public static NetifArea Adopt(IReadOnlyList<int> fds)
    {
        SharedMemory? memory = null;
        try
        {
            if (fds.Count != 5)
                throw new NetifProtocolException($"a netif area is 5 descriptors (memfd and 4 eventfds), got {fds.Count}");
            int memfd = fds[0];
            // Sealing first: once sealed, the file cannot shrink under our mapping.
            if (Libc.Fcntl(memfd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK) < 0)
                throw new NetifProtocolException("the netif memory is not a sealable memfd");
            long size = Libc.LSeek(memfd, 0, Libc.SEEK_END);
            if (size < DataOffset)
                throw new NetifProtocolException($"the netif memory is {size} bytes, less than its header");
            memory = SharedMemory.Map(memfd, 0, size, writable: true);
            var header = (uint*)memory.Address;
            uint magic = header[0], version = header[1], slots = header[2];
            int slotSize = (int)Math.Min(header[3], int.MaxValue);
            if (magic != Magic || version != Version)
                throw new NetifProtocolException($"the netif memory has magic {magic:x8} version {version}, expected {Magic:x8} {Version}");
            Validate(slots, slotSize);
            if (size < SizeFor(slots, slotSize))
                throw new NetifProtocolException($"the netif memory is {size} bytes; {slots} slots of {slotSize} need {SizeFor(slots, slotSize)}");
            var events = fds.Skip(1).Select(f => new EventFd(f)).ToArray();
            Libc.Close(memfd);
            return new NetifArea(memory, events, slots, slotSize);
        }
        catch
        {
            memory?.Dispose();
            foreach (int f in fds)
                Libc.Close(f);
            throw;
        }
    }

    private static void Validate(uint slots, int slotSize)
    {
        if (slots < 2 || slots > MaxSlots)
            throw new NetifProtocolException($"netif ring of {slots} slots (2..{MaxSlots})");
        if (slotSize < MinSlotSize || slotSize > MaxSlotSize || slotSize % 8 != 0)
            throw new NetifProtocolException($"netif slot of {slotSize} bytes ({MinSlotSize}..{MaxSlotSize}, a multiple of 8)");
    }

    public void Dispose()
    {
        memory.Dispose();
        foreach (var e in events)
            e.Dispose();
    }
}
