// SPDX-License-Identifier: MIT
// Managed side. What the emulated NICs share: a MAC address, a wire, link state, and a small
// receive FIFO that holds frames while the driver's ring is full (as the chips' own packet buffers do).
// Frames from the wire run the model under the same fault containment as region accesses (PciDevice).
using LinuxShim.Devices.Pci;
using LinuxShim.Devices.Wire;

namespace LinuxShim.Devices;

public enum ReceiveOutcome
{
    /// <summary>Written into the driver's ring.</summary>
    Delivered,

    /// <summary>Not for this station, receiver off, or malformed: gone.</summary>
    Dropped,

    /// <summary>No room in the ring now; keep it and try again when the driver frees space.</summary>
    NoRoom,
}

public abstract class NetworkDevice : PciDevice, INic
{
    /// <summary>Frames the receive FIFO holds while the ring is full.</summary>
    public const int HeldFrameLimit = 64;

    private readonly Queue<byte[]> held = new();
    private IWire? wire;
    private bool linkUp = true;
    private long droppedInErrorState;

    protected NetworkDevice(PciIdentity identity, MacAddress mac, params PciBar[] bars)
        : base(identity, bars)
    {
        Mac = mac;
    }

    /// <summary>The station address the EEPROM holds.</summary>
    public MacAddress Mac { get; }

    public long FramesSent { get; private set; }

    public long FramesReceived { get; private set; }

    /// <summary>Frames lost because the receive FIFO overflowed.</summary>
    public long FramesOverflowed { get; private set; }

    /// <summary>
    /// Frames addressed to <see cref="Mac"/> that the model refused (its receiver off, its filter set against them, a
    /// length it does not take): a driver that garbled its receive configuration turns away its own traffic, which a
    /// supervisor can see here and nowhere else.
    /// </summary>
    public long FramesRefused { get; private set; }

    /// <summary>
    /// Frames from the cable dropped because the device was in its error state (<see cref="PciDevice.Fault"/>),
    /// including the one whose handling put it there and any the receive FIFO held then.
    /// </summary>
    public long FramesDroppedInErrorState
    {
        get { lock (Sync) return droppedInErrorState; }
    }

    bool? INic.CableLinked => LinkUp;

    /// <summary>Cable plugged in. Changing it raises the chip's link-change interrupt.</summary>
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
                // The PHY follows the cable even in the error state, so the model's link view is right after reset.
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
            if (InErrorState)
            {
                droppedInErrorState++;
                return;
            }
            try
            {
                if (held.Count == 0 && TryReceive(frame) != ReceiveOutcome.NoRoom)
                    return;
                // The ring is full: the frame waits in the FIFO, or is lost when that is full too. Either
                // way the NIC tells the driver, as hardware does for every frame it cannot store.
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

    // A function in its error state has lost what its packet buffer held.
    private protected override void OnErrorState()
    {
        droppedInErrorState += held.Count;
        held.Clear();
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

    /// <summary>Retries held frames in order; call under Sync when the driver has freed ring space.</summary>
    protected void ReleaseHeldFrames()
    {
        while (held.Count > 0 && TryReceive(held.Peek()) != ReceiveOutcome.NoRoom)
            held.Dequeue();
    }

    /// <summary>Drops what the FIFO holds (reset).</summary>
    protected void ClearHeldFrames() => held.Clear();

    /// <summary>Filters and stores one frame (no FCS) into the driver's ring; called under Sync.</summary>
    protected abstract ReceiveOutcome ReceiveFrame(ReadOnlySpan<byte> frame);

    /// <summary>
    /// A frame found the receive ring full (it waits in the FIFO), or the FIFO full too (<paramref name="lost"/>):
    /// set the status bits and counters hardware sets; called under Sync.
    /// </summary>
    protected virtual void OnNoRoom(bool lost)
    {
    }

    /// <summary>Updates the PHY and status registers for a link change; called under Sync.</summary>
    protected abstract void OnLinkChanged(bool up);

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

    /// <summary>Frees what the model itself holds (memory it shares with clients).</summary>
    protected virtual void DisposeModel()
    {
    }
}
