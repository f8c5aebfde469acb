// SPDX-License-Identifier: MIT
// Ports of several upstream modules: the recipe's module lines, the load order read from the Import
// Model's providers, the namespaces a module must import, and the glue that loads them in order.
using LinuxShim.Import.Model;
using LinuxShim.Import.Port;

namespace LinuxShim.Import.Tests.Port;

public sealed class MultiModulePortTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"linuxshim-multi-{Guid.NewGuid():N}", "virtio_net");

    public MultiModulePortTests() => Directory.CreateDirectory(folder);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);

    private PortRecipe Recipe(string text)
    {
        File.WriteAllText(Path.Combine(folder, PortRecipe.FileName), text);
        return PortRecipe.Load(folder);
    }

    /// <summary>
    /// 8390's exports as the scan reads them from the tree, on every kernel: up to 6.4 EXPORT_SYMBOL writes a
    /// ksymtab section, from 6.5 an __export_symbol_ label. 6.12's model had none, so `scan diff` called
    /// ne2k-pci's needs from 8390 missing and the load order fell back on the objects' symbols.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestKernels.Each), MemberType = typeof(TestKernels))]
    public void ExportsAreReadOnEveryKernel(string kernelVersion)
    {
        var model = TestKernels.Open(kernelVersion).Scan("drivers/net/ethernet/8390", module: "8390");
        var lib = Assert.Single(model.Modules, m => m.Name == "8390");
        Assert.Contains(new ExportedSymbol("ei_open", "EXPORT_SYMBOL", ""), lib.Exports);
        Assert.Contains(new ExportedSymbol("__alloc_ei_netdev", "EXPORT_SYMBOL", ""), lib.Exports);
        Assert.True(lib.Exports.Count >= 10, string.Join(", ", lib.Exports.Select(e => e.Symbol)));
    }

    [Fact]
    public void EachModuleBelongsToTheDirectoryAboveIt()
    {
        var r = Recipe("""
            module = virtio_net
            directory = drivers/net
            directory = drivers/virtio
            module = virtio
            module = virtio_ring
            kernel = 6.1
            """);
        Assert.Equal("virtio_net", r.Module);
        Assert.Equal("drivers/net", r.Directory);
        Assert.True(r.IsMultiModule);
        Assert.Equal([new PortModule("drivers/net", "virtio_net"), new PortModule("drivers/virtio", "virtio"), new PortModule("drivers/virtio", "virtio_ring")],
            r.Modules);

        var single = Recipe("directory = drivers/net/ethernet/amd\nmodule = pcnet32\nkernel = 6.1\n");
        Assert.False(single.IsMultiModule);
        Assert.Equal([new PortModule("drivers/net/ethernet/amd", "pcnet32")], single.Modules);

        var e = Assert.Throws<ImportException>(() => Recipe("directory = drivers/virtio\nmodule = virtio\nmodule = virtio\nkernel = 6.1\n"));
        Assert.Contains("module virtio is listed twice", e.Message);
    }

    private static ModuleInfo Module(string directory, string name, params (string Symbol, string Provider, string? Namespace)[] requires) => new()
    {
        Name = name,
        Directory = directory,
        Status = "ok",
        Sources = [],
        Requires = requires.Select(r => new RequiredSymbol(r.Symbol, "EXPORT_SYMBOL_GPL", r.Namespace, r.Provider, null)).ToList(),
        Entry = new EntryPoints(),
    };

    [Fact]
    public void ProvidersAreLoadedBeforeTheirUsers()
    {
        var net = Module("drivers/net", "virtio_net", ("register_virtio_driver", "drivers/virtio/virtio", null), ("virtqueue_add_outbuf", "drivers/virtio/virtio_ring", null),
            ("kmalloc", "vmlinux", null));
        var virtio = Module("drivers/virtio", "virtio");
        var ring = Module("drivers/virtio", "virtio_ring");
        var pci = Module("drivers/virtio", "virtio_pci", ("register_virtio_device", "drivers/virtio/virtio", null),
            ("vp_modern_probe", "drivers/virtio/virtio_pci_modern_dev", null));
        var modern = Module("drivers/virtio", "virtio_pci_modern_dev");
        var order = ModuleLoadOrder.Order([net, virtio, ring, pci, modern]).Select(m => m.Name).ToList();
        Assert.Equal("virtio_net", order[^1]);
        Assert.True(order.IndexOf("virtio") < order.IndexOf("virtio_pci"));
        Assert.True(order.IndexOf("virtio_pci_modern_dev") < order.IndexOf("virtio_pci"));
        Assert.True(order.IndexOf("virtio_ring") < order.IndexOf("virtio_net"));
    }

    [Fact]
    public void AProviderThePortDoesNotLoadIsNamedWithTheLinesToAdd()
    {
        var driver = Module("drivers/net/ethernet/8390", "ne2k-pci", ("ei_open", "drivers/net/ethernet/8390/8390", null));
        var e = Assert.Throws<ImportException>(() => ModuleLoadOrder.Order([driver]));
        Assert.Contains("drivers/net/ethernet/8390/8390 (ei_open)", e.Message);
        Assert.Contains("add 'directory = drivers/net/ethernet/8390' and 'module = 8390'", e.Message);
    }

    [Fact]
    public void ACycleIsRefused()
    {
        var a = Module("d", "a", ("b_export", "d/b", null));
        var b = Module("d", "b", ("a_export", "d/a", null));
        Assert.Contains("cycle", Assert.Throws<ImportException>(() => ModuleLoadOrder.Order([a, b])).Message);
    }

    [Fact]
    public void ASymbolExportedIntoANamespaceNeedsTheImport()
    {
        var core = Module("d", "core");
        var user = Module("d", "user", ("ns_export", "d/core", "CORE_NS"), ("plain_export", "d/core", ""), ("elsewhere", "vmlinux", "OTHER_NS"));
        Assert.Equal(["ns_export (namespace CORE_NS)"], ModuleLoadOrder.UnimportedNamespaces(user, [core, user], new HashSet<string>()));
        Assert.Empty(ModuleLoadOrder.UnimportedNamespaces(user, [core, user], new HashSet<string> { "CORE_NS" }));
    }

    [Fact]
    public void TheGlueLoadsInOrderAndUnloadsTheLoadedOnesWhenOneFails()
    {
        string glue = GlueGenerator.Generate("ne2k-pci", 2, [], [], new LinuxShim.Shim.Layout.LayoutFile(), [], ["8390", "ne2k-pci"]);
        Assert.DoesNotContain("struct module __this_module", glue); // each module brings its own
        int init = glue.IndexOf("int init_module(void)", StringComparison.Ordinal);
        Assert.True(init > 0);
        string body = glue[init..glue.IndexOf("void cleanup_module(void)", StringComparison.Ordinal)];
        Assert.True(body.IndexOf("linuxshim_module_init0()", StringComparison.Ordinal) < body.IndexOf("linuxshim_module_init1()", StringComparison.Ordinal));
        // ne2k-pci failing unloads 8390; 8390 failing unloads nothing.
        Assert.Contains("failed1:\n\tlinuxshim_module_exit0();\nfailed0:\n\treturn err;", body);
        string cleanup = glue[glue.IndexOf("void cleanup_module(void)", StringComparison.Ordinal)..];
        Assert.True(cleanup.IndexOf("linuxshim_module_exit1()", StringComparison.Ordinal) < cleanup.IndexOf("linuxshim_module_exit0()", StringComparison.Ordinal));

        string module = GlueGenerator.ModuleObject("8390", 0, hasInit: true, hasExit: true);
        Assert.Contains("struct module __this_module = {", module);
        Assert.DoesNotContain(".gnu.linkonce.this_module", module);
        Assert.Contains("int linuxshim_module_init0(void)\n{\n\treturn init_module();", module);
        // A library module without module_init refers to none (a weak reference would find the glue's).
        string library = GlueGenerator.ModuleObject("virtio_ring", 1, hasInit: false, hasExit: false);
        Assert.DoesNotContain("init_module", library);
        Assert.DoesNotContain("cleanup_module", library);
    }
}
