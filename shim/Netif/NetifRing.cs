// SPDX-License-Identifier: MIT
// Managed side. One single-producer/single-consumer ring of Ethernet frames in memory two processes
// share. Indices run freely (mod 2^32) and each side writes only its own; a sleeping side sets its
// "waiting" flag and the other side signals an eventfd only then, so a busy ring costs no system
// calls. The other side may be hostile: every index and length read from shared memory is read once
// and checked before use, and a bad one is reported, never followed.
using LinuxShim.Posix;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Shim.Netif;

/// <summary>The peer broke the ring protocol (an index or a length out of range).</summary>
public class NetifProtocolException(string message) : Exception(message);

/// <summary>A control message arrived whole but its content is malformed (the stream is still in step).</summary>
public sealed class NetifBadMessageException(string message) : NetifProtocolException(message);

public sealed unsafe class NetifRing
{
    // Ring control block: four cache lines, each written by one side only.
    private const int ProducerOffset = 0, ConsumerOffset = 64, ConsumerWaitingOffset = 128, ProducerWaitingOffset = 192;
    public const int ControlBytes = 256;
    private const int LengthBytes = 4;

    private readonly byte* control;
    private readonly byte* slots;
    private readonly uint slotCount;
    private readonly int slotSize;
    private readonly EventFd dataReady;  // producer → consumer: frames arrived
    private readonly EventFd spaceReady; // consumer → producer: slots freed
    private uint producer, consumer;     // this side's own copy of the index it owns
    private uint published;              // the producer index the consumer was last shown

    internal NetifRing(byte* control, byte* slots, uint slotCount, int slotSize, EventFd dataReady, EventFd spaceReady)
    {
        this.control = control;
        this.slots = slots;
        this.slotCount = slotCount;
        this.slotSize = slotSize;
        this.dataReady = dataReady;
        this.spaceReady = spaceReady;
        producer = Volatile.Read(ref *(uint*)(control + ProducerOffset));
        published = producer;
        consumer = Volatile.Read(ref *(uint*)(control + ConsumerOffset));
    }

    /// <summary>The largest frame a slot holds.</summary>
    public int MaxFrame => slotSize - LengthBytes;

    public uint Capacity => slotCount;

    private ref uint SharedProducer => ref *(uint*)(control + ProducerOffset);
    private ref uint SharedConsumer => ref *(uint*)(control + ConsumerOffset);
    private ref uint ConsumerWaiting => ref *(uint*)(control + ConsumerWaitingOffset);
    private ref uint ProducerWaiting => ref *(uint*)(control + ProducerWaitingOffset);

    // ---- producer side ----

    /// <summary>
    /// Copies <paramref name="frame"/> into the next slot; false when the ring is full. With
    /// <paramref name="publish"/> false the consumer sees it only at the next <see cref="Publish"/> (or the
    /// next published write), so a batch costs one index update and at most one wake-up.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> frame, bool publish = true)
    {
        if (frame.Length > MaxFrame)
            throw new ArgumentException($"frame of {frame.Length} bytes exceeds the ring's {MaxFrame}", nameof(frame));
        uint used = producer - Volatile.Read(ref SharedConsumer);
        if (used >= slotCount)
        {
            if (used > slotCount)
                throw new NetifProtocolException($"netif ring: consumer index ahead of the producer by {(int)-used}");
            return false;
        }
        byte* slot = slots + (long)(producer % slotCount) * slotSize;
        *(uint*)slot = (uint)frame.Length;
        frame.CopyTo(new Span<byte>(slot + LengthBytes, frame.Length));
        producer++;
        if (publish)
            Publish();
        return true;
    }

    /// <summary>Makes every frame written so far visible to the consumer, waking it if it sleeps.</summary>
    public void Publish()
    {
        if (published == producer)
            return;
        published = producer;
        Volatile.Write(ref SharedProducer, producer);
        Interlocked.MemoryBarrier(); // the index must be visible before we look at the consumer's flag
        if (Volatile.Read(ref ConsumerWaiting) != 0)
            dataReady.Signal();
    }

    /// <summary>Like <see cref="TryWrite"/>, waiting for space up to <paramref name="timeoutMs"/> (-1: forever).</summary>
    public bool Write(ReadOnlySpan<byte> frame, int timeoutMs, EventFd? cancel = null)
    {
        while (!TryWrite(frame))
        {
            Volatile.Write(ref ProducerWaiting, 1);
            Interlocked.MemoryBarrier();
            if (producer - Volatile.Read(ref SharedConsumer) < slotCount)
            {
                Volatile.Write(ref ProducerWaiting, 0);
                continue;
            }
            bool signalled = Wait(spaceReady, cancel, timeoutMs);
            Volatile.Write(ref ProducerWaiting, 0);
            if (!signalled)
                return false;
        }
        return true;
    }

    // ---- consumer side ----

    /// <summary>True when a frame is waiting.</summary>
    public bool HasData => Volatile.Read(ref SharedProducer) != consumer;

    /// <summary>
    /// Copies the next frame into <paramref name="buffer"/> (at least <see cref="MaxFrame"/> bytes) and
    /// returns its length; -1 when the ring is empty.
    /// </summary>
    public int TryRead(Span<byte> buffer)
    {
        uint p = Volatile.Read(ref SharedProducer);
        if (p == consumer)
            return -1;
        if (p - consumer > slotCount)
            throw new NetifProtocolException($"netif ring: producer index {p} is {p - consumer} slots ahead of a ring of {slotCount}");
        byte* slot = slots + (long)(consumer % slotCount) * slotSize;
        uint length = Volatile.Read(ref *(uint*)slot);
        if (length > (uint)MaxFrame || length > (uint)buffer.Length)
            throw new NetifProtocolException($"netif ring: frame length {length} exceeds the slot's {MaxFrame} bytes");
        new ReadOnlySpan<byte>(slot + LengthBytes, (int)length).CopyTo(buffer);
        consumer++;
        Volatile.Write(ref SharedConsumer, consumer);
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref ProducerWaiting) != 0)
            spaceReady.Signal();
        return (int)length;
    }

    /// <summary>
    /// Waits until a frame is waiting, <paramref name="cancel"/> is signalled or the timeout passes;
    /// true when there is a frame.
    /// </summary>
    public bool WaitForData(int timeoutMs, EventFd? cancel = null)
    {
        long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        while (true)
        {
            if (HasData)
                return true;
            Volatile.Write(ref ConsumerWaiting, 1);
            Interlocked.MemoryBarrier(); // publish the flag before the last look at the producer's index
            try
            {
                if (HasData)
                    return true;
                int left = timeoutMs < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
                // A signal can be stale (sent for frames already read while we looked): then look
                // again; no signal means the timeout passed or cancel fired.
                if (!Wait(dataReady, cancel, left))
                    return HasData;
            }
            finally
            {
                Volatile.Write(ref ConsumerWaiting, 0);
            }
        }
    }

    // Poll on the eventfd (and the cancel eventfd); true when the eventfd was signalled.
    private static bool Wait(EventFd ready, EventFd? cancel, int timeoutMs)
    {
        var p = stackalloc Libc.PollFd[2];
        p[0] = new Libc.PollFd { Fd = ready.Handle, Events = Libc.POLLIN };
        int n = 1;
        if (cancel is not null)
        {
            p[1] = new Libc.PollFd { Fd = cancel.Handle, Events = Libc.POLLIN };
            n = 2;
        }
        int r;
        while ((r = Libc.Poll(p, (nuint)n, timeoutMs)) < 0 && Errno.Last == Errno.EINTR)
        {
        }
        if (r <= 0 || (p[0].Revents & Libc.POLLIN) == 0)
            return false;
        ready.Consume();
        return true;
    }
}
