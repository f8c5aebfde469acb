// SPDX-License-Identifier: MIT
// Test side. Fault containment in PciDevice and NetworkDevice: a model that throws on demand (region
// access, frame, interrupt evaluation, timer, reset) puts the function in its error state — all-ones
// reads, writes and frames dropped, interrupt deasserted, configuration space alive — until reset.
using LinuxShim.Devices.Pci;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Tests;

public sealed class PciDeviceFaultTests
{
    public enum Failure { None, Read, Write, Frame, Pending, Timer, Reset, Link }

    /// <summary>
    /// A NIC with one register at BAR0 offset 0 (reads 0x12345678; a write sets the pending interrupt
    /// bits) that throws from the handler <see cref="Fail"/> names.
    /// </summary>
    private sealed class FaultyNic : NetworkDevice
    {
        private uint pending;

        public FaultyNic()
            : base(new PciIdentity(0x1234, 0x0001, 1, 0x020000, 0x1234, 0x0001), MacAddress.Default, new PciBar(0x100, IsIo: false))
        {
        }

        public Failure Fail { get; set; }

        public int Reads { get; private set; }

        public int Writes { get; private set; }

        public int Frames { get; private set; }

        private void Check(Failure where)
        {
            if (Fail == where)
                throw new InvalidOperationException($"model bug in {where}");
        }

        protected override uint ReadBar(int bar, ulong offset, int size)
        {
            Check(Failure.Read);
            Reads++;
            return 0x12345678;
        }

        protected override void WriteBar(int bar, ulong offset, int size, uint value)
        {
            Check(Failure.Write);
            Writes++;
            pending = value;
            UpdateInterrupt();
        }

        protected override void ResetDevice()
        {
            Check(Failure.Reset);
            pending = 0;
        }

        protected override bool InterruptPending
        {
            get
            {
                Check(Failure.Pending);
                return pending != 0;
            }
        }

        protected override ReceiveOutcome ReceiveFrame(ReadOnlySpan<byte> frame)
        {
            Check(Failure.Frame);
            Frames++;
            return ReceiveOutcome.Delivered;
        }

        protected override void OnLinkChanged(bool up) => Check(Failure.Link);

        /// <summary>What a timer callback would do: raise an interrupt.</summary>
        public void Tick() => RunContained(() =>
        {
            Check(Failure.Timer);
            pending |= 2;
        });
    }

    private sealed class RecordingBus : IDeviceBus
    {
        public bool Intx { get; private set; }

        public bool DmaRead(ulong address, Span<byte> data) => false;

        public bool DmaWrite(ulong address, ReadOnlySpan<byte> data) => false;

        public void SetIntx(bool asserted) => Intx = asserted;

        public void SignalMsi(int vector)
        {
        }
    }

    private static uint ReadBar(PciDevice device, ulong offset = 0)
    {
        var data = new byte[4];
        device.ReadRegion(0, offset, data);
        return BitConverter.ToUInt32(data);
    }

    private static void WriteBar(PciDevice device, uint value) => device.WriteRegion(0, 0, BitConverter.GetBytes(value));

    /// <summary>Makes the model throw from <paramref name="failure"/>'s handler; returns once the device contained it.</summary>
    private static void Provoke(FaultyNic nic, Failure failure)
    {
        nic.Fail = failure;
        switch (failure)
        {
            case Failure.Read:
                Assert.Equal(0xFFFFFFFFu, ReadBar(nic)); // the faulting read itself reads as ones
                break;
            case Failure.Write or Failure.Pending:
                WriteBar(nic, 0);
                break;
            case Failure.Frame:
                nic.Receive(Frames.To(Frames.Broadcast));
                break;
            case Failure.Timer:
                nic.Tick();
                break;
            case Failure.Reset:
                nic.Reset();
                break;
            case Failure.Link:
                nic.LinkUp = !nic.LinkUp;
                break;
        }
        nic.Fail = Failure.None;
    }

    [Theory]
    [InlineData(Failure.Read)]
    [InlineData(Failure.Write)]
    [InlineData(Failure.Frame)]
    [InlineData(Failure.Pending)]
    [InlineData(Failure.Timer)]
    [InlineData(Failure.Reset)]
    [InlineData(Failure.Link)]
    public void A_model_exception_puts_the_device_in_its_error_state_until_reset(Failure failure)
    {
        using var nic = new FaultyNic();
        var bus = new RecordingBus();
        nic.Attach(bus);
        nic.WriteRegion(VfioAbi.RegionConfig, 4, [0x06, 0x00]); // memory, bus master
        WriteBar(nic, 1);
        Assert.True(nic.InterruptAsserted);
        Assert.True(bus.Intx);
        Assert.Null(nic.Fault);

        Provoke(nic, failure);

        var fault = Assert.IsType<InvalidOperationException>(nic.Fault);
        Assert.Equal($"model bug in {failure}", fault.Message);
        Assert.Same(fault, nic.FirstFault);
        Assert.Equal(1, nic.FaultCount);
        Assert.False(nic.InterruptAsserted); // interrupt deasserted
        Assert.False(bus.Intx);
        int reads = nic.Reads, writes = nic.Writes, frames = nic.Frames;
        Assert.Equal(0xFFFFFFFFu, ReadBar(nic));       // BARs read all ones
        Assert.Equal(0xFFFFu, ReadBar(nic, 2) & 0xFFFF);
        WriteBar(nic, 1);                                // writes ignored
        nic.Tick();                                      // timers do nothing
        long dropped = nic.FramesDroppedInErrorState;
        nic.Receive(Frames.To(Frames.Broadcast));        // frames from the cable dropped and counted
        Assert.Equal(dropped + 1, nic.FramesDroppedInErrorState);
        Assert.Equal((reads, writes, frames), (nic.Reads, nic.Writes, nic.Frames));
        Assert.False(bus.Intx);

        // configuration space keeps working, so the driver can still see the function
        var id = new byte[4];
        nic.ReadRegion(VfioAbi.RegionConfig, 0, id);
        Assert.Equal(0x00011234u, BitConverter.ToUInt32(id));
        nic.WriteRegion(VfioAbi.RegionConfig, 0x3C, [0x0B]);
        nic.ReadRegion(VfioAbi.RegionConfig, 0x3C, id.AsSpan(0, 1));
        Assert.Equal(0x0B, id[0]);

        nic.Reset(); // function-level reset leaves the error state
        Assert.Null(nic.Fault);
        Assert.Equal(1, nic.FaultCount);
        Assert.Same(fault, nic.FirstFault);
        nic.WriteRegion(VfioAbi.RegionConfig, 4, [0x06, 0x00]);
        Assert.Equal(0x12345678u, ReadBar(nic));
        WriteBar(nic, 1);
        Assert.True(nic.InterruptAsserted);
        Assert.True(bus.Intx);
        nic.Receive(Frames.To(Frames.Broadcast));
        Assert.Equal(frames + 1, nic.Frames);
        Assert.Equal(1, nic.FramesReceived);
    }

    [Fact]
    public void A_reset_that_throws_stays_in_the_error_state_and_the_next_one_recovers()
    {
        using var nic = new FaultyNic();
        Provoke(nic, Failure.Write);
        nic.Fail = Failure.Reset;
        nic.Reset();
        Assert.Equal("model bug in Reset", nic.Fault?.Message);
        Assert.Equal("model bug in Write", nic.FirstFault?.Message);
        Assert.Equal(2, nic.FaultCount);
        Assert.Equal(0xFFFFFFFFu, ReadBar(nic));
        nic.Fail = Failure.None;
        nic.Reset();
        Assert.Null(nic.Fault);
        Assert.Equal(0x12345678u, ReadBar(nic));
    }

    [Fact]
    public void Over_vfio_user_a_model_exception_is_no_error_reply_and_frames_from_the_wire_are_dropped()
    {
        var nic = new FaultyNic();
        using var h = new DeviceHarness(nic);
        h.Write(0, 0, 4, 1);
        Assert.True(h.WaitIntx());
        nic.Fail = Failure.Frame;
        h.Peer.Send(Frames.To(Frames.Broadcast)); // thrown on the wire's thread: contained, the process lives
        Assert.True(DeviceHarness.Eventually(() => nic.Fault is not null));
        nic.Fail = Failure.None;
        Assert.Equal(0xFFFFFFFFu, h.Read(0, 0, 4));
        Assert.Equal(0x1234u, h.Client.ReadConfig(0, 2));
        h.Peer.Send(Frames.To(Frames.Broadcast));
        Assert.True(DeviceHarness.Eventually(() => nic.FramesDroppedInErrorState == 2));
        Assert.False(nic.InterruptAsserted);

        nic.Fail = Failure.Write; // and a throwing register write answers normally, not EIO
        h.Client.Reset();
        h.Write(0, 0, 4, 1);
        Assert.Equal("model bug in Write", nic.Fault?.Message);
        Assert.Equal(0, h.Server.InternalErrors);
        nic.Fail = Failure.None;

        h.Client.Reset();
        h.Client.WriteConfig(0x04, 2, 0x0007);
        Assert.Equal(0x12345678u, h.Read(0, 0, 4));
        h.Peer.Send(Frames.To(Frames.Broadcast));
        Assert.True(DeviceHarness.Eventually(() => nic.FramesReceived == 1));
        Assert.Equal(2, nic.FaultCount);
    }
}
