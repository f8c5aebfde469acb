// SPDX-License-Identifier: MIT
// LinuxShim's one MAC grammar (Shim.Netif.NetifMac, used by the device models' MacAddress): six bytes of two
// hex digits each, all separated by colons or all by hyphens.
using LinuxShim.Devices;
using LinuxShim.Shim.Netif;

namespace LinuxShim.Devices.Tests;

public sealed class MacAddressTests
{
    [Theory]
    [InlineData("52:54:00:12:34:56", true)]
    [InlineData("52-54-00-AB-cd-EF", true)]
    [InlineData("2:54:00:12:34:56", false)]
    [InlineData("52:54-00:12:34:56", false)]
    [InlineData("52:54:00:12:34", false)]
    [InlineData("52:54:00:12:34:5g", false)]
    [InlineData("", false)]
    public void TheDeviceModelsAndTheNetifChannelReadAddressesAlike(string text, bool valid)
    {
        Assert.Equal(valid, NetifMac.TryParseAny(text, out var bytes));
        if (valid)
            Assert.Equal(bytes, MacAddress.Parse(text).ToArray());
        else
            Assert.Throws<FormatException>(() => MacAddress.Parse(text));
    }

    [Fact]
    public void TheFrameCheckSequenceIsTheKernelLibrarysCrc()
    {
        // The check value of CRC-32/IEEE over "123456789" is 0xCBF43926 (final inversion included).
        Assert.Equal(0xCBF43926u, EthernetCrc.Fcs("123456789"u8));
        // The vectorised FCS and the kernel library's table agree at every length a frame has, aligned or not.
        var random = new Random(3);
        var data = new byte[9300];
        random.NextBytes(data);
        for (int length = 0; length <= 9216; length += length < 200 ? 1 : 97)
        {
            int start = length % 7;
            Assert.Equal(~EthernetCrc.Raw(data.AsSpan(start, length)), EthernetCrc.Fcs(data.AsSpan(start, length)));
        }
    }
}
