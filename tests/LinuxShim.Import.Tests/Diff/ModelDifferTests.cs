// SPDX-License-Identifier: MIT
// Tests of scan diff's comparison of two kernels' Import Models: renames taken only with shared call sites,
// prototypes and exports compared per symbol, modules paired by directory and name, ports on NEW.
using LinuxShim.Import.Diff;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Tests.Diff;

public class ModelDifferTests
{
    private static RequiredSymbol R(string symbol, string? prototype, string[] callers, string export = "EXPORT_SYMBOL", string provider = "vmlinux") =>
        new(symbol, export, null, provider, callers.FirstOrDefault()) { Prototype = prototype, Callers = callers };

    private static ModuleInfo M(string name, string directory, params RequiredSymbol[] requires) => new()
    {
        Name = name, Directory = directory, Status = "ok", Sources = [], Requires = requires.OrderBy(r => r.Symbol, StringComparer.Ordinal).ToList(), Entry = new EntryPoints(),
    };

    private static ImportModel Model(string version, params ModuleInfo[] modules) => new()
    {
        Kernel = new KernelInfo { Source = "tarball", Location = "/usr/src/linux-source-" + version, Release = version, Version = version, Build = "b", Arch = "x86", Config = "c", Analyser = "a" },
        Scope = "drivers/net",
        Modules = modules,
    };

    [Fact]
    public void RenamesNeedSharedCallSitesAndRelatedNamesOrAnUnambiguousMatch()
    {
        var old = M("e1000", "drivers/net/e1000",
            R("__kmalloc", "void *(size_t, gfp_t)", ["e1000_setup_rx", "e1000_setup_tx"]),
            R("strscpy", "ssize_t (char *, const char *, size_t)", ["e1000_get_drvinfo"]),
            R("dropped_helper", "void (int)", ["e1000_remove"]),
            R("old_stat", "void (int, int)", ["e1000_update_stats"]),
            R("netif_rx", "int (struct sk_buff *)", ["e1000_clean"]));
        var @new = M("e1000", "drivers/net/e1000",
            R("__kmalloc_noprof", "void *(size_t, gfp_t)", ["e1000_setup_rx", "e1000_setup_tx"]),
            R("sized_strscpy", "ssize_t (char *, const char *, size_t)", ["e1000_get_drvinfo"]),
            R("brand_new", "void (int)", ["e1000_probe"]),
            R("other_stat", "void (int, int)", ["e1000_update_stats"]),
            R("netif_rx", "int (struct sk_buff *, int)", ["e1000_clean"], "EXPORT_SYMBOL_GPL"));

        var d = ModelDiffer.CompareModule(old, @new);

        Assert.Equal(["__kmalloc → __kmalloc_noprof", "old_stat → other_stat", "strscpy → sized_strscpy"], d.Renamed.Select(r => $"{r.Old} → {r.New}"));
        Assert.Contains("same call sites", d.Renamed[0].Evidence);
        // Same callers and parameter count, the only candidate for each other, though the names differ.
        Assert.DoesNotContain("related names", d.Renamed.Single(r => r.Old == "old_stat").Evidence);
        // No shared call site: added and removed, never a rename.
        Assert.Equal(["brand_new"], d.Added);
        Assert.Equal(["dropped_helper"], d.Removed);
        Assert.Equal([new PrototypeChange("netif_rx", "int (struct sk_buff *)", "int (struct sk_buff *, int)")], d.Prototypes);
        var export = Assert.Single(d.Exports);
        Assert.Equal(("EXPORT_SYMBOL", "EXPORT_SYMBOL_GPL"), (export.OldExport, export.NewExport));
    }

    [Fact]
    public void PrototypesSpelledThroughAnotherTypedefAreUnchanged()
    {
        var old = M("m", "d", R("sched_clock", "unsigned long long (void)", ["f"]), R("kmalloc_caches", "struct kmem_cache *[4][14]", ["f"]));
        var @new = M("m", "d", R("sched_clock", "u64 (void)", ["f"]) with { CanonicalPrototype = "unsigned long long (void)" },
            R("kmalloc_caches", "kmem_buckets[5]", ["f"]) with { CanonicalPrototype = "struct kmem_cache *[5][14]" });
        var change = Assert.Single(ModelDiffer.CompareModule(old, @new).Prototypes);
        Assert.Equal(new PrototypeChange("kmalloc_caches", "struct kmem_cache *[4][14]", "kmem_buckets[5]"), change);
    }

    [Fact]
    public void TwoCandidatesWithUnrelatedNamesAreNotGuessed()
    {
        var old = M("m", "d", R("alpha", "void (int)", ["f"]));
        var @new = M("m", "d", R("beta", "void (int)", ["f"]), R("gamma", "void (int)", ["f"]));
        var d = ModelDiffer.CompareModule(old, @new);
        Assert.Empty(d.Renamed);
        Assert.Equal(["beta", "gamma"], d.Added);
    }

    [Fact]
    public void ModulesPairByDirectoryThenByANameThatMovedAndTotalsAddUp()
    {
        var oldModel = Model("6.1",
            M("a", "drivers/net/x", R("kfree", "void (const void *)", ["a_remove"]), R("__kmalloc", "void *(size_t, gfp_t)", ["a_probe"])),
            M("b", "drivers/net/old", R("kfree", "void (const void *)", ["b_remove"]), R("__kmalloc", "void *(size_t, gfp_t)", ["b_probe"])),
            M("gone", "drivers/net/x"));
        var newModel = Model("6.12",
            M("a", "drivers/net/x", R("kfree", "void (const void *)", ["a_remove"]), R("__kmalloc_noprof", "void *(size_t, gfp_t)", ["a_probe"])),
            M("b", "drivers/net/new", R("kfree", "void (const void *)", ["b_remove"]), R("__kmalloc_noprof", "void *(size_t, gfp_t)", ["b_probe"])),
            M("fresh", "drivers/net/x", R("kfree", "void (const void *)", ["f"])));
        var ports = new List<ModelDiffer.Port> { new("port-a", "a", "drivers/net/x", true, true), new("port-z", "z", "drivers/net/z", true, false) };

        var d = ModelDiffer.Compare(oldModel, newModel, new HashSet<string> { "kfree" }, ports, _ => (null, null));

        Assert.Equal(2, d.Totals.ModulesCompared);
        Assert.Equal(["drivers/net/x/fresh"], d.ModulesAdded);
        Assert.Equal(["drivers/net/x/gone"], d.ModulesRemoved);
        Assert.Equal("drivers/net/old", d.Modules.Single(m => m.Name == "b").OldDirectory);
        var rename = Assert.Single(d.Changes);
        Assert.Equal(("renamed", "__kmalloc", "__kmalloc_noprof"), (rename.Kind, rename.Symbol, rename.Detail));
        Assert.Equal(["a", "b"], rename.Modules);
        Assert.Equal(new ChangeCounts(0, 0, 2, 0, 0), d.Totals.PerModule);
        Assert.Equal(new ChangeCounts(0, 0, 1, 0, 0), d.Totals.Distinct);
        Assert.Equal(["__kmalloc_noprof"], d.Ports[0].LacksNew);
        Assert.Equal(["__kmalloc → __kmalloc_noprof"], d.Ports[0].Renamed);
        Assert.Null(d.Ports[1].LacksNew);

        // A port that loads a second module beside its driver (ne2k-pci with 8390): what that module exports on
        // a kernel is not lacking there.
        var withCompanion = ModelDiffer.Compare(oldModel, newModel, new HashSet<string> { "kfree" }, ports, _ => (null, null),
            p => p.Name == "port-a" ? (new HashSet<string>(), new HashSet<string> { "__kmalloc_noprof" }) : (new HashSet<string>(), new HashSet<string>()));
        Assert.Equal([], withCompanion.Ports[0].LacksNew);
        Assert.Equal(["__kmalloc"], withCompanion.Ports[0].LacksOld);
    }

    [Theory]
    [InlineData("int (void)", 0)]
    [InlineData("void (const char *, ...)", 2)]
    [InlineData("void (void (*)(int, int), struct page *)", 2)]
    [InlineData("struct workqueue_struct *", null)]
    public void ParameterCountsComeFromTheTypeSpelling(string prototype, int? count) =>
        Assert.Equal(count, RenameMatcher.ParameterCount(prototype));
}
