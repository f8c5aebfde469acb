// SPDX-License-Identifier: MIT
// The device server's status file (`device --status`): what a supervisor reads of the cable beside a
// driver host's answers. Round trip, torn and foreign records refused, link changes dated, and the
// file following the model until the writer is disposed (then gone).
using LinuxShim.Devices.Rtl8139;

namespace LinuxShim.Devices.Tests;

public sealed class DeviceStatusTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("linuxshim-status-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_record_reads_back_and_a_torn_or_foreign_one_is_refused()
    {
        var status = new DeviceStatus(true, 1234, 56, 78, 3, 9999, FramesRefused: 11);
        var record = new byte[DeviceStatus.Size];
        status.Encode(record, 5);
        Assert.Equal(status, DeviceStatus.Decode(record));
        Assert.Equal(0, status.LinkedForMs(1000)); // the clock before the change: never negative
        Assert.Equal(766, status.LinkedForMs(2000));
        Assert.Equal(0, (status with { CableLinked = null }).LinkedForMs(5000));

        var torn = (byte[])record.Clone();
        torn[72] ^= 1; // the closing sequence number of a write half done
        Assert.Null(DeviceStatus.Decode(torn));
        var foreign = (byte[])record.Clone();
        foreign[0] = (byte)'X';
        Assert.Null(DeviceStatus.Decode(foreign));
        var badLink = (byte[])record.Clone();
        badLink[16] = 7;
        Assert.Null(DeviceStatus.Decode(badLink));
        Assert.Null(DeviceStatus.Decode(record.AsSpan(0, 40)));
        Assert.Null(DeviceStatus.Read(Path.Combine(dir, "none")));
    }

    [Fact]
    public void Frames_for_the_station_the_NIC_refuses_are_counted_and_written_others_are_not()
    {
        // Out of reset the RTL8139's receiver is off: what comes for its own address is refused.
        using var nic = new Rtl8139Nic(MacAddress.Default);
        nic.Receive(Frames.To(MacAddress.Default.ToArray()));
        nic.Receive(Frames.To(MacAddress.Default.ToArray(), 200));
        nic.Receive(Frames.To([0x02, 0, 0, 0, 0, 9])); // someone else's: no business of this station
        nic.Receive(Frames.To([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
        Assert.Equal(2, nic.FramesRefused);
        Assert.Equal(0, nic.FramesReceived);
        // Without link nothing reaches the NIC to be refused.
        nic.LinkUp = false;
        nic.Receive(Frames.To(MacAddress.Default.ToArray()));
        Assert.Equal(2, nic.FramesRefused);

        string path = Path.Combine(dir, "refused.status");
        using var writer = new DeviceStatusWriter(nic, path);
        Assert.Equal(2, DeviceStatus.Read(path)!.Value.FramesRefused);
    }

    [Fact]
    public void The_file_follows_the_cable_and_dates_each_change()
    {
        using var nic = new Rtl8139Nic(MacAddress.Default);
        string path = Path.Combine(dir, "device.status");
        var writer = new DeviceStatusWriter(nic, path);
        var first = DeviceStatus.Read(path);
        Assert.NotNull(first);
        Assert.True(first.Value.CableLinked);
        long upSince = first.Value.LinkSinceMs;

        Thread.Sleep(20);
        nic.LinkUp = false;
        writer.Write();
        var down = DeviceStatus.Read(path)!.Value;
        Assert.False(down.CableLinked);
        Assert.True(down.LinkSinceMs > upSince, "the change is not dated");
        Assert.Equal(0, down.LinkedForMs(Environment.TickCount64));
        Assert.True(down.UpdatedMs >= down.LinkSinceMs);

        nic.LinkUp = true;
        Assert.True(DeviceHarness.Eventually(() => DeviceStatus.Read(path)?.CableLinked == true, 2000), "the timer does not rewrite the file");
        writer.Dispose();
        Assert.False(File.Exists(path));
        writer.Write(); // after disposal: nothing, no exception
    }
}
