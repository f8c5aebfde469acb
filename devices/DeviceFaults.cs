// SPDX-License-Identifier: MIT
// Managed side, the device server. A faulty device: wraps a device model and, for a while when asked,
// makes it misbehave as broken hardware does (fault injection campaigns, `linuxshim inject`): register
// reads of all ones (a surprise removal), register reads of random values, descriptors written back
// with wrong lengths and status, an interrupt line stuck asserted (a storm), a device that stops
// answering. The server's own checks stay in front of the model: nothing here lets a client do more.
using LinuxShim.Devices.VfioUser;

namespace LinuxShim.Devices;

public sealed class DeviceFaults : IVfioDevice
{
    /// <summary>The faults a device can be given.</summary>
    public static readonly IReadOnlyList<string> Kinds = ["all_ones", "random_reads", "bad_descriptors", "irq_storm", "unresponsive"];

    // Descriptor write-backs are small DMA writes (an 82540EM descriptor is 16 bytes, the RTL8139's
    // receive header 4); frame data is larger. Only the small ones are corrupted.
    private const int DescriptorBytes = 16;

    private readonly IVfioDevice inner;
    private readonly Lock gate = new();
    private Random random = new(1);
    private string? active;
    private long until; // Environment.TickCount64 at which the fault ends
    private bool intxLevel;
    private IDeviceBus? bus;

    public DeviceFaults(IVfioDevice inner) => this.inner = inner;

    /// <summary>Faults started so far.</summary>
    public int Started { get; private set; }

    /// <summary>
    /// Makes the device misbehave as <paramref name="kind"/> for <paramref name="ms"/> milliseconds from now,
    /// its random choices from <paramref name="seed"/>; replaces a fault still running.
    /// </summary>
    public void Start(string kind, int ms, int seed)
    {
        if (!Kinds.Contains(kind))
            throw new ArgumentException($"unknown device fault '{kind}' (one of {string.Join(", ", Kinds)})");
        if (ms is < 1 or > 60_000)
            throw new ArgumentException($"a device fault lasts 1 to 60000 ms, not {ms}");
        lock (gate)
        {
            random = new Random(seed);
            active = kind;
            until = Environment.TickCount64 + ms;
            Started++;
        }
        if (kind == "irq_storm")
        {
            var storm = new Thread(() => Storm(ms)) { IsBackground = true, Name = "device-fault-storm" };
            storm.Start();
        }
    }

    private string? Active
    {
        get
        {
            lock (gate)
            {
                if (active is not null && Environment.TickCount64 >= until)
                    active = null;
                return active;
            }
        }
    }

    // The line held asserted whatever the model says, and MSI sent back to back, until the fault ends.
    private void Storm(int ms)
    {
        var b = bus;
        if (b is null)
            return;
        long end = Environment.TickCount64 + ms;
        b.SetIntx(true);
        while (Environment.TickCount64 < end)
        {
            b.SignalMsi(0);
            Thread.Sleep(0);
        }
        lock (gate)
            b.SetIntx(intxLevel);
    }

    public int RegionCount => inner.RegionCount;

    public bool IsPlatform => inner.IsPlatform;

    public int IrqIndexCount => inner.IrqIndexCount;

    public VfioRegionInfo GetRegion(int index) => inner.GetRegion(index);

    public int IrqCount(int irqIndex) => inner.IrqCount(irqIndex);

    public void ReadRegion(int region, ulong offset, Span<byte> data)
    {
        switch (Active)
        {
            case "unresponsive":
                Hang();
                break;
            case "all_ones":
                data.Fill(0xff);
                return;
            case "random_reads" when region < 6: // the BARs; config space stays sane
                lock (gate)
                    random.NextBytes(data);
                return;
        }
        inner.ReadRegion(region, offset, data);
    }

    public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data)
    {
        switch (Active)
        {
            case "unresponsive":
                Hang();
                break;
            case "all_ones":
                return; // writes to a removed device go nowhere
        }
        inner.WriteRegion(region, offset, data);
    }

    // A data port read or written many times in one message: with no fault the model does the accesses its own
    // (faster) way; during a fault each access meets it one by one, as single accesses do. A fault that starts
    // while the model is doing them meets the next message, as one arriving in a burst the device had begun.
    public void ReadRegionRepeated(int region, ulong offset, int width, Span<byte> data)
    {
        if (Active is null)
            inner.ReadRegionRepeated(region, offset, width, data);
        else
            RepeatedAccess.ReadEach(this, region, offset, width, data);
    }

    public void WriteRegionRepeated(int region, ulong offset, int width, ReadOnlySpan<byte> data)
    {
        if (Active is null)
            inner.WriteRegionRepeated(region, offset, width, data);
        else
            RepeatedAccess.WriteEach(this, region, offset, width, data);
    }

    // A device that stops answering: the request waits until the fault is over (the client's timeout
    // decides what that means for it).
    private void Hang()
    {
        long left;
        lock (gate)
            left = until - Environment.TickCount64;
        if (left > 0)
            Thread.Sleep((int)left);
    }

    public void Reset() => inner.Reset();

    // What the server asks of the device it serves is asked of the model inside: a QEMU model must still hear
    // of every DMA window, drive its INTx line by resampling and be served as synchronous (the faults act on
    // register accesses and on the bus, which stay in front of it).
    public bool SynchronousModel => inner.SynchronousModel;

    // Doorbells reach the device through WriteRegion, so faults apply to them. Mapped pages would bypass the
    // faults (reads of a mapped register never reach WriteRegion/ReadRegion): a faulty device maps none.
    public IReadOnlyList<VfioDoorbell> Doorbells(int region) => inner.Doorbells(region);

    public IDmaWindowObserver? DmaWindowObserver => inner.DmaWindowObserver;

    public IIntxResampler? IntxResampler => inner.IntxResampler;

    public void Attach(IDeviceBus bus)
    {
        var faulty = new Bus(this, bus);
        this.bus = bus;
        inner.Attach(faulty);
    }

    private sealed class Bus(DeviceFaults owner, IDeviceBus bus) : IDeviceBus
    {
        public bool DmaRead(ulong address, Span<byte> data) => bus.DmaRead(address, data);

        public bool DmaWrite(ulong address, ReadOnlySpan<byte> data)
        {
            if (data.Length > DescriptorBytes || owner.Active != "bad_descriptors")
                return bus.DmaWrite(address, data);
            // A write-back with its length and status bytes scrambled.
            var bad = data.ToArray();
            lock (owner.gate)
            {
                int n = 1 + owner.random.Next(Math.Min(4, bad.Length));
                for (int i = 0; i < n; i++)
                    bad[owner.random.Next(bad.Length)] = (byte)owner.random.Next(256);
            }
            return bus.DmaWrite(address, bad);
        }

        public void SetIntx(bool asserted)
        {
            lock (owner.gate)
            {
                owner.intxLevel = asserted;
                if (owner.active == "irq_storm" && Environment.TickCount64 < owner.until)
                    return; // the line is stuck asserted meanwhile
            }
            bus.SetIntx(asserted);
        }

        public void SignalMsi(int vector) => bus.SignalMsi(vector);
    }
}
