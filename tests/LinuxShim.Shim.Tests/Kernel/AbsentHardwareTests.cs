// SPDX-License-Identifier: MIT
// Tests of the answers Linux documents for what a driver host's machine lacks: no free legacy interrupt
// to autoprobe, no DMI tables, no capability held by the callers, no second CPU (per-CPU areas refused
// as mm/percpu.c refuses them before any allocation).
using LinuxShim.Shim.Kernel;

namespace LinuxShim.Shim.Tests.Kernel;

public sealed unsafe class AbsentHardwareTests
{
    [Fact]
    public void AutoprobingFindsNoInterrupt()
    {
        ulong mask = ((delegate* unmanaged[Cdecl]<ulong>)&Irq.ProbeIrqOn)();
        Assert.Equal(0ul, mask);
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<ulong, int>)&Irq.ProbeIrqOff)(mask)); // 0: no interrupt fired
    }

    [Fact]
    public void NoSystemMatchesADmiTableAndNoCallerIsCapable()
    {
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, int>)&Dmi.DmiCheckSystem)(0x1000));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<int, byte>)&Capability.Capable)(12)); // CAP_NET_ADMIN
    }

    [Theory]
    [InlineData(0, 8)]           // empty
    [InlineData(64, 3)]          // alignment not a power of two
    [InlineData(64, 8192)]       // alignment over a page
    [InlineData(1 << 16, 8)]     // over PCPU_MIN_UNIT_SIZE
    public void IllegalPercpuRequestsAreRefused(int size, int align) =>
        Assert.Equal(0, Percpu.Allocate((nuint)size, (nuint)align));
}
