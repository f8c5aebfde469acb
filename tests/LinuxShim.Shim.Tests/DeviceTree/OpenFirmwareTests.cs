// SPDX-License-Identifier: MIT
// The device tree as drivers see it: a board source compiled by dtc, unflattened into kernel memory laid out as
// Debian 6.1's headers lay it out (the in-process machine), and the of_*/fwnode_*/device_property_* symbols called
// as a driver calls them, their answers (values, errors) checked against what drivers/of and drivers/base/property.c
// answer for the same tree. The per-kernel run with CONFIG_OF=y (inline helpers, of_fwnode_ops) is OfModuleTests.
using System.Diagnostics;
using System.Runtime.InteropServices;
using LinuxShim.Shim.DeviceTree;
using LinuxShim.Shim.Kernel;
using LinuxShim.Shim.Layout;
using LinuxShim.Shim.Tests.Kernel;

namespace LinuxShim.Shim.Tests.DeviceTree;

[Collection(KernelCollection.Name)]
public sealed unsafe class OpenFirmwareTests : IDisposable
{
    private const int ENoEnt = -2, ENoDev = -19, EInval = -22, ENoData = -61, EOverflow = -75, EIlseq = -84;

    internal const string Board = """
        /dts-v1/;
        / {
            #address-cells = <1>;
            #size-cells = <1>;
            compatible = "linuxshim,test-board";

            aliases {
                ethernet0 = &gmac0;
                ethernet3 = "/soc/ethernet@2000";
                mdio1 = &mdio0;
                serial = &gmac0;
            };

            soc {
                compatible = "simple-bus";
                #address-cells = <1>;
                #size-cells = <1>;

                clk: clock {
                    #clock-cells = <2>;
                };

                rst: reset {
                    #reset-cells = <1>;
                };

                gmac0: ethernet@1000 {
                    compatible = "vendor,soc-gmac", "snps,dwmac-3.70a", "snps,dwmac";
                    reg = <0x1000 0x100>;
                    device_type = "network";
                    phy-mode = "rgmii-id";
                    phy-handle = <&phy1>;
                    max-speed = <1000>;
                    bytes = /bits/ 8 <0x01 0x02 0xff>;
                    halves = /bits/ 16 <0x1234 0xabcd>;
                    words = <0xdeadbeef 7 8>;
                    quads = /bits/ 64 <0x0123456789abcdef 42>;
                    snps,force_sf_dma_mode;
                    clock-names = "stmmaceth", "pclk", "ptp_ref";
                    unterminated = [41 42 43];
                    mac-address = [01 00 5e 00 00 01];
                    local-mac-address = [02 11 22 33 44 55];
                    clocks = <&clk 3 4>, <0>, <&rst 9>;
                    resets = <&rst 5>;
                    status = "okay";

                    mdio0: mdio {
                        compatible = "snps,dwmac-mdio";
                        #address-cells = <1>;
                        #size-cells = <0>;

                        phy0: ethernet-phy@0 {
                            reg = <0>;
                            status = "disabled";
                        };

                        phy1: ethernet-phy@1 {
                            compatible = "ethernet-phy-id001c.c915", "ethernet-phy-ieee802.3-c22";
                            reg = <1>;
                        };

                        ethernet-phy@5 {
                            reg = <5>;
                            status = "ok";
                        };
                    };
                };

                ethernet@2000 {
                    compatible = "snps,dwmac";
                    reg = <0x2000 0x100>;
                    phy-connection-type = "RMII";
                    address = [00 00 00 00 00 00];
                    status = "disabled";
                };
            };
        };
        """;

    private readonly List<nint> _strings = [];

    public OpenFirmwareTests(KernelFixture kernel)
    {
        InProcessMachine.Boot(kernel);
        OpenFirmware.Load(FlattenedDeviceTree.Parse(File.ReadAllBytes(Compile(Board))));
    }

    public void Dispose()
    {
        foreach (var s in _strings)
            Marshal.FreeCoTaskMem(s);
    }

    /// <summary>The source compiled by dtc into a blob file.</summary>
    internal static string Compile(string source)
    {
        string dir = Directory.CreateTempSubdirectory("linuxshim-of-").FullName;
        string dts = Path.Combine(dir, "board.dts"), dtb = Path.Combine(dir, "board.dtb");
        File.WriteAllText(dts, source);
        var psi = new ProcessStartInfo("dtc", ["-I", "dts", "-O", "dtb", "-o", dtb, dts]) { RedirectStandardError = true };
        using var dtc = Process.Start(psi)!;
        string errors = dtc.StandardError.ReadToEnd();
        dtc.WaitForExit();
        Assert.True(dtc.ExitCode == 0, errors);
        return dtb;
    }

    private nint S(string s)
    {
        nint p = Marshal.StringToCoTaskMemUTF8(s);
        _strings.Add(p);
        return p;
    }

    private static nint Find(string path) => ((delegate* unmanaged[Cdecl]<nint, nint*, nint>)&OpenFirmware.OfFindNodeOptsByPath)(Marshal.StringToCoTaskMemUTF8(path), null);

    private static string? Name(nint np) => np == 0 ? null : OpenFirmware.Path(np);

    private nint Gmac => Find("/soc/ethernet@1000");

    [Fact]
    public void UnflattensNodesAndPropertiesAsLinuxDoes()
    {
        nint root = OpenFirmware.Root;
        Assert.Equal("/", Access.CString(root.Ptr(OfLayout.NodeFullName)));
        nint gmac = Gmac;
        Assert.Equal("ethernet@1000", Access.CString(gmac.Ptr(OfLayout.NodeFullName)));
        Assert.Equal("ethernet", Access.CString(gmac.Ptr(OfLayout.NodeName))); // made from the node name: no "name" in a dtc blob
        Assert.Equal("/soc", Name(gmac.Ptr(OfLayout.NodeParent)));
        Assert.Equal("clock", Access.CString(gmac.Ptr(OfLayout.NodeParent).Ptr(OfLayout.NodeChild).Ptr(OfLayout.NodeFullName)));
        Assert.Equal("ethernet@2000", Access.CString(gmac.Ptr(OfLayout.NodeSibling).Ptr(OfLayout.NodeFullName)));
        Assert.NotEqual(0u, Find("/soc/clock").U32(OfLayout.NodePhandle));
        // The properties in blob order, "name" appended; an empty one has a value pointer and length 0.
        var names = new List<string>();
        for (nint pp = gmac.Ptr(OfLayout.NodeProperties); pp != 0; pp = pp.Ptr(OfLayout.PropertyNext))
            names.Add(Access.CString(pp.Ptr(OfLayout.PropertyName))!);
        Assert.Equal("compatible", names[0]);
        Assert.Equal("name", names[^1]);
        int len = -1;
        nint flag = ((delegate* unmanaged[Cdecl]<nint, nint, int*, nint>)&OpenFirmware.OfFindProperty)(gmac, S("snps,force_sf_dma_mode"), &len);
        Assert.Equal(0, len);
        Assert.NotEqual(0, flag.Ptr(OfLayout.PropertyValue));
        // Node and Managed map both ways; the fwnode is the embedded one.
        var managed = OpenFirmware.Managed(gmac);
        Assert.Equal("/soc/ethernet@1000", managed?.Path);
        Assert.Equal(gmac, OpenFirmware.Node(managed!));
        Assert.Equal(gmac, OpenFirmware.OfNode(OpenFirmware.Fwnode(gmac)));
        Assert.Equal(0, OpenFirmware.OfNode(gmac)); // not a fwnode of the tree
        Assert.Equal(0, Find("/soc/nosuch"));
        Assert.Equal(gmac, Find("ethernet0"));
        Assert.Equal(Find("/soc/ethernet@1000/mdio"), Find("ethernet0/mdio"));
    }

    [Fact]
    public void ReadsIntegersOfEachWidth()
    {
        var read = (delegate* unmanaged[Cdecl]<nint, nint, nint, nuint, nuint, int>)&OpenFirmware.OfPropertyReadVariableU8Array;
        byte[] b = new byte[4];
        fixed (byte* p = b)
            Assert.Equal(3, read(Gmac, S("bytes"), (nint)p, 1, 4));
        Assert.Equal([1, 2, 0xff, 0], b);

        ushort[] h = new ushort[2];
        fixed (ushort* p = h)
            Assert.Equal(2, ((delegate* unmanaged[Cdecl]<nint, nint, nint, nuint, nuint, int>)&OpenFirmware.OfPropertyReadVariableU16Array)(Gmac, S("halves"), (nint)p, 2, 0));
        Assert.Equal([0x1234, 0xabcd], h);

        var read32 = (delegate* unmanaged[Cdecl]<nint, nint, nint, nuint, nuint, int>)&OpenFirmware.OfPropertyReadVariableU32Array;
        uint[] w = new uint[4];
        fixed (uint* p = w)
        {
            Assert.Equal(1, read32(Gmac, S("max-speed"), (nint)p, 1, 0)); // of_property_read_u32()
            Assert.Equal(1000u, w[0]);
            Assert.Equal(2, read32(Gmac, S("words"), (nint)p, 2, 0)); // exactly 2 of 3: fine
            Assert.Equal(3, read32(Gmac, S("words"), (nint)p, 1, 4)); // 1..4: all 3
            Assert.Equal([0xdeadbeef, 7u, 8u], w[..3]);
            Assert.Equal(EOverflow, read32(Gmac, S("words"), (nint)p, 4, 0)); // too short
            Assert.Equal(EOverflow, read32(Gmac, S("words"), (nint)p, 1, 2)); // longer than max
            Assert.Equal(EOverflow, read32(Gmac, S("snps,force_sf_dma_mode"), (nint)p, 1, 0)); // empty
            Assert.Equal(EInval, read32(Gmac, S("no-such"), (nint)p, 1, 0));
        }

        ulong[] q = new ulong[2];
        fixed (ulong* p = q)
            Assert.Equal(2, ((delegate* unmanaged[Cdecl]<nint, nint, nint, nuint, nuint, int>)&OpenFirmware.OfPropertyReadVariableU64Array)(Gmac, S("quads"), (nint)p, 2, 0));
        Assert.Equal([0x0123456789abcdefUL, 42UL], q);
        ulong one;
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, ulong*, int>)&OpenFirmware.OfPropertyReadU64)(Gmac, S("quads"), &one));
        Assert.Equal(0x0123456789abcdefUL, one);
        uint at;
        var index = (delegate* unmanaged[Cdecl]<nint, nint, uint, uint*, int>)&OpenFirmware.OfPropertyReadU32Index;
        Assert.Equal(0, index(Gmac, S("words"), 2, &at));
        Assert.Equal(8u, at);
        Assert.Equal(EOverflow, index(Gmac, S("words"), 3, &at));

        var count = (delegate* unmanaged[Cdecl]<nint, nint, int, int>)&OpenFirmware.OfPropertyCountElemsOfSize;
        Assert.Equal(3, count(Gmac, S("words"), 4));
        Assert.Equal(2, count(Gmac, S("quads"), 8));
        Assert.Equal(EInval, count(Gmac, S("bytes"), 4)); // 3 bytes are no whole u32
        Assert.Equal(EInval, count(Gmac, S("no-such"), 4));
        Assert.Equal(0, count(Gmac, S("snps,force_sf_dma_mode"), 4));
    }

    [Fact]
    public void ReadsStringsAndStringLists()
    {
        nint s = 0;
        var readString = (delegate* unmanaged[Cdecl]<nint, nint, nint*, int>)&OpenFirmware.OfPropertyReadString;
        Assert.Equal(0, readString(Gmac, S("phy-mode"), &s));
        Assert.Equal("rgmii-id", Access.CString(s));
        Assert.Equal(EInval, readString(Gmac, S("no-such"), &s));
        Assert.Equal(EIlseq, readString(Gmac, S("unterminated"), &s));
        Assert.Equal(EIlseq, readString(Gmac, S("snps,force_sf_dma_mode"), &s)); // no NUL within 0 bytes

        var match = (delegate* unmanaged[Cdecl]<nint, nint, nint, int>)&OpenFirmware.OfPropertyMatchString;
        Assert.Equal(1, match(Gmac, S("clock-names"), S("pclk")));
        Assert.Equal(ENoData, match(Gmac, S("clock-names"), S("PCLK")));
        Assert.Equal(EInval, match(Gmac, S("reset-names"), S("stmmaceth")));
        Assert.Equal(EIlseq, match(Gmac, S("unterminated"), S("x")));
        Assert.Equal(ENoData, match(Gmac, S("snps,force_sf_dma_mode"), S("x")));

        var helper = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nuint, int, int>)&OpenFirmware.OfPropertyReadStringHelper;
        Assert.Equal(3, helper(Gmac, S("clock-names"), null, 0, 0)); // of_property_count_strings()
        nint* out3 = stackalloc nint[3];
        Assert.Equal(2, helper(Gmac, S("clock-names"), out3, 2, 1)); // skip 1, read 2
        Assert.Equal("pclk", Access.CString(out3[0]));
        Assert.Equal("ptp_ref", Access.CString(out3[1]));
        Assert.Equal(1, helper(Gmac, S("clock-names"), out3, 1, 2)); // of_property_read_string_index(2)
        Assert.Equal("ptp_ref", Access.CString(out3[0]));
        Assert.Equal(ENoData, helper(Gmac, S("clock-names"), out3, 1, 3));
        Assert.Equal(EInval, helper(Gmac, S("no-such"), null, 0, 0));
        Assert.Equal(EIlseq, helper(Gmac, S("unterminated"), null, 0, 0));
    }

    [Fact]
    public void MatchesCompatibleFirstThenTypeThenName()
    {
        nint gmac = Gmac;
        var isCompatible = (delegate* unmanaged[Cdecl]<nint, nint, int>)&OpenFirmware.OfDeviceIsCompatible;
        int specific = isCompatible(gmac, S("vendor,soc-gmac")), generic = isCompatible(gmac, S("snps,dwmac"));
        Assert.Equal(int.MaxValue / 2, specific);
        Assert.Equal(int.MaxValue / 2 - 8, generic);
        Assert.Equal(specific, isCompatible(gmac, S("VENDOR,SOC-GMAC"))); // compared as strcasecmp() does
        Assert.Equal(0, isCompatible(gmac, S("snps,dwmac-mdio")));

        // A table: a generic entry, a name-only entry, the specific entry, a type+generic entry; the specific wins, then
        // type+generic over generic alone; the mdio node matches only by name.
        int size = OfLayout.IdSize.Size;
        nint table = (nint)NativeMemory.AllocZeroed((nuint)(size * 5));
        try
        {
            void Entry(int i, string? compatible, string? type = null, string? name = null)
            {
                nint e = table + i * size;
                if (compatible is not null)
                    Access.WriteCString(e.At(OfLayout.IdCompatible), OfLayout.IdCompatible.Size, compatible);
                if (type is not null)
                    Access.WriteCString(e.At(OfLayout.IdType), OfLayout.IdType.Size, type);
                if (name is not null)
                    Access.WriteCString(e.At(OfLayout.IdName), OfLayout.IdName.Size, name);
                e.Ptr(OfLayout.IdData, 100 + i);
            }
            Entry(0, "snps,dwmac");
            Entry(1, null, name: "mdio");
            Entry(2, "vendor,soc-gmac");
            Entry(3, "snps,dwmac", type: "network");
            Assert.Equal(table + 2 * size, OpenFirmware.Match(table, gmac));
            Assert.Equal(table + 1 * size, OpenFirmware.Match(table, Find("/soc/ethernet@1000/mdio")));
            Assert.Equal(table, OpenFirmware.Match(table, Find("/soc/ethernet@2000"))); // no device_type: generic only
            Assert.Equal(0, OpenFirmware.Match(table, Find("/soc/clock")));
            Access.WriteCString((table + 2 * size).At(OfLayout.IdCompatible), 128, "other,thing");
            Assert.Equal(table + 3 * size, ((delegate* unmanaged[Cdecl]<nint, nint, nint>)&OpenFirmware.OfMatchNode)(table, gmac));
            Assert.Equal(0, OpenFirmware.Match(0, gmac));
        }
        finally
        {
            NativeMemory.Free((void*)table);
        }
    }

    [Fact]
    public void IteratesChildrenSkippingDisabledOnesWhenAsked()
    {
        nint mdio = Find("/soc/ethernet@1000/mdio");
        var next = (delegate* unmanaged[Cdecl]<nint, nint, nint>)&OpenFirmware.OfGetNextChild;
        var nextAvailable = (delegate* unmanaged[Cdecl]<nint, nint, nint>)&OpenFirmware.OfGetNextAvailableChild;
        List<string> All(delegate* unmanaged[Cdecl]<nint, nint, nint> step)
        {
            var list = new List<string>();
            for (nint c = step(mdio, 0); c != 0; c = step(mdio, c))
                list.Add(Access.CString(c.Ptr(OfLayout.NodeFullName))!);
            return list;
        }
        Assert.Equal(["ethernet-phy@0", "ethernet-phy@1", "ethernet-phy@5"], All(next));
        Assert.Equal(["ethernet-phy@1", "ethernet-phy@5"], All(nextAvailable)); // "disabled" skipped, "ok" kept
        var available = (delegate* unmanaged[Cdecl]<nint, byte>)&OpenFirmware.OfDeviceIsAvailable;
        Assert.Equal(0, available(Find("/soc/ethernet@2000")));
        Assert.Equal(1, available(Gmac));
        Assert.Equal(0, available(0));

        var byName = (delegate* unmanaged[Cdecl]<nint, nint, nint>)&OpenFirmware.OfGetChildByName;
        Assert.Equal(mdio, byName(Gmac, S("mdio")));
        Assert.Equal(Find("/soc/ethernet@1000/mdio/ethernet-phy@0"), byName(mdio, S("ethernet-phy"))); // first, disabled or not
        Assert.Equal(0, byName(mdio, S("ethernet-ph")));
        Assert.Equal(Gmac, ((delegate* unmanaged[Cdecl]<nint, nint>)&OpenFirmware.OfGetParent)(mdio));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint>)&OpenFirmware.OfGetParent)(OpenFirmware.Root));
        Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, nint, byte>)&OpenFirmware.OfNodeNameEq)(mdio, S("mdio")));
        Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, byte>)&OpenFirmware.OfNodeNameEq)(Gmac, S("ethernet@1000")));
    }

    [Fact]
    public void ParsesPhandlesWithTheirArguments()
    {
        var parse = (delegate* unmanaged[Cdecl]<nint, nint, nint, int, int, nint, int>)&OpenFirmware.OfParsePhandleWithArgs;
        nint args = (nint)NativeMemory.AllocZeroed(256);
        try
        {
            // of_parse_phandle(np, "phy-handle", 0)
            Assert.Equal(0, parse(Gmac, S("phy-handle"), 0, 0, 0, args));
            Assert.Equal("/soc/ethernet@1000/mdio/ethernet-phy@1", Name(args.Ptr(OfLayout.PhandleArgsNode)));
            Assert.Equal(0, args.I32(OfLayout.PhandleArgsCount));
            Assert.Equal(ENoEnt, parse(Gmac, S("phy-handle"), 0, 0, 1, args));
            Assert.Equal(ENoEnt, parse(Gmac, S("no-such"), 0, 0, 0, args));
            Assert.Equal(EInval, parse(Gmac, S("phy-handle"), 0, 0, -1, args));

            // of_parse_phandle_with_args(np, "clocks", "#clock-cells", i): <&clk 3 4>, <0>, <&rst 9> (rst has no #clock-cells).
            Assert.Equal(0, parse(Gmac, S("clocks"), S("#clock-cells"), -1, 0, args));
            Assert.Equal("/soc/clock", Name(args.Ptr(OfLayout.PhandleArgsNode)));
            Assert.Equal(2, args.I32(OfLayout.PhandleArgsCount));
            Assert.Equal([3u, 4u], new ReadOnlySpan<uint>((void*)args.At(OfLayout.PhandleArgsArgs), 2).ToArray());
            Assert.Equal(ENoEnt, parse(Gmac, S("clocks"), S("#clock-cells"), -1, 1, args)); // the empty entry
            Assert.Equal(EInval, parse(Gmac, S("clocks"), S("#clock-cells"), -1, 2, args)); // no #clock-cells on rst
            Assert.Equal(0, parse(Gmac, S("clocks"), S("#clock-cells"), 1, 2, args)); // with a fallback count
            Assert.Equal("/soc/reset", Name(args.Ptr(OfLayout.PhandleArgsNode)));
            Assert.Equal(9u, *(uint*)args.At(OfLayout.PhandleArgsArgs));

            Assert.Equal(0, parse(Gmac, S("resets"), S("#reset-cells"), -1, 0, args));
            Assert.Equal(5u, *(uint*)args.At(OfLayout.PhandleArgsArgs));
            var countWith = (delegate* unmanaged[Cdecl]<nint, nint, nint, int>)&OpenFirmware.OfCountPhandleWithArgs;
            Assert.Equal(1, countWith(Gmac, S("resets"), S("#reset-cells")));
            Assert.Equal(ENoEnt, countWith(Gmac, S("no-such"), S("#reset-cells")));
        }
        finally
        {
            NativeMemory.Free((void*)args);
        }
    }

    [Fact]
    public void AliasesGiveIdsByStem()
    {
        var id = (delegate* unmanaged[Cdecl]<nint, nint, int>)&OpenFirmware.OfAliasGetId;
        var highest = (delegate* unmanaged[Cdecl]<nint, int>)&OpenFirmware.OfAliasGetHighestId;
        Assert.Equal(0, id(Gmac, S("ethernet")));
        Assert.Equal(3, id(Find("/soc/ethernet@2000"), S("ethernet")));
        Assert.Equal(1, id(Find("/soc/ethernet@1000/mdio"), S("mdio")));
        Assert.Equal(ENoDev, id(Gmac, S("serial"))); // "serial" has no number: not an id
        Assert.Equal(ENoDev, id(Gmac, S("eth")));
        Assert.Equal(3, highest(S("ethernet")));
        Assert.Equal(ENoDev, highest(S("i2c")));
    }

    [Fact]
    public void MacAddressIsTheFirstValidOfThreeProperties()
    {
        var get = (delegate* unmanaged[Cdecl]<nint, byte*, int>)&OpenFirmware.OfGetMacAddress;
        byte* mac = stackalloc byte[6];
        // mac-address is multicast (invalid): local-mac-address is taken.
        Assert.Equal(0, get(Gmac, mac));
        Assert.Equal(new byte[] { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 }, new ReadOnlySpan<byte>(mac, 6).ToArray());
        Assert.Equal(ENoEnt, get(Find("/soc/ethernet@2000"), mac)); // "address" all zero: invalid, no NVMEM
        Assert.Equal(ENoDev, get(0, mac));
    }

    [Fact]
    public void FwnodeAndDevicePropertiesGoThroughTheNode()
    {
        nint gmac = Gmac, fw = OpenFirmware.Fwnode(gmac);
        // A struct device with only of_node set, as the platform bus sets it.
        nint dev = (nint)NativeMemory.AllocZeroed(4096);
        try
        {
            ((delegate* unmanaged[Cdecl]<nint, nint, void>)&OpenFirmware.DeviceSetNode)(dev, fw);
            Assert.Equal(gmac, dev.Ptr(OfLayout.DeviceOfNode));
            Assert.Equal(fw, ((delegate* unmanaged[Cdecl]<nint, nint>)&OpenFirmware.DevFwnode)(dev));
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, nint, int>)&OpenFirmware.DeviceMatchFwnode)(dev, fw));
            Assert.Equal(1, ((delegate* unmanaged[Cdecl]<nint, nint, int>)&OpenFirmware.DeviceMatchOfNode)(dev, gmac));
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, int>)&OpenFirmware.DeviceMatchOfNode)(dev, Find("/soc")));

            var present = (delegate* unmanaged[Cdecl]<nint, nint, byte>)&Property.FwnodePropertyPresent;
            Assert.Equal(1, present(fw, S("snps,force_sf_dma_mode")));
            Assert.Equal(0, present(fw, S("snps,no-such")));
            Assert.Equal(0, present(0, S("phy-mode")));

            var u32 = (delegate* unmanaged[Cdecl]<nint, nint, nint, nuint, int>)&Property.DevicePropertyReadU32Array;
            uint v = 0;
            Assert.Equal(0, u32(dev, S("max-speed"), (nint)(&v), 1));
            Assert.Equal(1000u, v);
            Assert.Equal(3, u32(dev, S("words"), 0, 0)); // a count
            Assert.Equal(EOverflow, u32(dev, S("max-speed"), (nint)(&v), 2));
            Assert.Equal(EInval, u32(dev, S("no-such"), (nint)(&v), 1));
            byte* bare = stackalloc byte[4096]; // zeroed: a device without a node
            Assert.Equal(EInval, u32((nint)bare, S("max-speed"), (nint)(&v), 1));
            ushort hv;
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, nint, nuint, int>)&Property.FwnodePropertyReadU16Array)(fw, S("halves"), (nint)(&hv), 1));
            Assert.Equal(0x1234, hv);

            nint str = 0;
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, nint, nint*, int>)&Property.FwnodePropertyReadString)(fw, S("clock-names"), &str));
            Assert.Equal("stmmaceth", Access.CString(str));
            var matchString = (delegate* unmanaged[Cdecl]<nint, nint, nint, int>)&Property.FwnodePropertyMatchString;
            Assert.Equal(2, matchString(fw, S("clock-names"), S("ptp_ref")));
            Assert.Equal(ENoData, matchString(fw, S("clock-names"), S("nope")));
            Assert.Equal(EInval, matchString(fw, S("no-such"), S("nope")));
            Assert.Equal(0, matchString(OpenFirmware.Fwnode(Find("/soc/ethernet@1000/mdio/ethernet-phy@1")), S("compatible"), S("ethernet-phy-id001c.c915")));

            // fwnode_find_reference(), fwnode_get_named_child_node() (available children only).
            nint phy = ((delegate* unmanaged[Cdecl]<nint, nint, uint, nint>)&Property.FwnodeFindReference)(fw, S("phy-handle"), 0);
            Assert.Equal("/soc/ethernet@1000/mdio/ethernet-phy@1", Name(OpenFirmware.OfNode(phy)));
            Assert.Equal(ENoEnt, ((delegate* unmanaged[Cdecl]<nint, nint, uint, nint>)&Property.FwnodeFindReference)(fw, S("phy"), 0));
            var named = (delegate* unmanaged[Cdecl]<nint, nint, nint>)&Property.FwnodeGetNamedChildNode;
            Assert.Equal(OpenFirmware.Fwnode(Find("/soc/ethernet@1000/mdio")), named(fw, S("mdio")));
            Assert.Equal(0, named(fw, S("fixed-link")));
            Assert.Equal(OpenFirmware.Fwnode(Find("/soc/ethernet@1000/mdio/ethernet-phy@1")),
                named(OpenFirmware.Fwnode(Find("/soc/ethernet@1000/mdio")), S("ethernet-phy"))); // @0 is disabled

            Assert.Equal(fw, ((delegate* unmanaged[Cdecl]<nint, nint>)&Property.FwnodeHandleGet)(fw));
            Assert.Equal(EInval, ((delegate* unmanaged[Cdecl]<nint, uint, int>)&Property.FwnodeIrqGet)(fw, 0));
            Assert.Equal(0, ((delegate* unmanaged[Cdecl]<nint, byte>)&OpenFirmware.IsAcpiDeviceNode)(fw));
        }
        finally
        {
            NativeMemory.Free((void*)dev);
        }
    }
}
