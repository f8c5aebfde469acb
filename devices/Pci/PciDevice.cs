// SPDX-License-Identifier: MIT
// Managed side. Base of the emulated PCI functions: configuration space, BAR dispatch, DMA gated by
// bus mastering, and the interrupt output (INTx level, or an MSI message on a rising edge when MSI
// is enabled). All model state is guarded by one lock, Sync.
using LinuxShim.Devices.VfioUser;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Devices.Pci;

public abstract class PciDevice : IVfioDevice
{
    private readonly PciBar[] bars;
    private IDeviceBus? bus;
    private bool irqLevel;

    protected PciDevice(PciIdentity identity, params PciBar[] bars)
    {
        this.bars = new PciBar[6];
        bars.CopyTo(this.bars, 0);
        Config = new PciConfigSpace(identity, this.bars);
    }

    /// <summary>Guards all device state: region accesses, received frames, timers.</summary>
    protected object Sync { get; } = new();

    protected PciConfigSpace Config { get; }

    public int RegionCount => VfioAbi.PciRegionCount;

    /// <summary>DMA attempts refused (address not mapped, or bus mastering off).</summary>
    public long DmaFaults { get; private set; }

    /// <summary>Whether the device's interrupt output is asserted (before INTx/MSI routing).</summary>
    public bool InterruptAsserted
    {
        get { lock (Sync) return irqLevel; }
    }

    public VfioRegionInfo GetRegion(int index)
    {
        if (index == VfioAbi.RegionConfig)
            return new VfioRegionInfo(PciConfigSpace.Size, true, true);
        if (index is >= 0 and < 6 && bars[index].Size != 0)
            return new VfioRegionInfo(bars[index].Size, true, true);
        return default;
    }

    public virtual int IrqCount(int irqIndex) => irqIndex is VfioAbi.IrqIntx or VfioAbi.IrqMsi ? 1 : 0;

    public void Attach(IDeviceBus deviceBus) => bus = deviceBus;

    public void ReadRegion(int region, ulong offset, Span<byte> data)
    {
        lock (Sync)
        {
            if (region == VfioAbi.RegionConfig)
            {
                Config.Read((int)offset, data);
                return;
            }
            for (int i = 0; i < data.Length; i += 4)
            {
                int size = Math.Min(4, data.Length - i);
                uint v = ReadBar(region, offset + (ulong)i, size);
                for (int b = 0; b < size; b++)
                    data[i + b] = (byte)(v >> (8 * b));
            }
        }
    }

    public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (Sync)
        {
            if (region == VfioAbi.RegionConfig)
            {
                var routing = (Config.MsiEnabled, Config.IntxDisabled);
                Config.Write((int)offset, data);
                if (routing != (Config.MsiEnabled, Config.IntxDisabled))
                    RouteInterrupt(force: true);
                return;
            }
            for (int i = 0; i < data.Length; i += 4)
            {
                int size = Math.Min(4, data.Length - i);
                uint v = 0;
                for (int b = 0; b < size; b++)
                    v |= (uint)data[i + b] << (8 * b);
                WriteBar(region, offset + (ulong)i, size, v);
            }
        }
    }

    public void Reset()
    {
        lock (Sync)
        {
            Config.Reset();
            ResetDevice();
            RouteInterrupt(force: true);
        }
    }

    /// <summary>A register read of 1, 2 or 4 bytes inside BAR <paramref name="bar"/>; called under Sync.</summary>
    protected abstract uint ReadBar(int bar, ulong offset, int size);

    /// <summary>A register write of 1, 2 or 4 bytes; called under Sync.</summary>
    protected abstract void WriteBar(int bar, ulong offset, int size, uint value);

    /// <summary>Puts the device registers in their power-on state; called under Sync.</summary>
    protected abstract void ResetDevice();

    /// <summary>Whether the device wants to interrupt (e.g. ISR &amp; IMR ≠ 0); evaluated after every change.</summary>
    protected abstract bool InterruptPending { get; }

    /// <summary>Re-evaluates <see cref="InterruptPending"/> and drives INTx or sends MSI; call under Sync.</summary>
    protected void UpdateInterrupt() => RouteInterrupt(force: false);

    private void RouteInterrupt(bool force)
    {
        bool level = InterruptPending;
        if (level == irqLevel && !force)
            return;
        bool rising = level && !irqLevel;
        irqLevel = level;
        bool intx = level && !Config.MsiEnabled && !Config.IntxDisabled;
        Config.InterruptStatus = level;
        bus?.SetIntx(intx);
        if (rising && Config.MsiEnabled)
            bus?.SignalMsi(0);
    }

    protected bool DmaRead(ulong address, Span<byte> data)
    {
        if (bus is not null && Config.BusMaster && bus.DmaRead(address, data))
            return true;
        DmaFaults++;
        return false;
    }

    protected bool DmaWrite(ulong address, ReadOnlySpan<byte> data)
    {
        if (bus is not null && Config.BusMaster && bus.DmaWrite(address, data))
            return true;
        DmaFaults++;
        return false;
    }
}
