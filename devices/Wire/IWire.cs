// SPDX-License-Identifier: MIT
// Managed side. The cable side of an emulated NIC: whole Ethernet frames (no FCS) out and in.
namespace LinuxShim.Devices.Wire;

public delegate void FrameHandler(ReadOnlySpan<byte> frame);

public interface IWire : IDisposable
{
    /// <summary>Puts one frame on the wire. Never blocks for long; a frame the backend cannot take is dropped.</summary>
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>
    /// A frame arrived; raised on a thread the backend owns, one frame at a time. A handler that throws is
    /// counted in <see cref="HandlerFaults"/>; the other handlers still get the frame and the loop goes on.
    /// </summary>
    event FrameHandler? Received;

    /// <summary>Exceptions <see cref="Received"/> handlers threw, which the receive loop contained.</summary>
    long HandlerFaults { get; }

    /// <summary>The first exception a <see cref="Received"/> handler threw, for diagnosis; null if none.</summary>
    Exception? FirstHandlerFault { get; }

    /// <summary>What the wire is, for logs ("tap:ls0", "udp:127.0.0.1:5555").</summary>
    string Description { get; }
}
