// SPDX-License-Identifier: MIT
// Managed side. Base of the emulated PCI functions: configuration space, BAR dispatch (every access
// split into naturally aligned 1/2/4-byte register accesses), DMA gated by bus mastering, the
// interrupt output (INTx level, or an MSI message on a rising edge when MSI is enabled), and fault
// containment: a model exception puts the function in an error state until function-level reset.
// All model state is guarded by one lock, Sync.
using LinuxShim.Devices.VfioUser;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Pci;

public abstract class PciDevice : IVfioDevice
{
    private readonly PciBar[] bars;
    private IDeviceBus? bus;
    private bool irqLevel;
    private Exception? fault;
    private Exception? firstFault;
    private long faultCount;

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

    /// <summary>
    /// The exception that put the device in its error state, or null while it works. In the error state
    /// BAR reads return all ones, BAR writes and frames from the cable are dropped and the interrupt is
    /// deasserted; configuration space keeps working. <see cref="Reset"/> leaves the error state.
    /// </summary>
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

    public VfioRegionInfo GetRegion(int index)
    {
        if (index == VfioAbi.RegionConfig)
            return new VfioRegionInfo(PciConfigSpace.Size, true, true);
        if (index is >= 0 and < 6 && bars[index].Size != 0)
            return new VfioRegionInfo(bars[index].Size, true, true);
        return default;
    }

    public virtual int IrqCount(int irqIndex) => irqIndex is VfioAbi.IrqIntx or VfioAbi.IrqMsi ? 1 : 0;

    /// <summary>The registers of BAR <paramref name="region"/> a client may write through a doorbell (<see cref="VfioDoorbell"/>).</summary>
    public virtual IReadOnlyList<VfioDoorbell> Doorbells(int region) => [];

    /// <summary>The pages of BAR <paramref name="region"/> a client may map (<see cref="VfioMappedAreas"/>).</summary>
    public virtual VfioMappedAreas? MappedAreas(int region) => null;

    public void Attach(IDeviceBus deviceBus) => bus = deviceBus;

    /// <summary>
    /// Reads <paramref name="data"/>.Length bytes (any length, any offset) of a region. BAR accesses reach the
    /// model as naturally aligned 1, 2 or 4-byte register reads, lowest address first (see <see cref="AccessSize"/>);
    /// bytes outside the region, and every byte in the error state, read as all ones.
    /// </summary>
    public void ReadRegion(int region, ulong offset, Span<byte> data)
    {
        lock (Sync)
        {
            if (region == VfioAbi.RegionConfig)
            {
                Config.Read(ConfigOffset(offset), data);
                return;
            }
            data.Fill(0xFF);
            int length = InsideBar(region, offset, data.Length);
            if (fault is not null)
                return;
            try
            {
                foreach (var (i, size) in Split(offset, length))
                    Scatter(ReadBar(region, offset + (ulong)i, size), data.Slice(i, size));
            }
            catch (Exception e)
            {
                EnterErrorState(e);
                data.Fill(0xFF);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> (any length, any offset) to a region, split as <see cref="ReadRegion"/>
    /// splits reads; bytes outside the region, and every byte in the error state, are dropped.
    /// </summary>
    public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (Sync)
        {
            if (region == VfioAbi.RegionConfig)
            {
                var routing = (Config.MsiEnabled, Config.IntxDisabled);
                Config.Write(ConfigOffset(offset), data);
                if (routing != (Config.MsiEnabled, Config.IntxDisabled))
                    Contained(static d => d.RouteInterrupt(force: true));
                return;
            }
            int length = InsideBar(region, offset, data.Length);
            if (fault is not null)
                return;
            try
            {
                foreach (var (i, size) in Split(offset, length))
                    WriteBar(region, offset + (ulong)i, size, (uint)Gather(data.Slice(i, size)));
            }
            catch (Exception e)
            {
                EnterErrorState(e);
            }
        }
    }

    /// <summary>
    /// The register access that starts an access's remainder at <paramref name="at"/>: the widest of 4, 2, 1
    /// bytes that is naturally aligned there and fits in <paramref name="left"/> bytes. So an aligned 8-byte
    /// access is two 4-byte ones, low first; 3 bytes at offset 1 are 1 byte at 1 then 2 bytes at 2. A PCI
    /// data phase carries at most one DWORD with byte enables (PCI Local Bus 3.0, chapter 3), and the models'
    /// registers are written for the 1/2/4-byte accesses a CPU makes, so nothing wider or unaligned reaches them.
    /// </summary>
    internal static int AccessSize(ulong at, int left) =>
        left >= 4 && (at & 3) == 0 ? 4 : left >= 2 && (at & 1) == 0 ? 2 : 1;

    /// <summary>The register accesses (start in the data, size) that <paramref name="length"/> bytes at <paramref name="offset"/> split into.</summary>
    internal static IEnumerable<(int Index, int Size)> Split(ulong offset, int length)
    {
        for (int i = 0; i < length;)
        {
            int size = AccessSize(offset + (ulong)i, length - i);
            yield return (i, size);
            i += size;
        }
    }

    /// <summary>The little-endian value of up to 8 bytes.</summary>
    internal static ulong Gather(ReadOnlySpan<byte> bytes)
    {
        ulong v = 0;
        for (int b = 0; b < bytes.Length; b++)
            v |= (ulong)bytes[b] << (8 * b);
        return v;
    }

    /// <summary>Stores the low <paramref name="bytes"/>.Length bytes of <paramref name="value"/>, little-endian.</summary>
    internal static void Scatter(ulong value, Span<byte> bytes)
    {
        for (int b = 0; b < bytes.Length; b++)
            bytes[b] = (byte)(value >> (8 * b));
    }

    // Offsets past the 256-byte space all behave alike (nothing there), so clamping keeps them in int range.
    private static int ConfigOffset(ulong offset) => (int)Math.Min(offset, PciConfigSpace.Size);

    /// <summary>How many bytes of an access at <paramref name="offset"/> lie inside BAR <paramref name="region"/> (0 if none).</summary>
    private int InsideBar(int region, ulong offset, int length)
    {
        if (region is < 0 or >= 6 || bars[region].Size == 0 || offset >= bars[region].Size)
            return 0;
        return (int)Math.Min((ulong)length, bars[region].Size - offset);
    }

    /// <summary>Function-level reset: configuration space and model to power-on state, leaving any error state.</summary>
    public void Reset()
    {
        lock (Sync)
        {
            Config.Reset();
            fault = null;
            Contained(static d =>
            {
                d.ResetDevice();
                d.RouteInterrupt(force: true);
            });
        }
    }

    /// <summary>A register read of 1, 2 or 4 bytes, naturally aligned, inside BAR <paramref name="bar"/>; called under Sync.</summary>
    protected abstract uint ReadBar(int bar, ulong offset, int size);

    /// <summary>A register write of 1, 2 or 4 bytes, naturally aligned; called under Sync.</summary>
    protected abstract void WriteBar(int bar, ulong offset, int size, uint value);

    /// <summary>Puts the device registers in their power-on state; called under Sync.</summary>
    protected abstract void ResetDevice();

    /// <summary>Whether the device wants to interrupt (e.g. ISR &amp; IMR ≠ 0); evaluated after every change.</summary>
    protected abstract bool InterruptPending { get; }

    /// <summary>Whether a model exception has put the device in its error state; read under Sync.</summary>
    protected bool InErrorState => fault is not null;

    /// <summary>
    /// Contains <paramref name="e"/>, which the model threw: records it and enters the error state (interrupt
    /// deasserted, BARs read all ones) until <see cref="Reset"/>, as a PCI function that hit an internal error
    /// stops answering until reset instead of taking the machine down. Call under Sync.
    /// </summary>
    protected void EnterErrorState(Exception e)
    {
        faultCount++;
        firstFault ??= e;
        if (fault is not null)
            return;
        fault = e;
        OnErrorState();
        irqLevel = false;
        Config.InterruptStatus = false;
        bus?.SetIntx(false);
    }

    /// <summary>
    /// Runs model code that does not come from a region access (a timer tick, say) under Sync with fault
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
                RouteInterrupt(force: false);
            }
            catch (Exception e)
            {
                EnterErrorState(e);
            }
        }
    }

    private void Contained(Action<PciDevice> action)
    {
        try
        {
            action(this);
        }
        catch (Exception e)
        {
            EnterErrorState(e);
        }
    }

    /// <summary>What a subclass drops on entering the error state (held frames); called under Sync.</summary>
    private protected virtual void OnErrorState()
    {
    }

    /// <summary>Re-evaluates <see cref="InterruptPending"/> and drives INTx or sends MSI; call under Sync.</summary>
    protected void UpdateInterrupt() => RouteInterrupt(force: false);

    private void RouteInterrupt(bool force)
    {
        bool level = fault is null && InterruptPending; // a function in its error state drives no interrupt
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
