// SPDX-License-Identifier: MIT
// The device-tree reader against what others wrote: dtc compiles a board-shaped source (written here from the
// Devicetree Specification and the stmmac binding's property names), and libfdt's fdtget reads every property
// of the blob; the reader must see the same nodes and the same bytes. Then hostile blobs: every corruption is a
// DeviceTreeException naming the offset, or (a flipped bit in a value) a tree still well formed; never another
// exception or a hang.
using System.Diagnostics;
using LinuxShim.Shim.DeviceTree;

namespace LinuxShim.Shim.Tests.DeviceTree;

public class FlattenedDeviceTreeTests
{
    // A board with one DesignWare GMAC, its MDIO bus and PHY, a clock and aliases: what a platform driver reads.
    private const string Board = """
        /dts-v1/;
        /memreserve/ 0x10000000 0x4000;
        / {
            #address-cells = <2>;
            #size-cells = <2>;
            compatible = "linuxshim,seed-board", "rockchip,rk3568";
            model = "LinuxShim seed board";

            aliases {
                ethernet0 = &gmac0;
                serial2 = "/serial@fe660000";
            };

            xin25m: clock-25m {
                compatible = "fixed-clock";
                #clock-cells = <0>;
                clock-frequency = <25000000>;
            };

            serial@fe660000 {
                compatible = "snps,dw-apb-uart";
                reg = <0x0 0xfe660000 0x0 0x100>;
                status = "disabled";
            };

            gmac0: ethernet@fe2a0000 {
                compatible = "rockchip,rk3568-gmac", "snps,dwmac-4.20a";
                reg = <0x0 0xfe2a0000 0x0 0x10000>;
                interrupts = <0 27 4>, <0 24 4>;
                interrupt-names = "macirq", "eth_wake_irq";
                clocks = <&xin25m>;
                clock-names = "stmmaceth";
                phy-mode = "rgmii";
                phy-handle = <&rgmii_phy0>;
                snps,mixed-burst;
                tx_delay = <0x3c>;
                local-mac-address = [52 54 00 12 34 56];
                status = "okay";

                mdio0: mdio {
                    compatible = "snps,dwmac-mdio";
                    #address-cells = <1>;
                    #size-cells = <0>;
                    rgmii_phy0: ethernet-phy@0 {
                        compatible = "ethernet-phy-ieee802.3-c22";
                        reg = <0x0>;
                    };
                };
            };
        };
        """;

    [Fact]
    public void ReadsWhatDtcWroteAsLibfdtDoes()
    {
        string dtb = Compile(Board);
        var tree = FlattenedDeviceTree.Parse(File.ReadAllBytes(dtb));

        Assert.Equal(17u, tree.Version);
        Assert.Equal([(0x10000000UL, 0x4000UL)], tree.Reserved);
        var gmac = Assert.Single(tree.Compatible("snps,dwmac-4.20a"));
        Assert.Equal("/ethernet@fe2a0000", gmac.Path);
        Assert.Equal(("ethernet", "fe2a0000"), (gmac.Name, gmac.UnitAddress));
        Assert.Equal([(0xfe2a0000UL, 0x10000UL)], gmac.Reg());
        Assert.Equal(["macirq", "eth_wake_irq"], gmac.Property("interrupt-names")!.Strings());
        Assert.Equal([0u, 27u, 4u, 0u, 24u, 4u], gmac.Property("interrupts")!.Cells()!);
        Assert.Empty(gmac.Property("snps,mixed-burst")!.Value); // a boolean: present, empty
        Assert.Equal("rgmii", gmac.Property("phy-mode")!.AsString());
        Assert.Equal(new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, gmac.Property("local-mac-address")!.Value);

        // phandles, children by name, aliases.
        var phy = tree.ByPhandle(gmac.Property("phy-handle")!.Cells()![0]);
        Assert.Equal("/ethernet@fe2a0000/mdio/ethernet-phy@0", phy!.Path);
        Assert.Equal([(0UL, 0UL)], phy.Reg()); // #address-cells 1, #size-cells 0 in the mdio node
        Assert.Same(phy.Parent, gmac.Child("mdio"));
        Assert.Same(gmac, tree.Find("ethernet0"));
        Assert.Same(phy, tree.Find("ethernet0/mdio/ethernet-phy@0"));
        Assert.Same(phy, tree.Find("/ethernet@fe2a0000/mdio/ethernet-phy"));
        Assert.Equal(0, tree.AliasId(gmac, "ethernet"));
        Assert.Null(tree.AliasId(phy, "ethernet"));
        Assert.Equal(2, tree.HighestAliasId("serial"));
        Assert.Empty(tree.Compatible("snps,dw-apb-uart")); // status = "disabled"
        Assert.False(tree.Find("serial2")!.IsAvailable);
        Assert.Null(tree.Find("/no-such-node"));
        Assert.Null(tree.Find("ethernet7"));

        // Every node and property as libfdt (fdtget) reads them.
        int checkedProperties = 0;
        foreach (var node in tree.Root.SelfAndDescendants())
        {
            Assert.Equal(node.Children.Select(c => c.FullName), Lines(Run("fdtget", "-l", dtb, node.Path)));
            Assert.Equal(node.Properties.Select(p => p.Name), Lines(Run("fdtget", "-p", dtb, node.Path)));
            foreach (var p in node.Properties)
            {
                var bytes = p.Value.Length == 0 ? "" : string.Join(' ', p.Value.Select(b => b.ToString("x")));
                Assert.Equal(bytes, Run("fdtget", "-t", "bx", dtb, node.Path, p.Name).Trim());
                checkedProperties++;
            }
        }
        Assert.True(checkedProperties >= 30, $"{checkedProperties} properties compared");
    }

    [Fact]
    public void EveryCorruptionIsADeviceTreeExceptionNamingWhere()
    {
        byte[] good = File.ReadAllBytes(Compile(Board));
        var random = new Random(21);
        int refused = 0, accepted = 0;
        for (int i = 0; i < 3000; i++)
        {
            var bad = (byte[])good.Clone();
            switch (i % 4)
            {
                case 0: bad[random.Next(bad.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: bad = bad[..random.Next(bad.Length)]; break;
                case 2: System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bad.AsSpan(4 * random.Next(10)), (uint)random.Next()); break;
                default:
                    int at = random.Next(bad.Length / 4) * 4;
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bad.AsSpan(at), (uint)random.Next(0, 12));
                    break;
            }
            try
            {
                var tree = FlattenedDeviceTree.Parse(bad);
                Assert.NotNull(tree.Root);
                accepted++;
            }
            catch (DeviceTreeException e)
            {
                Assert.StartsWith("dtb: ", e.Message);
                refused++;
            }
        }
        Assert.True(refused > 1000, $"only {refused} of 3000 corruptions were refused");
        Assert.True(accepted > 0, "no corruption left a readable tree (a flipped bit in a value should)");

        var e1 = Assert.Throws<DeviceTreeException>(() => FlattenedDeviceTree.Parse(good[..20]));
        Assert.Equal("dtb: 20 bytes is shorter than the 40-byte header", e1.Message);
        var notDtb = (byte[])good.Clone();
        notDtb[0] = 0x7f;
        Assert.StartsWith("dtb: magic 0x7f0dfeed is not 0xd00dfeed", Assert.Throws<DeviceTreeException>(() => FlattenedDeviceTree.Parse(notDtb)).Message);
        Assert.Contains("the header says", Assert.Throws<DeviceTreeException>(() => FlattenedDeviceTree.Parse(good[..^4])).Message);
    }

    [Fact]
    public void NestingDeeperThanTheLimitIsRefusedNotRecursed()
    {
        string deep = "/dts-v1/;\n/ {\n" + string.Concat(Enumerable.Range(0, 70).Select(i => $"n{i} {{\n")) + new string('}', 70).Replace("}", "};\n") + "};\n";
        var e = Assert.Throws<DeviceTreeException>(() => FlattenedDeviceTree.Parse(File.ReadAllBytes(Compile(deep))));
        Assert.Contains("nest deeper than 64", e.Message);
    }

    private static string Compile(string source)
    {
        string dir = Path.Combine(Path.GetTempPath(), "linuxshim-dtb-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "board.dts"), source);
        Run("dtc", "-q", "-I", "dts", "-O", "dtb", "-o", Path.Combine(dir, "board.dtb"), Path.Combine(dir, "board.dts"));
        return Path.Combine(dir, "board.dtb");
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var errors = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)}: exit {p.ExitCode}: {errors.Result}");
        return output;
    }
}
