// SPDX-License-Identifier: MIT
// Managed side, the supervisor. A driver host's answers beside the device server's view of the NIC
// (devices/DeviceStatus.cs), which the host cannot forge. Two ways a driver stops working that neither
// crash nor hang nor a stopped transmit queue shows, each caught by what the device sees:
//  - carrier: the interface up without carrier while the cable has had link all along (a driver that
//    misread its link state once, during a glitch, waits for a link-change interrupt that never comes);
//  - receive: frames for the station keep finding the driver's ring full while the driver passes none
//    up (its receive interrupt masked for good, its ring pointers lost).
// Each must last the stall time; a device status older than a second proves nothing.
using LinuxShim.Devices;

namespace LinuxShim.Supervisor;

/// <summary>A stall the cross-check found: its reason ("carrier", "receive") and the audit record's fields.</summary>
public sealed record DeviceStall(string Reason, (string Name, object? Value)[] Fields)
{
    /// <summary>The failure's name, as the supervisor reports it.</summary>
    public string Failure => $"{Reason} stall";
}

/// <summary>One host's cross-check; feed it every heartbeat's answer.</summary>
public sealed class DeviceCrossCheck(int carrierStallMs, int receiveStallMs)
{
    /// <summary>A status written longer ago than this is stale.</summary>
    public const int FreshMs = 1000;

    /// <summary>Frames that must have found the ring full meanwhile: a few lost are a busy moment, not a stall.</summary>
    public const int OverflowedFrames = 16;

    private long rxFrames = -1;
    private long rxMovedAt;
    private long overflowedThen = -1; // the device's count when rx_frames last moved (-1: not read yet)

    /// <summary>
    /// One heartbeat: the host's time up without carrier and frames passed up so far, the device's
    /// status (null: none); a stall, or null.
    /// </summary>
    public DeviceStall? Observe(long nowMs, long carrierOffMs, long hostRxFrames, DeviceStatus? device)
    {
        bool fresh = device is { } d && nowMs - d.UpdatedMs < FreshMs;
        if (hostRxFrames != rxFrames)
        {
            rxFrames = hostRxFrames;
            rxMovedAt = nowMs;
            overflowedThen = fresh ? device!.Value.FramesOverflowed : -1;
        }
        else if (overflowedThen < 0 && fresh)
        {
            overflowedThen = device!.Value.FramesOverflowed;
        }
        if (!fresh)
            return null;
        var status = device!.Value;
        long linked = status.LinkedForMs(nowMs);
        if (carrierOffMs > carrierStallMs && linked > carrierStallMs)
            return new DeviceStall("carrier", [("carrier_off_ms", carrierOffMs), ("cable_linked_ms", linked), ("carrier_stall_ms", carrierStallMs)]);
        long silentMs = nowMs - rxMovedAt;
        if (overflowedThen >= 0 && status.FramesOverflowed >= overflowedThen + OverflowedFrames && silentMs > receiveStallMs)
            return new DeviceStall("receive", [("rx_silent_ms", silentMs), ("frames_overflowed", status.FramesOverflowed - overflowedThen),
                ("rx_frames", hostRxFrames), ("receive_stall_ms", receiveStallMs)]);
        return null;
    }
}
