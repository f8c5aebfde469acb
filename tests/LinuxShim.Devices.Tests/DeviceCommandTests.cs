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
