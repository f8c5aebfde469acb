// SPDX-License-Identifier: MIT
// Test side. What the drivers read from our models and from QEMU's right after reset (issue 15):
// configuration space, the registers the probe paths read, the EEPROM (e1000, through EERD) and the
// PHY (through MDIC / the RTL8139's MII registers). Every difference is listed here and asserted, so
// a change on either side shows; README's "Our models and QEMU's" says which is right and why.
using System.Buffers.Binary;
using LinuxShim.Devices.E1000;
using LinuxShim.Devices.Qemu;
using LinuxShim.Devices.Rtl8139;
using LinuxShim.Devices.VfioUser;
using LinuxShim.Shim.Vfio;
using LinuxShim.VfioUser;
using Xunit.Abstractions;

namespace LinuxShim.Devices.Tests;

public sealed class ModelComparisonTests(ITestOutputHelper output)
{
    private static readonly MacAddress Mac = MacAddress.Parse("52:54:00:12:34:56");

    /// <summary>Register name → value, as a driver reads it after reset.</summary>
    private static SortedDictionary<string, uint> E1000View(IVfioDevice d)
    {
        var v = Config(d);
        foreach (var (name, at) in new[] { ("CTRL", 0x0), ("STATUS", 0x8), ("EECD", 0x10), ("CTRL_EXT", 0x18), ("ICR", 0xC0), ("IMS", 0xD0),
                     ("RCTL", 0x100), ("TCTL", 0x400), ("TIPG", 0x410), ("LEDCTL", 0xE00), ("PBA", 0x1000), ("RDTR", 0x2820), ("TXDCTL", 0x3828),
                     ("RXCSUM", 0x5000), ("RAL0", 0x5400), ("RAH0", 0x5404), ("MANC", 0x5820), ("WUC", 0x5800) })
            v[$"bar0 {name}"] = Read32(d, 0, at);
        for (int word = 0; word < 64; word++)
        {
            Write32(d, 0, 0x14, (uint)(word << 8) | 1); // EERD: start, address
            uint r = 0;
            for (int i = 0; i < 100 && (r & 0x10) == 0; i++)
                r = Read32(d, 0, 0x14);
            v[$"eeprom {word:x2}"] = r >> 16;
        }
        foreach (var (name, reg) in new[] { ("BMCR", 0), ("BMSR", 1), ("PHYID1", 2), ("PHYID2", 3), ("ANAR", 4), ("ANLPAR", 5), ("ANER", 6),
                     ("1000T_CTRL", 9), ("1000T_STATUS", 10), ("EXT_STATUS", 15), ("PSCR", 0x10), ("PSSR", 0x11) })
        {
            Write32(d, 0, 0x20, (uint)(reg << 16) | (1u << 21) | (2u << 26)); // MDIC: read, PHY 1
            uint r = 0;
            for (int i = 0; i < 100 && (r & (1u << 28)) == 0; i++)
                r = Read32(d, 0, 0x20);
            v[$"phy {name}"] = r & 0xFFFF;
        }
        return v;
    }

    private static SortedDictionary<string, uint> Rtl8139View(IVfioDevice d)
    {
        var v = Config(d);
        foreach (var (name, at, size) in new[] { ("IDR0", 0x00, 4), ("IDR4", 0x04, 2), ("CR", 0x37, 1), ("CAPR", 0x38, 2), ("CBR", 0x3A, 2),
                     ("IMR", 0x3C, 2), ("ISR", 0x3E, 2), ("TCR", 0x40, 4), ("RCR", 0x44, 4), ("9346CR", 0x50, 1), ("CONFIG0", 0x51, 1),
                     ("CONFIG1", 0x52, 1), ("MSR", 0x58, 1), ("CONFIG3", 0x59, 1), ("CONFIG4", 0x5A, 1), ("MULINT", 0x5C, 2),
                     ("BMCR", 0x62, 2), ("BMSR", 0x64, 2), ("ANAR", 0x66, 2), ("ANLPAR", 0x68, 2), ("ANER", 0x6A, 2), ("CSCR", 0x74, 2),
                     ("CONFIG5", 0xD8, 1), ("TSAD", 0x60, 2) })
        {
            var b = new byte[size];
            d.ReadRegion(0, (ulong)at, b);
            v[$"bar0 {name}"] = (uint)Pci.PciDevice.Gather(b);
        }
        return v;
    }

    private static SortedDictionary<string, uint> Config(IVfioDevice d)
    {
        var v = new SortedDictionary<string, uint>(StringComparer.Ordinal);
        foreach (var (name, at) in new[] { ("ids", 0x00), ("command/status", 0x04), ("class/rev", 0x08), ("bist/header/latency/cacheline", 0x0C),
                     ("subsystem", 0x2C), ("capabilities", 0x34), ("interrupt", 0x3C) })
            v[$"config {name}"] = Read32(d, VfioAbi.RegionConfig, at);
        return v;
    }

    [Fact]
    public void Our_82540em_and_qemus_e1000_differ_only_where_listed()
    {
        using var ours = new Intel82540EmNic(Mac);
        using var qemu = new QemuNic("e1000", Mac, _ => { });
        var differences = Compare(E1000View(ours), E1000View(qemu));
        Assert.Equal(ExpectedE1000, differences);
    }

    [Fact]
    public void Our_rtl8139_and_qemus_rtl8139c_plus_differ_only_where_listed()
    {
        using var ours = new Rtl8139Nic(Mac);
        using var qemu = new QemuNic("rtl8139", Mac, _ => { });
        var differences = Compare(Rtl8139View(ours), Rtl8139View(qemu));
        Assert.Equal(ExpectedRtl8139, differences);
    }

    // "name: ours / QEMU's", as the comparison prints them; README's "Our models and QEMU's" says which is right.
    private static readonly string[] ExpectedE1000 =
    [
        "bar0 CTRL: 00000000 / 00140240",
        "bar0 EECD: 00000100 / 00000188",
        "bar0 LEDCTL: 07068302 / 00000602",
        "bar0 MANC: 00000000 / 00222300",
        "bar0 TIPG: 0060200a / 00000000",
        "config capabilities: 00000050 / 00000000",
        "config command/status: 00100000 / 00000000",
        "config subsystem: 001e8086 / 11001af4",
        "eeprom 08: 00000000 / 00003000",
        "eeprom 09: 00000000 / 00001000",
        "eeprom 0a: 00004408 / 00006403",
        "eeprom 0b: 0000001e / 0000100e",
        "eeprom 0f: 00003000 / 00003040",
        "eeprom 10: 00000000 / 00000008",
        "eeprom 11: 00000000 / 00002000",
        "eeprom 12: 00000000 / 00007e14",
        "eeprom 13: 00000000 / 00000048",
        "eeprom 14: 00000000 / 00001000",
        "eeprom 15: 00000000 / 000000d8",
        "eeprom 17: 00000000 / 00002700",
        "eeprom 18: 00000000 / 00006cc9",
        "eeprom 19: 00000000 / 00003150",
        "eeprom 1a: 00000000 / 00000722",
        "eeprom 1b: 00000000 / 0000040b",
        "eeprom 1c: 00000000 / 00000984",
        "eeprom 1e: 00000000 / 0000c000",
        "eeprom 1f: 00000000 / 00000706",
        "eeprom 20: 00000000 / 00001008",
        "eeprom 22: 00000000 / 00000f04",
        "eeprom 23: 00000000 / 00007fff",
        "eeprom 24: 00000000 / 00004d01",
        "eeprom 25: 00000000 / 0000ffff",
        "eeprom 26: 00000000 / 0000ffff",
        "eeprom 27: 00000000 / 0000ffff",
        "eeprom 28: 00000000 / 0000ffff",
        "eeprom 29: 00000000 / 0000ffff",
        "eeprom 2a: 00000000 / 0000ffff",
        "eeprom 2b: 00000000 / 0000ffff",
        "eeprom 2c: 00000000 / 0000ffff",
        "eeprom 2d: 00000000 / 0000ffff",
        "eeprom 2e: 00000000 / 0000ffff",
        "eeprom 2f: 00000000 / 0000ffff",
        "eeprom 30: 00000000 / 00000100",
        "eeprom 31: 00000000 / 00004000",
        "eeprom 32: 00000000 / 0000121c",
        "eeprom 33: 00000000 / 0000ffff",
        "eeprom 34: 00000000 / 0000ffff",
        "eeprom 35: 00000000 / 0000ffff",
        "eeprom 36: 00000000 / 0000ffff",
        "eeprom 37: 00000000 / 0000ffff",
        "eeprom 38: 00000000 / 0000ffff",
        "eeprom 39: 00000000 / 0000ffff",
        "eeprom 3a: 00000000 / 0000ffff",
        "eeprom 3b: 00000000 / 0000ffff",
        "eeprom 3c: 00000000 / 0000ffff",
        "eeprom 3d: 00000000 / 0000ffff",
        "eeprom 3e: 00000000 / 0000ffff",
        "eeprom 3f: 000078f5 / 000079ad",
        "phy ANLPAR: 000041e0 / 000001e0",
        "phy BMSR: 0000796d / 0000794d",
    ];

    private static readonly string[] ExpectedRtl8139 =
    [
        "bar0 CR: 00000001 / 00000011",
        "bar0 TCR: 74000000 / 74800000",
        "config capabilities: 00000050 / 000000dc",
        "config class/rev: 02000010 / 02000020",
        "config command/status: 00100000 / 00000000",
        "config subsystem: 813910ec / 11001af4",
    ];

    private string[] Compare(SortedDictionary<string, uint> ours, SortedDictionary<string, uint> qemu)
    {
        var list = ours.Where(kv => qemu[kv.Key] != kv.Value).Select(kv => $"{kv.Key}: {kv.Value:x8} / {qemu[kv.Key]:x8}").ToArray();
        foreach (var line in list)
            output.WriteLine($"\"{line}\",");
        return list;
    }

    private static uint Read32(IVfioDevice d, int region, int at)
    {
        Span<byte> b = stackalloc byte[4];
        d.ReadRegion(region, (ulong)at, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void Write32(IVfioDevice d, int region, int at, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        d.WriteRegion(region, (ulong)at, b);
    }
}
