// SPDX-License-Identifier: MIT
// Test side. One device model behind a real vfio-user server on a socketpair, a VfioUserClient on
// the other end, 1 MiB of shared DMA memory mapped at DmaBase, an INTx (or MSI) handler that
// counts interrupts, and the far end of the NIC's cable.
using LinuxShim.Devices;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Devices.Wire;
using LinuxShim.Posix;
using LinuxShim.Shim.Pci;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Devices.Tests;

internal sealed class DeviceHarness : IDisposable
{
    public const ulong DmaBase = 0x1000_0000;
    public const int DmaSize = 1 << 20;

    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;
    private readonly SemaphoreSlim intx = new(0);
    private readonly SemaphoreSlim msi = new(0);
    private readonly System.Collections.Concurrent.BlockingCollection<byte[]> fromDevice = [];

    public DeviceHarness(NetworkDevice device)
    {
        Device = device;
        Server = new VfioUserServer(device);
        var (clientEnd, serverEnd) = UnixSocket.CreatePair();
        serving = Server.ServeAsync(serverEnd, stop.Token);
        Client = new VfioUserClient(clientEnd);
        Memory = SharedMemory.Create("test-dma", DmaSize);
        Client.MapDma(DmaBase, DmaSize, Memory.Handle, 0, Memory.Address, writable: true);
        var (deviceEnd, farEnd) = InProcessWire.CreatePair();
        DeviceWire = deviceEnd;
        Peer = farEnd;
        Peer.Received += f => fromDevice.Add(f.ToArray());
        device.Connect(deviceEnd);
        Client.SetIrqHandler(PciIrqKind.Intx, 0, () => intx.Release());
        Client.SetIrqHandler(PciIrqKind.Msi, 0, () => msi.Release());
        Client.WriteConfig(0x04, 2, 0x0007); // I/O, memory, bus master
    }

    public NetworkDevice Device { get; }

    public VfioUserServer Server { get; }

    public VfioUserClient Client { get; }

    public SharedMemory Memory { get; }

    public InProcessWire DeviceWire { get; }

    /// <summary>The other end of the NIC's cable.</summary>
    public InProcessWire Peer { get; }

    /// <summary>Waits for one INTx interrupt; false on timeout.</summary>
    public bool WaitIntx(int timeoutMs = 2000) => intx.Wait(timeoutMs);

    public bool WaitMsi(int timeoutMs = 2000) => msi.Wait(timeoutMs);

    /// <summary>Drops interrupts counted so far.</summary>
    public void DrainInterrupts()
    {
        while (intx.Wait(0) || msi.Wait(0))
        {
        }
    }

    /// <summary>The next frame the device put on the wire, or null.</summary>
    public byte[]? NextSent(int timeoutMs = 2000) => fromDevice.TryTake(out var f, timeoutMs) ? f : null;

    public Span<byte> Dma(ulong iova, int length) => Memory.AsSpan((long)(iova - DmaBase), length);

    public uint Read(int bar, int offset, int size) => (uint)Client.ReadBar(bar, (ulong)offset, size);

    /// <summary>A register write, then a read (of the vendor id) that returns once the device has done it: memory-BAR writes are posted.</summary>
    public void Write(int bar, int offset, int size, uint value)
    {
        Client.WriteBar(bar, (ulong)offset, size, value);
        Client.ReadConfig(0, 2);
    }

    /// <summary>Polls until <paramref name="condition"/> holds (frames arrive on another thread).</summary>
    public static bool Eventually(Func<bool> condition, int timeoutMs = 2000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
                return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public void Dispose()
    {
        Client.Dispose();
        stop.Cancel();
        serving.Wait(5000);
        Server.Dispose();
        Peer.Dispose();
        DeviceWire.Dispose();
        Device.Dispose();
        Memory.Dispose();
    }
}
