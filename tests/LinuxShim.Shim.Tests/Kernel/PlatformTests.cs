// SPDX-License-Identifier: MIT
// Tests of the shim's platform devices (drivers/base/platform.c platform_device_add()): the names a device
// gets from its id, and automatic ids taken lowest first and given back. shimtest.c registers real ones.
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed class PlatformTests
{
    [Theory]
    [InlineData("niu-board", -1, false, "niu-board")]        // PLATFORM_DEVID_NONE
    [InlineData("niu-board", 0, false, "niu-board.0")]
    [InlineData("serial8250", 12, false, "serial8250.12")]
    [InlineData("gpio-keys", 3, true, "gpio-keys.3.auto")]   // an id PLATFORM_DEVID_AUTO chose
    public void ADeviceIsNamedAfterItsId(string name, int id, bool auto, string expected) =>
        Assert.Equal(expected, Platform.DeviceName(name, id, auto));

    [Fact]
    public void AutomaticIdsAreTheSmallestFreeOnes()
    {
        int a = Platform.AllocateAutoId(), b = Platform.AllocateAutoId(), c = Platform.AllocateAutoId();
        Assert.Equal([a + 1, a + 2], new[] { b, c });
        Platform.FreeAutoId(b);
        Assert.Equal(b, Platform.AllocateAutoId());
        foreach (int id in new[] { a, b, c })
            Platform.FreeAutoId(id);
        Assert.Equal(a, Platform.AllocateAutoId());
        Platform.FreeAutoId(a);
    }
}
