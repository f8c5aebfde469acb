// SPDX-License-Identifier: MIT
// Tests of the module metadata read from declarations: .modinfo, device tables, driver and ops structures.
namespace LinuxShim.Import.Tests.Analysis;

public class MetadataTests
{
    private const string Module = """
        struct pci_device_id { unsigned vendor, device, subvendor, subdevice, class, class_mask; unsigned long driver_data; };
        struct pci_dev;
        struct pci_driver { const char *name; const struct pci_device_id *id_table;
            int (*probe)(struct pci_dev *, const struct pci_device_id *); void (*remove)(struct pci_dev *); };
        struct net_device_ops { int (*ndo_open)(void *); int (*ndo_stop)(void *); };
        static const char __UNIQUE_ID_license1[] __attribute__((used, section(".modinfo"))) = "license=GPL";
        static const char __UNIQUE_ID_author2[] __attribute__((used, section(".modinfo"))) = "author=A. Hacker";
        static const char __UNIQUE_ID_parmtype3[] __attribute__((used, section(".modinfo"))) = "parmtype=debug:int";
        static const char __UNIQUE_ID_parm4[] __attribute__((used, section(".modinfo"))) = "parm=debug:debug level";
        static const struct pci_device_id tbl[] = {
            { 0x10ec, 0x8139, 0xffffffff, 0xffffffff, 0, 0, 1 },
            { .vendor = 0x8086, .device = 0x100e, .subvendor = 0xffffffff, .subdevice = 0xffffffff },
            { }
        };
        extern typeof(tbl) __mod_pci__tbl_device_table __attribute__((unused, alias("tbl")));
        static int probe(struct pci_dev *d, const struct pci_device_id *id) { return 0; }
        static void remove(struct pci_dev *d) { }
        static int open(void *d) { return 0; }
        static const struct net_device_ops ops = { .ndo_open = open };
        static struct pci_driver drv = { .name = "x", .id_table = tbl, .probe = probe, .remove = remove };
        """;

    [Fact]
    public void ModInfoTablesAndStructuresAreRead()
    {
        var result = Snippet.Analyze(Module);
        Assert.Empty(result.Errors);
        var meta = result.Metadata;
        Assert.Contains("license=GPL", meta.ModInfo);
        Assert.Contains("parmtype=debug:int", meta.ModInfo);
        Assert.Equal(2, meta.PciIds.Count);
        Assert.Equal((0x10ecu, 0x8139u, 1ul), (meta.PciIds[0].Vendor, meta.PciIds[0].Device, meta.PciIds[0].DriverData));
        Assert.Equal((0x8086u, 0x100eu), (meta.PciIds[1].Vendor, meta.PciIds[1].Device));
        var driver = Assert.Single(meta.Structures, s => s.Type == "struct pci_driver");
        Assert.Equal("probe", driver.Callbacks["probe"]);
        Assert.Equal("remove", driver.Callbacks["remove"]);
        var ops = Assert.Single(meta.Structures, s => s.Type == "struct net_device_ops");
        Assert.Equal(new Dictionary<string, string> { ["ndo_open"] = "open" }, ops.Callbacks);
    }

    [Fact]
    public void SpdxIsReadFromTheFirstLines()
    {
        Assert.Equal("GPL-2.0-only", LinuxShim.Import.Analysis.SpdxReader.Read("// SPDX-License-Identifier: GPL-2.0-only\nint x;\n"u8.ToArray()));
        Assert.Equal("GPL-2.0 OR BSD-3-Clause", LinuxShim.Import.Analysis.SpdxReader.Read("/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */\n"u8.ToArray()));
        Assert.Null(LinuxShim.Import.Analysis.SpdxReader.Read("/* no licence here */\nint x;\n"u8.ToArray()));
    }
}
