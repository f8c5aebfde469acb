// SPDX-License-Identifier: MIT
// Managed side. The device model's view of the bus it sits on: DMA into the client's memory
// (mapped shared memory, no messages) and its interrupt outputs.
namespace LinuxShim.Devices.VfioUser;

public interface IDeviceBus
{
    /// <summary>Copies from bus address <paramref name="address"/>; false when any byte is not mapped (readable).</summary>
    bool DmaRead(ulong address, Span<byte> data);

    /// <summary>Copies to bus address <paramref name="address"/>; false when any byte is not mapped writable.</summary>
    bool DmaWrite(ulong address, ReadOnlySpan<byte> data);

    /// <summary>Drives the INTx line (level-triggered).</summary>
    void SetIntx(bool asserted);

    /// <summary>Sends MSI vector <paramref name="vector"/>.</summary>
    void SignalMsi(int vector);
}
