// SPDX-License-Identifier: MIT
// Managed side. What `linuxshim device` and the driver stacks need of any NIC they serve, whether
// its model is ours (NetworkDevice) or QEMU's (Qemu.QemuNic): a vfio-user device with a cable.
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;

namespace LinuxShim.Devices;

public interface INic : IVfioDevice, IDisposable
{
    /// <summary>Plugs the NIC into <paramref name="cable"/> (replacing any earlier wire, which is not closed).</summary>
    void Connect(IWire cable);

    /// <summary>Frames the NIC put on its cable.</summary>
    long FramesSent { get; }

    /// <summary>Frames from its cable the NIC took in.</summary>
    long FramesReceived { get; }

    /// <summary>Frames for the NIC lost because the driver's ring and the receive FIFO were full (-1: not known).</summary>
    long FramesOverflowed { get; }

    /// <summary>Frames addressed to the NIC's own station address that it refused: receiver off, or filtered out (-1: not known).</summary>
    long FramesRefused { get; }

    /// <summary>Whether the NIC's PHY has link on its cable (null: the model does not say).</summary>
    bool? CableLinked { get; }
}
