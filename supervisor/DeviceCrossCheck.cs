// SPDX-License-Identifier: MIT
// Managed side, the supervisor. A driver host's answers beside the device server's view of the NIC
// (devices/DeviceStatus.cs), which the host cannot forge. Two ways a driver stops working that neither
// crash nor hang nor a stopped transmit queue shows, each caught by what the device sees:
//  - carrier: the interface up without carrier while the cable has had link all along (a driver that
//    misread its link state once, during a glitch, waits for a link-change interrupt that never comes);
//  - receive: frames for the station keep arriving in the driver's ring, or finding it full, while the
//    driver passes none up (its receive interrupt masked for good, its ring pointers lost); or the NIC
//    keeps refusing frames addressed to its own station address (receiver off, address filter garbled,
//    ring unset) while the driver passes none up and goes on sending, so its interface is up and in use;
//  - transmit: the driver keeps taking frames from the stack while the device, with link, sends none
//    (a driver that believes its descriptors were sent, or rings a doorbell the device never heard),
//    which a stopped queue (the host's own tx_blocked_ms) does not show when the queue never stops.
// Each must last the stall time; a device status older than a second, or from a model that does not
// count what it stores (QEMU's), proves nothing.
using LinuxShim.Devices;

namespace LinuxShim.Supervisor;

/// <summary>A stall the cross-check found: its reason ("carrier", "receive") and the audit record's fields.</summary>
public sealed record DeviceStall(string Reason, (string Name, object? Value)[] Fields)
{
    /// <summary>The failure's name, as the supervisor reports it.</summary>
    public string Failure => $"{Reason} stall";
}

/// <summary>One host's cross-check; feed it every heartbeat's answer.</summary>
public sealed class DeviceCrossCheck(int carrierStallMs, int receiveStallMs, int transmitStallMs = 10_000)
{
    /// <summary>A status written longer ago than this is stale.</summary>
    public const int FreshMs = 1000;

    /// <summary>
    /// Frames that must have reached the ring (stored or found it full) meanwhile, or that the driver must have
    /// taken for sending: a few are a busy moment, not a stall.
    /// </summary>
    public const int OverflowedFrames = 16;

    private long rxFrames = -1;
    private long rxMovedAt;
    private long arrivedThen = -1; // the device's frames stored or overflowed when rx_frames last moved (-1: not read yet)
    private long refusedThen = -1; // the device's frames for the station refused then (-1: not read yet, or not known)
    private long xmitAtRx = -1;    // the host's frames handed to the driver then

    private long sentFrames = -1; // the device's frames sent when last seen, and when that count last moved
    private long sentMovedAt;
    private long xmitThen = -1;   // the host's frames handed to the driver then

    // Frames for the station that reached the ring: stored, or lost because it was full.
    private static long Arrived(DeviceStatus d) => d.FramesReceived + d.FramesOverflowed;

    /// <summary>
    /// One heartbeat: the host's time up without carrier, frames passed up and frames handed to the driver
    /// for sending so far (-1: not known), the device's status (null: none); a stall, or null.
    /// </summary>
    public DeviceStall? Observe(long nowMs, long carrierOffMs, long hostRxFrames, DeviceStatus? device, long hostXmitFrames = -1)
    {
        bool recent = device is { } d && nowMs - d.UpdatedMs < FreshMs;
        // Recent, and from a model that counts what it stores (QEMU's says -1: its ring is not ours to see).
        bool fresh = recent && device!.Value.FramesOverflowed >= 0;
        if (hostRxFrames != rxFrames)
        {
            rxFrames = hostRxFrames;
            rxMovedAt = nowMs;
            MarkReceive(fresh ? device : null, hostXmitFrames);
        }
        else if (arrivedThen < 0 && fresh)
        {
            MarkReceive(device, hostXmitFrames);
        }
        if (!fresh)
        {
            sentFrames = -1; // judged afresh from the next fresh status
            return recent ? Carrier(nowMs, carrierOffMs, device!.Value) : null;
        }
        var status = device!.Value;
        if (Carrier(nowMs, carrierOffMs, status) is { } carrier)
            return carrier;
        long silentMs = nowMs - rxMovedAt;
        if (arrivedThen >= 0 && Arrived(status) >= arrivedThen + OverflowedFrames && silentMs > receiveStallMs)
            return new DeviceStall("receive", [("rx_silent_ms", silentMs), ("frames_arrived", Arrived(status) - arrivedThen),
                ("frames_overflowed", status.FramesOverflowed), ("rx_frames", hostRxFrames), ("receive_stall_ms", receiveStallMs)]);
        // Refused frames count only while the driver keeps sending: an interface taken down refuses its traffic by design.
        if (refusedThen >= 0 && status.FramesRefused >= refusedThen + OverflowedFrames && silentMs > receiveStallMs
            && xmitAtRx >= 0 && hostXmitFrames >= xmitAtRx + OverflowedFrames)
            return new DeviceStall("receive", [("rx_silent_ms", silentMs), ("frames_refused", status.FramesRefused - refusedThen),
                ("xmit_frames", hostXmitFrames - xmitAtRx), ("rx_frames", hostRxFrames), ("receive_stall_ms", receiveStallMs)]);
        return Transmit(nowMs, carrierOffMs, hostXmitFrames, status);
    }

    // What the device had counted (null: nothing to go by) and the host had handed the driver when rx_frames last moved.
    private void MarkReceive(DeviceStatus? device, long hostXmitFrames)
    {
        arrivedThen = device is { } d ? Arrived(d) : -1;
        refusedThen = device?.FramesRefused ?? -1;
        xmitAtRx = hostXmitFrames;
    }

    private DeviceStall? Carrier(long nowMs, long carrierOffMs, DeviceStatus status)
    {
        long linked = status.LinkedForMs(nowMs);
        return carrierOffMs > carrierStallMs && linked > carrierStallMs
            ? new DeviceStall("carrier", [("carrier_off_ms", carrierOffMs), ("cable_linked_ms", linked), ("carrier_stall_ms", carrierStallMs)])
            : null;
    }

    // Frames handed to the driver while the device, with link and carrier, sent none: since the device's count last moved.
    private DeviceStall? Transmit(long nowMs, long carrierOffMs, long hostXmitFrames, DeviceStatus status)
    {
        if (hostXmitFrames < 0)
            return null;
        if (status.FramesSent != sentFrames || xmitThen < 0 || carrierOffMs > 0 || status.LinkedForMs(nowMs) == 0)
        {
            // The device sent, or the driver may not send (no carrier, no link): the clock starts again.
            sentFrames = status.FramesSent;
            sentMovedAt = nowMs;
            xmitThen = hostXmitFrames;
            return null;
        }
        long silentMs = nowMs - sentMovedAt;
        long taken = hostXmitFrames - xmitThen;
        return taken >= OverflowedFrames && silentMs > transmitStallMs
            ? new DeviceStall("transmit", [("device_tx_silent_ms", silentMs), ("frames_taken", taken), ("frames_sent", status.FramesSent),
                ("tx_stall_ms", transmitStallMs)])
            : null;
    }
}
