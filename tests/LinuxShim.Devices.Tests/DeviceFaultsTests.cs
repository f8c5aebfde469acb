// SPDX-License-Identifier: MIT
// Tests of the device server's fault hook (DeviceFaults, `device --faults`): each fault changes what
// the driver sees for its time and no longer after; bad input is refused.
using LinuxShim.Devices;
using LinuxShim.Devices.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed class DeviceFaultsTests
{
    private sealed class Model : IVfioDevice
    {
        public IDeviceBus? Bus;
        public int Writes, RepeatedReads, RepeatedWrites;
        public int RegionCount => 9;
        public VfioRegionInfo GetRegion(int index) => new(4096, true, true);
        public int IrqCount(int irqIndex) => 1;
        public void ReadRegion(int region, ulong offset, Span<byte> data) => data.Fill(0x12);
        public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data) => Writes++;
        public void ReadRegionRepeated(int region, ulong offset, int width, Span<byte> data)
        {
            RepeatedReads++;
            data.Fill(0x34);
        }
        public void WriteRegionRepeated(int region, ulong offset, int width, ReadOnlySpan<byte> data) => RepeatedWrites++;
        public void Reset() { }
        public void Attach(IDeviceBus bus) => Bus = bus;
    }

    private sealed class Bus : IDeviceBus
    {
        public readonly List<byte[]> Written = [];
        public readonly List<bool> Intx = [];
        public bool DmaRead(ulong address, Span<byte> data) => true;
        public bool DmaWrite(ulong address, ReadOnlySpan<byte> data)
        {
            Written.Add(data.ToArray());
            return true;
        }
        public void SetIntx(bool asserted)
        {
            lock (Intx)
                Intx.Add(asserted);
        }
        public void SignalMsi(int vector) { }
    }

    private static (DeviceFaults Faults, Model Model, Bus Bus) Make()
    {
        var model = new Model();
        var faults = new DeviceFaults(model);
        var bus = new Bus();
        faults.Attach(bus);
        return (faults, model, bus);
    }

    // A model whose DMA and INTx happen elsewhere (as QEMU's): the server must still find both through the
    // fault wrapper, and serve it as synchronous. Before, `inject --device qemu:...` gave QEMU no memory.
    private sealed class RemoteModel : IVfioDevice, IDmaWindowObserver, IIntxResampler
    {
        public int RegionCount => 9;
        public VfioRegionInfo GetRegion(int index) => new(4096, true, true);
        public int IrqCount(int irqIndex) => 1;
        public void ReadRegion(int region, ulong offset, Span<byte> data) => data.Clear();
        public void WriteRegion(int region, ulong offset, ReadOnlySpan<byte> data) { }
        public void Reset() { }
        public void Attach(IDeviceBus bus) { }
        public bool SynchronousModel => true;
        public int Mapping(ulong iova, ulong size, int fd, long fileOffset, bool writable, out string? why)
        {
            why = null;
            return 0;
        }
        public void Unmapped(ulong iova, ulong size) { }
        public void Cleared() { }
        public void IntxUnmasked() { }
    }

    [Fact]
    public void TheWrapperAnswersForTheModelItWraps()
    {
        var remote = new RemoteModel();
        IVfioDevice wrapped = new DeviceFaults(remote);
        Assert.True(wrapped.SynchronousModel);
        Assert.Same(remote, wrapped.DmaWindowObserver);
        Assert.Same(remote, wrapped.IntxResampler);

        // Our own models: neither, and posted writes.
        IVfioDevice plain = new DeviceFaults(new Model());
        Assert.False(plain.SynchronousModel);
        Assert.Null(plain.DmaWindowObserver);
        Assert.Null(plain.IntxResampler);
    }

    [Fact]
    public void RepeatedAccessesReachTheModelsOwnWayOutsideAFaultAndMeetTheFaultOneByOneDuringIt()
    {
        // Outside a fault the model does a data port's accesses its own (pipelined) way; during all_ones each
        // of them reads all ones and each write is dropped, as the single accesses are.
        var (faults, model, _) = Make();
        var data = new byte[16];
        faults.ReadRegionRepeated(0, 0x10, 4, data);
        faults.WriteRegionRepeated(0, 0x10, 4, data);
        Assert.Equal((1, 1), (model.RepeatedReads, model.RepeatedWrites));
        Assert.All(data, b => Assert.Equal(0x34, b));
        faults.Start("all_ones", 5000, 1);
        faults.ReadRegionRepeated(0, 0x10, 4, data);
        faults.WriteRegionRepeated(0, 0x10, 4, data);
        Assert.All(data, b => Assert.Equal(0xff, b));
        Assert.Equal((1, 1, 0), (model.RepeatedReads, model.RepeatedWrites, model.Writes));
        faults.Start("random_reads", 5000, 7);
        faults.ReadRegionRepeated(0, 0x10, 4, data);
        Assert.Equal(1, model.RepeatedReads);
        Assert.Contains(data, b => b != 0x34 && b != 0xff);
    }

    [Fact]
    public void AllOnesReadsAllOnesAndDropsWritesForItsTimeOnly()
    {
        var (faults, model, _) = Make();
        var data = new byte[4];
        faults.Start("all_ones", 200, 1);
        faults.ReadRegion(0, 0, data);
        Assert.All(data, b => Assert.Equal(0xff, b));
        faults.WriteRegion(0, 0, data);
        Assert.Equal(0, model.Writes);
        Thread.Sleep(300);
        faults.ReadRegion(0, 0, data);
        Assert.All(data, b => Assert.Equal(0x12, b));
        faults.WriteRegion(0, 0, data);
        Assert.Equal(1, model.Writes);
    }

    [Fact]
    public void BadDescriptorsScrambleSmallWriteBacksNotFrames()
    {
        var (faults, model, bus) = Make();
        faults.Start("bad_descriptors", 5000, 3);
        var descriptor = new byte[16];
        var frame = new byte[64];
        for (int i = 0; i < 20; i++)
            model.Bus!.DmaWrite(0x1000, descriptor);
        model.Bus!.DmaWrite(0x2000, frame);
        Assert.Contains(bus.Written.Take(20), w => w.Any(b => b != 0));
        Assert.All(bus.Written[20], b => Assert.Equal(0, b));
    }

    [Fact]
    public void AStormHoldsTheLineAndThenRestoresTheModelsLevel()
    {
        var (faults, model, bus) = Make();
        faults.Start("irq_storm", 100, 1);
        model.Bus!.SetIntx(false); // the model deasserts meanwhile: the line stays stuck
        Thread.Sleep(300);
        lock (bus.Intx)
        {
            Assert.True(bus.Intx[0]);
            Assert.False(bus.Intx[^1]); // back to what the model said
            Assert.DoesNotContain(false, bus.Intx.Take(bus.Intx.Count - 1));
        }
    }

    [Fact]
    public void UnknownKindsAndDurationsAreRefused()
    {
        var (faults, _, _) = Make();
        Assert.Throws<ArgumentException>(() => faults.Start("melt", 100, 1));
        Assert.Throws<ArgumentException>(() => faults.Start("all_ones", 0, 1));
        Assert.Throws<ArgumentException>(() => faults.Start("all_ones", 60_001, 1));
        Assert.Equal(0, faults.Started);
    }
}
