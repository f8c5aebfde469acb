// SPDX-License-Identifier: MIT
// Managed side. Base of a NIC on a platform bus: the MMIO block of a system-on-chip that a device tree
// describes, not a PCI function. What PciDevice and NetworkDevice give our PCI models, for such a device:
// MMIO regions by index (every access split into the naturally aligned register accesses a CPU makes and
// handed to the model as 32-bit registers with byte enables), DMA that is always on (there is no
// bus-master bit to gate it), one level-triggered interrupt line (served as IRQ index 0), fault
// containment (a model exception puts the device in an error state until reset), and the cable with a
// receive FIFO that holds frames while the driver's ring is full. All device state is guarded by Sync.
using LinuxShim.Devices.Pci;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;

namespace LinuxShim.Devices.Dwmac;

public abstract class PlatformNic : INic
{
    /// <summary>Frames the receive FIFO holds while the ring is full (as NetworkDevice's).</summary>
    public const int HeldFrameLimit = NetworkDevice.HeldFrameLimit;

    private readonly ulong[] regionSizes;
    private readonly Queue<byte[]> held = new();
    private IDeviceBus? bus;
    private IWire? wire;
    private bool irqLevel;
    private bool linkUp = true;
    private Exception? fault;
    private Exception? firstFault;
    private long faultCount, droppedInErrorState;

    /// <param name="mac">The station address the board gives the device.</param>
    /// <param name="regionSizes">The size of each MMIO region, by index (the device tree's reg entries).</param>
    protected PlatformNic(MacAddress mac, params ulong[] regionSizes)
    {
        Mac = mac;
        this.regionSizes = regionSizes;
    }

    /// <summary>Guards all device state: region accesses, received frames, timers.</summary>
    protected object Sync { get; } = new();

    /// <summary>The station address the board gives the device.</summary>
    public MacAddress Mac { get; }

    public bool IsPlatform => true;

    public int RegionCount => regionSizes.Length;

    /// <summary>One interrupt line, IRQ index 0.</summary>
    public int IrqIndexCount => 1;

    public VfioRegionInfo GetRegion(int index) =>
        index >= 0 && index < regionSizes.Length ? new VfioRegionInfo(regionSizes[index], true, true) : default;

    public int IrqCount(int irqIndex) => irqIndex == 0 ? 1 : 0;

    public void Attach(IDeviceBus deviceBus) => bus = deviceBus;

    public long FramesSent { get; private set; }

    public long FramesReceived { get; private set; }

    /// <summary>Frames lost because the receive FIFO overflowed.</summary>
    public long FramesOverflowed { get; private set; }

    /// <summary>Frames addressed to <see cref="Mac"/> that the model refused (receiver off, filtered out, malformed).</summary>
    public long FramesRefused { get; private set; }

    /// <summary>DMA attempts that failed (an address the client has not mapped).</summary>
    public long DmaFaults { get; private set; }

    /// <summary>Frames from the cable dropped because the device was in its error state.</summary>
    public long FramesDroppedInErrorState
    {
        get { lock (Sync) return droppedInErrorState; }
    }

    /// <summary>Whether the interrupt line is asserted.</summary>
    public bool InterruptAsserted
    {
        get { lock (Sync) return irqLevel; }
    }

    /// <summary>The exception that put the device in its error state, or null while it works (see PciDevice.Fault).</summary>
    public Exception? Fault
    {
        get { lock (Sync) return fault; }
    }

    /// <summary>Exceptions the device model threw and the device contained, over its whole life.</summary>
    public long FaultCount
    {
        get { lock (Sync) return faultCount; }
    }

    /// <summary>The first exception the device model ever threw (kept across resets, for diagnosis).</summary>
    public Exception? FirstFault
    {
        get { lock (Sync) return firstFault; }
    }

    bool? INic.CableLinked => LinkUp;

    /// <summary>Cable plugged in. Changing it raises the PHY's and MAC's link-change status.</summary>
    public bool LinkUp
    {
        get { lock (Sync) return linkUp; }
        set
        {
            lock (Sync)
            {
                if (linkUp == value)
                    return;
                linkUp = value;
                try
                {
                    OnLinkChanged(value);
                    UpdateInterrupt();
                }
                catch (Exception e)
                {
                    EnterErrorState(e);
                }
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="data"/>.Length bytes (any length, any offset) of a region, as naturally aligned 1, 2 or
    /// 4-byte accesses lowest first, each a read of the 32-bit register it falls in; bytes outside the region, and
    /// every byte in the error state, read as all ones.
    /// </summary>
    public void ReadRegion(int region, ulong offset, Span<byte> data)
    {
        lock (Sync)
        {
            data.Fill(0xFF);
            int length = Inside(region, offset, data.Length);
            if (fault is not null)
                return;
            try
            {
                foreach (var (i, size) in PciDevice.Split(offset, length))
                {
                    ulong at = offset + (ulong)i;
                    int shift = 8 * (int)(at & 3);
                    PciDevice.Scatter(ReadRegister(region, at & ~3ul) >> shift, data.Slice(i, size));
                }
                UpdateInterrupt(); // a read may clear status (read-to-clear registers)
            }
            catch (Exception e)
            {
                EnterErrorState(e);
                data.Fill(0xFF);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> (any length, any offset), split as <see cref="ReadRegion"/> splits reads: each
    /// piece a write of its 32-bit register with the byte enables of its bytes; bytes outside the region, and every
    /// byte in the error state, are dropped.
    /// </summary>
    public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (Sync)
        {
            int length = Inside(region, offset, data.Length);
            if (fault is not null)
                return;
            try
            {
                foreach (var (i, size) in PciDevice.Split(offset, length))
                {
                    ulong at = offset + (ulong)i;
                    int shift = 8 * (int)(at & 3);
                    uint value = (uint)PciDevice.Gather(data.Slice(i, size)) << shift;
                    uint enables = (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1) << shift;
                    WriteRegister(region, at & ~3ul, value, enables);
                }
                UpdateInterrupt();
            }
            catch (Exception e)
            {
                EnterErrorState(e);
            }
        }
    }

    private int Inside(int region, ulong offset, int length)
    {
        if (region < 0 || region >= regionSizes.Length || offset >= regionSizes[region])
            return 0;
        return (int)Math.Min((ulong)length, regionSizes[region] - offset);
    }

    /// <summary>Power-on reset (the client's DEVICE_RESET): model to power-on state, leaving any error state.</summary>
    public void Reset()
    {
        lock (Sync)
        {
            fault = null;
            held.Clear();
            try
            {
                ResetDevice();
                UpdateInterrupt();
            }
            catch (Exception e)
            {
                EnterErrorState(e);
            }
            bus?.SetIntx(irqLevel);
        }
    }

    /// <summary>Reads the 32-bit register at <paramref name="offset"/> (a multiple of 4) of a region; called under Sync.</summary>
    protected abstract uint ReadRegister(int region, ulong offset);

    /// <summary>
    /// Writes the bytes of the 32-bit register at <paramref name="offset"/> that <paramref name="enables"/> selects
    /// (0xFF per byte written) with those of <paramref name="value"/>; called under Sync.
    /// </summary>
    protected abstract void WriteRegister(int region, ulong offset, uint value, uint enables);

    /// <summary>Puts the device in its power-on state; called under Sync.</summary>
    protected abstract void ResetDevice();

    /// <summary>Whether the device drives its interrupt line; evaluated after every change.</summary>
    protected abstract bool InterruptPending { get; }

    /// <summary>Filters and stores one frame (no FCS) into the driver's ring; called under Sync.</summary>
    protected abstract ReceiveOutcome ReceiveFrame(ReadOnlySpan<byte> frame);

    /// <summary>A frame found the ring full (it waits in the FIFO) or the FIFO full too (<paramref name="lost"/>); called under Sync.</summary>
    protected virtual void OnNoRoom(bool lost)
    {
    }

    /// <summary>Updates the PHY and status registers for a link change; called under Sync.</summary>
    protected abstract void OnLinkChanged(bool up);

    /// <summary>Whether a model exception has put the device in its error state; read under Sync.</summary>
    protected bool InErrorState => fault is not null;

    /// <summary>
    /// Contains <paramref name="e"/>, which the model threw: the device stops answering (registers read all ones,
    /// writes and frames dropped, interrupt deasserted) until <see cref="Reset"/>, as hardware that hit an internal
    /// error does, instead of taking the server down. Call under Sync.
    /// </summary>
    protected void EnterErrorState(Exception e)
    {
        faultCount++;
        firstFault ??= e;
        if (fault is not null)
            return;
        fault = e;
        droppedInErrorState += held.Count;
        held.Clear();
        irqLevel = false;
        bus?.SetIntx(false);
    }

    /// <summary>
    /// Runs model code that does not come from a region access or a frame (a timer) under Sync with fault
    /// containment; does nothing in the error state. Re-evaluates the interrupt afterwards.
    /// </summary>
    protected void RunContained(Action action)
    {
        lock (Sync)
        {
            if (fault is not null)
                return;
            try
            {
                action();
                UpdateInterrupt();
            }
            catch (Exception e)
            {
                EnterErrorState(e);
            }
        }
    }

    /// <summary>Re-evaluates <see cref="InterruptPending"/> and drives the line; call under Sync.</summary>
    protected void UpdateInterrupt()
    {
        bool level = fault is null && InterruptPending;
        if (level == irqLevel)
            return;
        irqLevel = level;
        bus?.SetIntx(level);
    }

    protected bool DmaRead(ulong address, Span<byte> data)
    {
        if (bus is not null && bus.DmaRead(address, data))
            return true;
        DmaFaults++;
        return false;
    }

    protected bool DmaWrite(ulong address, ReadOnlySpan<byte> data)
    {
        if (bus is not null && bus.DmaWrite(address, data))
            return true;
        DmaFaults++;
        return false;
    }

    /// <summary>Plugs the NIC into <paramref name="cable"/> (replacing any earlier wire, which is not closed).</summary>
    public void Connect(IWire cable)
    {
        lock (Sync)
        {
            if (wire is not null)
                wire.Received -= OnWireFrame;
            wire = cable;
            cable.Received += OnWireFrame;
        }
    }

    /// <summary>A frame from the wire, or injected by a test. Never throws: a model exception is contained.</summary>
    public void Receive(ReadOnlySpan<byte> frame)
    {
        lock (Sync)
        {
            if (fault is not null)
            {
                droppedInErrorState++;
                return;
            }
            try
            {
                // Frames waiting in the FIFO go first: their arrival makes a DMA that had no buffer look again.
                ReleaseHeldFrames();
                if (held.Count == 0 && TryReceive(frame) != ReceiveOutcome.NoRoom)
                    return;
                bool lost = held.Count >= HeldFrameLimit;
                if (lost)
                    FramesOverflowed++;
                else
                    held.Enqueue(frame.ToArray());
                OnNoRoom(lost);
                UpdateInterrupt();
            }
            catch (Exception e)
            {
                EnterErrorState(e);
                droppedInErrorState++;
            }
        }
    }

    private void OnWireFrame(ReadOnlySpan<byte> frame) => Receive(frame);

    private ReceiveOutcome TryReceive(ReadOnlySpan<byte> frame)
    {
        var outcome = ReceiveFrame(frame);
        if (outcome == ReceiveOutcome.Delivered)
            FramesReceived++;
        else if (outcome == ReceiveOutcome.Dropped && linkUp && Mac.Matches(frame))
            FramesRefused++;
        UpdateInterrupt();
        return outcome;
    }

    /// <summary>Retries held frames in order; call under Sync when the driver has given the device ring space.</summary>
    protected void ReleaseHeldFrames()
    {
        while (held.Count > 0 && TryReceive(held.Peek()) != ReceiveOutcome.NoRoom)
            held.Dequeue();
    }

    /// <summary>Frames the FIFO holds.</summary>
    protected int HeldFrames => held.Count;

    /// <summary>Drops what the FIFO holds (a reset).</summary>
    protected void ClearHeldFrames() => held.Clear();

    /// <summary>Puts a frame the driver gave on the wire; call under Sync.</summary>
    protected void Transmit(ReadOnlySpan<byte> frame)
    {
        FramesSent++;
        wire?.Send(frame);
    }

    public void Dispose()
    {
        lock (Sync)
        {
            if (wire is not null)
                wire.Received -= OnWireFrame;
            wire = null;
        }
        DisposeModel();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees what the model itself holds (timers).</summary>
    protected virtual void DisposeModel()
    {
    }
}
