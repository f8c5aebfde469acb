// SPDX-License-Identifier: MIT
// Tests of the shim's PCI capability handling (drivers/pci/pci.c's list walk, access.c's choice of the
// PCI Express registers a function implements, the Max_Read_Request_Size encoding of pcie_get_readrq() and
// pcie_set_readrq()) and of its time counters (kernel/time/timecounter.c):
// what e1000e relies on for its PCIe link registers and its SYSTIM clock.
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Pci;

namespace LinuxShim.Shim.Tests.Host;

public sealed class PciCapabilityTests
{
    private static MemoryPciFunction WithCapabilities(params (int At, int Id)[] list)
    {
        var f = new MemoryPciFunction(0x8086, 0x10d3, 0x020000);
        f.WriteConfig(0x06, 2, 0x0010); // status: capability list
        f.WriteConfig(0x34, 1, (uint)(list.Length == 0 ? 0 : list[0].At));
        for (int i = 0; i < list.Length; i++)
            f.WriteConfig(list[i].At, 2, (uint)(list[i].Id | (i + 1 < list.Length ? list[i + 1].At : 0) << 8));
        return f;
    }

    [Fact]
    public void TheListIsWalkedToEachCapabilityAndEndsAtANullPointer()
    {
        // QEMU's 82574L: PM at 0xC8, MSI at 0xD0, PCIe at 0xE0, MSI-X at 0xA0.
        using var f = WithCapabilities((0xC8, PciCapabilities.IdPm), (0xD0, PciCapabilities.IdMsi), (0xE0, PciCapabilities.IdExpress), (0xA0, PciCapabilities.IdMsix));
        Assert.Equal(0xC8, PciCapabilities.Find(f, PciCapabilities.IdPm));
        Assert.Equal(0xD0, PciCapabilities.Find(f, PciCapabilities.IdMsi));
        Assert.Equal(0xE0, PciCapabilities.Find(f, PciCapabilities.IdExpress));
        Assert.Equal(0xA0, PciCapabilities.Find(f, PciCapabilities.IdMsix));
        Assert.Equal(0, PciCapabilities.Find(f, 0x09)); // vendor-specific: not there
    }

    [Fact]
    public void AFunctionWithoutACapabilityListOrWithALoopFindsNothingAndEnds()
    {
        using var none = new MemoryPciFunction(0x10ec, 0x8139, 0x020000);
        Assert.Equal(0, PciCapabilities.Find(none, PciCapabilities.IdExpress));
        using var loop = WithCapabilities((0x40, PciCapabilities.IdPm), (0x50, PciCapabilities.IdMsi));
        loop.WriteConfig(0x50, 2, PciCapabilities.IdMsi | 0x40 << 8); // points back: the walk's TTL ends it
        Assert.Equal(0, PciCapabilities.Find(loop, PciCapabilities.IdExpress));
    }

    [Theory]
    // flags: version in bits 3:0, port type in 7:4, slot implemented bit 8
    [InlineData(0x0002, 0x10, true)]   // endpoint: link control
    [InlineData(0x0002, 0x18, false)]  // endpoint: no slot registers
    [InlineData(0x0002, 0x28, true)]   // version 2: DEVCTL2
    [InlineData(0x0001, 0x28, false)]  // version 1: none of the *2 registers
    [InlineData(0x0142, 0x1a, true)]   // root port with a slot: SLTSTA
    [InlineData(0x0042, 0x1a, false)]  // root port without one
    [InlineData(0x0042, 0x1c, true)]   // root port: root control
    [InlineData(0x0002, 0x1c, false)]  // endpoint: none
    [InlineData(0x0092, 0x10, false)]  // root complex integrated endpoint: no link
    [InlineData(0x0002, 0x08, true)]   // every function: device control
    [InlineData(0x0002, 0x3c, false)]  // past the capability
    public void OnlyTheRegistersAFunctionOfItsTypeHasAreAccessed(int flags, int pos, bool implemented) =>
        Assert.Equal(implemented, PciCapabilities.Implemented((ushort)flags, express: true, pos));

    [Theory]
    [InlineData(128, 0x0000)]
    [InlineData(256, 0x1000)]
    [InlineData(512, 0x2000)]
    [InlineData(1024, 0x3000)]
    [InlineData(2048, 0x4000)]
    [InlineData(4096, 0x5000)]
    public void MaxReadRequestSizeIsEncodedInDeviceControlBits14To12(int bytes, int field)
    {
        Assert.Equal((ushort)field, PciCapabilities.ReadRequestField(bytes));
        // The other Device Control bits (here Max_Payload_Size and the error reporting enables) do not count.
        Assert.Equal(bytes, PciCapabilities.ReadRequestBytes((ushort)(field | 0x00ef)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]     // below the smallest
    [InlineData(384)]    // not a power of two
    [InlineData(8192)]   // above the largest
    [InlineData(-512)]
    public void AReadRequestSizeTheRegisterCannotHoldIsRefused(int bytes) => Assert.Null(PciCapabilities.ReadRequestField(bytes));

    [Fact]
    public void AConventionalFunctionHasNoExpressRegisters() =>
        Assert.False(PciCapabilities.Implemented(0x0002, express: false, 0x08));

    [Fact]
    public void TimeCountersCarryTheFractionAndCountStampsBeforeTheLastReadBackwards()
    {
        // 82574's SYSTIM at INCVALUE 16 ns per tick, shift 19 (e1000e): mult = 16 << 19.
        const uint shift = 19, mult = 16u << 19;
        ulong mask = (1UL << (int)shift) - 1, frac = 0;
        Assert.Equal(16_000UL, Timecounter.CyclesToNs(mult, shift, 1000, mask, ref frac));
        Assert.Equal(0UL, frac);
        // A multiplier with a fraction: what is below a nanosecond is carried, not lost.
        ulong f2 = 0, total = 0;
        for (int i = 0; i < 4; i++)
            total += Timecounter.CyclesToNs(3, 2, 1, 3, ref f2); // 0.75 ns a cycle
        Assert.Equal(3UL, total);
        ulong ccMask = ulong.MaxValue >> 16; // a 48-bit counter
        Assert.Equal(1_000_000UL + 16 * 10, Timecounter.CyclesToTime(5000, 1_000_000, 0, mask, ccMask, mult, shift, 5010));
        Assert.Equal(1_000_000UL - 16 * 10, Timecounter.CyclesToTime(5000, 1_000_000, 0, mask, ccMask, mult, shift, 4990));
    }
}
