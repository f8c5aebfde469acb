// SPDX-License-Identifier: MIT
// Test side. `linuxshim device`: usage errors, and a real run that a vfio-user client reaches over
// the socket path until the command is stopped.
using LinuxShim.Shim.Vfio;
using LinuxShim.Tools;

namespace LinuxShim.Devices.Tests;

public sealed class DeviceCommandTests
{
    [Fact]
    public void Usage_errors_exit_2_and_help_exits_0()
    {
        var err = new StringWriter();
        Assert.Equal(2, DeviceCommand.Run(["ne2000", "--socket", "/tmp/x"], TextWriter.Null, err, CancellationToken.None));
        Assert.Contains("unknown device", err.ToString());
        Assert.Equal(2, DeviceCommand.Run(["e1000"], TextWriter.Null, TextWriter.Null, CancellationToken.None));
        Assert.Equal(2, DeviceCommand.Run(["e1000", "--socket", "/tmp/x", "--wire", "carrier-pigeon"], TextWriter.Null, TextWriter.Null, CancellationToken.None));
        Assert.Equal(2, DeviceCommand.Run(["e1000", "--socket", "/tmp/x", "--mac", "01:00:5e:00:00:01"], TextWriter.Null, TextWriter.Null, CancellationToken.None));
        var help = new StringWriter();
        Assert.Equal(0, DeviceCommand.Run(["--help"], help, TextWriter.Null, CancellationToken.None));
        Assert.Contains("udp:HOST:PORT", help.ToString());
    }

    [Fact]
    public void A_malformed_qemu_model_is_a_usage_error_and_one_qemu_lacks_fails_with_qemus_reason()
    {
        var err = new StringWriter();
        Assert.Equal(2, DeviceCommand.Run(["qemu:e1000,netdev=elsewhere", "--socket", "/tmp/x"], TextWriter.Null, err, CancellationToken.None));
        Assert.Contains("'netdev' is LinuxShim's to set", err.ToString());
        err = new StringWriter();
        string socket = Path.Combine(Path.GetTempPath(), $"linuxshim-qemu-none-{Environment.ProcessId}.sock");
        Assert.Equal(1, DeviceCommand.Run(["qemu:no-such-nic", "--socket", socket], TextWriter.Null, err, CancellationToken.None));
        Assert.Contains("did not come up", err.ToString());
        Assert.Contains("no-such-nic", err.ToString()); // QEMU's own line, forwarded
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public void List_shows_our_models_and_qemus_with_the_ids_they_report_and_their_ports()
    {
        var list = new StringWriter();
        Assert.Equal(0, DeviceCommand.Run(["--list"], list, TextWriter.Null, CancellationToken.None));
        string text = list.ToString();
        Assert.Matches(@"(?m)^rtl8139\s+10ec:8139 10\s.*ports/8139too", text);
        Assert.Matches(@"(?m)^e1000\s+8086:100e 03\s.*ports/e1000", text);
        Assert.Matches(@"(?m)^qemu:rtl8139\s+10ec:8139 20\s.*ports/8139cp", text);
        Assert.Matches(@"(?m)^qemu:e1000-82544gc\s+8086:100c 03\s.*ports/e1000", text);
        Assert.Matches(@"(?m)^qemu:virtio-net-pci\s+1af4:1000 00\s.*ports/virtio_net", text);
    }

    /// <summary>What a synchronized writer (which locks itself per call) has written so far.</summary>
    private static string Read(TextWriter synchronized, StringWriter inner)
    {
        lock (synchronized)
            return inner.ToString();
    }

    [Fact]
    public async Task A_device_server_serves_a_client_at_its_socket_until_stopped()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"ls-{Guid.NewGuid():N}"[..20] + ".sock");
        string pcap = Path.ChangeExtension(socket, ".pcap");
        using var stop = new CancellationTokenSource();
        var text = new StringWriter();
        var output = TextWriter.Synchronized(text);
        var errorText = new StringWriter();
        var errors = TextWriter.Synchronized(errorText);
        var run = Task.Run(() => DeviceCommand.Run(
            ["e1000", "--socket", socket, "--mac", "02:11:22:33:44:55", "--pcap", pcap], output, errors, stop.Token));
        try
        {
            // the banner comes once the socket listens (the file alone appears at bind, before listen)
            Assert.True(DeviceHarness.Eventually(() => Read(output, text).Contains(" on "), 10000), $"the server did not start: {Read(errors, errorText)}");
            using (var client = VfioUserClient.Connect(socket))
            {
                Assert.Equal(0x100E8086u, client.ReadConfig(0, 4));
                Assert.Equal(0x33221102u, (uint)client.ReadBar(0, 0x5400, 4)); // RAL0 from the EEPROM
            }
            using (var again = VfioUserClient.Connect(socket)) // the next client after the first left
                Assert.Equal(0x100E8086u, again.ReadConfig(0, 4));
        }
        finally
        {
            stop.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(10)); // throws TimeoutException if the command did not stop
            File.Delete(pcap);
        }
        Assert.Equal(0, await run);
        Assert.Contains("e1000 02:11:22:33:44:55", text.ToString());
        Assert.False(File.Exists(socket));
    }
}
