// SPDX-License-Identifier: MIT
// Managed side. The cable side of an emulated NIC: whole Ethernet frames (no FCS) out and in.
namespace LinuxShim.Devices.Wire;

public delegate void FrameHandler(ReadOnlySpan<byte> frame);

public interface IWire : IDisposable
{
    /// <summary>Puts one frame on the wire. Never blocks for long; a frame the backend cannot take is dropped.</summary>
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>A frame arrived; raised on a thread the backend owns, one frame at a time.</summary>
    event FrameHandler? Received;

    /// <summary>What the wire is, for logs ("tap:ls0", "udp:127.0.0.1:5555").</summary>
    string Description { get; }
}
