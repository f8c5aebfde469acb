// SPDX-License-Identifier: MIT
// Managed side. The doorbells a session handed out (VFIO_USER_DEVICE_GET_REGION_IO_FDS, as libvfio-user's
// shadow ioeventfds): for each register the model declares, an eventfd of the server's and an 8-byte slot
// of one shadow page (a memfd the server sealed against resizing). The client puts the value in the slot
// and signals the eventfd; the session's reading thread waits on the eventfds beside its socket and hands
// each rung doorbell's last value to the model as a register write. Descriptors are made on the session's
// first request for a region and closed when the session lets the device go.
using System.Buffers.Binary;
using LinuxShim.Posix;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.VfioUser;

internal sealed class Doorbells : IDisposable
{
    /// <summary>Slots of the shadow page: at most this many doorbells in all.</summary>
    public const int MaxDoorbells = 64;

    private const int ShadowSize = 4096, SlotSize = 8;

    private readonly Lock gate = new();
    private Bell[] bells = [];
    private SharedMemory? shadow;

    internal sealed record Bell(int Region, ulong Offset, int Size, EventFd Event, int Slot);

    /// <summary>The doorbells handed out so far (read without the lock by the session's thread).</summary>
    public Bell[] Current => Volatile.Read(ref bells);

    /// <summary>
    /// The DEVICE_GET_REGION_IO_FDS reply for BAR <paramref name="region"/>: its doorbells as shadow-ioeventfd
    /// sub-regions, their eventfds and then the shadow memfd in <paramref name="fds"/> (owned here: sent, not closed).
    /// When <paramref name="argsz"/> is too small for them, the reply gives the size needed and the count, no
    /// sub-region and no descriptor, as VFIO's argsz protocol has it.
    /// </summary>
    public int Describe(IVfioDevice device, uint region, uint argsz, byte[] reply, List<int> fds, out int length, out string? why)
    {
        length = 0;
        why = null;
        var declared = device.Doorbells((int)region);
        int count = declared.Count;
        uint needed = (uint)(VfioUserRegionIoFds.FixedSize + count * VfioUserSubRegionIoFd.FixedSize);
        if (count == 0 || argsz < needed)
        {
            length = new VfioUserRegionIoFds(needed, 0, region, (uint)count).Encode(reply);
            return 0;
        }
        lock (gate)
        {
            var mine = bells.Where(b => b.Region == (int)region).ToList();
            if (mine.Count == 0)
            {
                if (bells.Length + count > MaxDoorbells)
                {
                    why = $"DEVICE_GET_REGION_IO_FDS: more than {MaxDoorbells} doorbells";
                    return Errno.ENOSPC;
                }
                shadow ??= SharedMemory.Create("linuxshim-doorbells", ShadowSize);
                foreach (var d in declared)
                {
                    if (d.Size is not (1 or 2 or 4 or 8))
                        throw new InvalidOperationException($"doorbell at 0x{d.Offset:x} of region {region}: size {d.Size}");
                    mine.Add(new Bell((int)region, d.Offset, d.Size, new EventFd(), bells.Length + mine.Count));
                }
                Volatile.Write(ref bells, [.. bells, .. mine]);
            }
            int at = VfioUserRegionIoFds.FixedSize;
            for (int i = 0; i < mine.Count; i++)
            {
                var b = mine[i];
                new VfioUserSubRegionIoFd(b.Offset, (ulong)b.Size, (uint)i, VfioAbi.IoFdTypeIoeventfdShadow, 0,
                    (uint)mine.Count, (ulong)(b.Slot * SlotSize), 0).Encode(reply.AsSpan(at));
                at += VfioUserSubRegionIoFd.FixedSize;
                fds.Add(b.Event.Handle);
            }
            fds.Add(shadow!.Handle);
            new VfioUserRegionIoFds(needed, 0, region, (uint)mine.Count).Encode(reply);
            length = at;
            return 0;
        }
    }

    /// <summary>
    /// Every doorbell rung since the last call, with the value its slot holds now (the last one written), in the
    /// order they were declared; <paramref name="ring"/> gets region, offset and the value's bytes. One poll tells
    /// which were rung (not a read of each eventfd); <paramref name="polled"/>, when given, is a poll already made
    /// of <see cref="Current"/>'s eventfds in order, whose answer is used instead.
    /// </summary>
    public unsafe int Ring(RingAction ring, ReadOnlySpan<Libc.PollFd> polled = default)
    {
        var current = Current;
        if (current.Length == 0)
            return 0;
        Libc.PollFd* mine = stackalloc Libc.PollFd[current.Length];
        if (polled.IsEmpty)
        {
            for (int i = 0; i < current.Length; i++)
                mine[i] = new Libc.PollFd { Fd = current[i].Event.Handle, Events = Libc.POLLIN };
            if (Libc.Poll(mine, (nuint)current.Length, 0) <= 0)
                return 0;
            polled = new ReadOnlySpan<Libc.PollFd>(mine, current.Length);
        }
        int rung = 0;
        Span<byte> value = stackalloc byte[SlotSize];
        for (int i = 0; i < current.Length && i < polled.Length; i++)
        {
            var b = current[i];
            if ((polled[i].Revents & Libc.POLLIN) == 0 || b.Event.Consume() == 0)
                continue;
            var memory = shadow;
            if (memory is null)
                continue;
            BinaryPrimitives.WriteUInt64LittleEndian(value, BinaryPrimitives.ReadUInt64LittleEndian(memory.AsSpan(b.Slot * SlotSize, SlotSize)));
            ring(b.Region, b.Offset, value[..b.Size]);
            rung++;
        }
        return rung;
    }

    internal delegate void RingAction(int region, ulong offset, ReadOnlySpan<byte> value);

    /// <summary>The session ended: its descriptors are closed (the client's copies ring nothing any more).</summary>
    public void Clear()
    {
        Bell[] old;
        SharedMemory? memory;
        lock (gate)
        {
            old = bells;
            memory = shadow;
            Volatile.Write(ref bells, []);
            shadow = null;
        }
        foreach (var b in old)
            b.Event.Dispose();
        memory?.Dispose();
    }

    public void Dispose() => Clear();
}
