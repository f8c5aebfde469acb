// SPDX-License-Identifier: MIT
// Tests of "linuxshim scan diff" on the installed Linux 6.1 and 6.12 (.ci/run installs both): the renames
// issue 20 found by hand in 8139too are found, prototypes are libclang's, the ports lack nothing on 6.12,
// and the reports are written; and of the importer on 6.12 code that frees through __free(...).
using System.Text.Json;
using LinuxShim.Tools;

namespace LinuxShim.Tools.Tests;

public class ScanDiffTests
{
    [Fact]
    public void RealtekFrom61To612()
    {
        using var dir = new TempDirectory();
        string json = dir.Combine("diff.json"), md = dir.Combine("diff.md"), html = dir.Combine("diff.html");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Cli.Run(["scan", "diff", "6.1", "6.12", "drivers/net/ethernet/realtek", "--json", json, "--markdown", md, "--html", html, "--quiet"], stdout, stderr);
        Assert.True(exit == 0, stderr.ToString());

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        var rtl = root.GetProperty("modules").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "8139too");
        var renamed = rtl.GetProperty("renamed").EnumerateArray()
            .Select(r => r.GetProperty("old").GetString() + " → " + r.GetProperty("new").GetString()).ToList();
        Assert.Equal(["__dev_kfree_skb_any → dev_kfree_skb_any_reason", "__napi_alloc_skb → napi_alloc_skb", "fortify_panic → __fortify_panic",
            "strscpy → sized_strscpy", "system_wq → system_percpu_wq"], renamed);
        var fortify = rtl.GetProperty("renamed").EnumerateArray().Single(r => r.GetProperty("new").GetString() == "__fortify_panic");
        Assert.StartsWith("void (const u8, const size_t, const size_t)", fortify.GetProperty("new_prototype").GetString());
        Assert.Equal(3, root.GetProperty("totals").GetProperty("modules_compared").GetInt32());

        var port = root.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("port").GetString() == "8139too");
        Assert.True(port.GetProperty("supports_new").GetBoolean());
        Assert.Equal(0, port.GetProperty("lacks_new").GetArrayLength());
        // e1000 lies outside realtek: its module is scanned on its own for the port's row.
        var e1000 = root.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("port").GetString() == "e1000");
        Assert.Contains("__kmalloc → __kmalloc_noprof", e1000.GetProperty("renamed").EnumerateArray().Select(r => r.GetString()));

        Assert.Contains("| renamed | `strscpy` | sized_strscpy | 3 |", File.ReadAllText(md));
        Assert.Contains("<h2>Ports</h2>", File.ReadAllText(html));
    }

    [Fact]
    public void FreeCpumaskVarThroughTheFreeCleanupIsRequiredOn612()
    {
        var model = TestKernels.Open("6.12").Scan("drivers/net/ethernet/microsoft", module: "mana");
        var mana = Assert.Single(model.Modules);
        Assert.Equal("ok", mana.Status);
        var free = Assert.Single(mana.Requires, r => r.Symbol == "free_cpumask_var");
        Assert.Contains("irq_setup", free.Callers);
        Assert.Equal("void (cpumask_var_t)", free.Prototype);
    }
    [Fact]
    public void OldAndNewAreInstalledVersionsTreesOrRevisionsOfTheLinuxRepository()
    {
        var installed = ScanDiffCommand.Side("6.12", null, null, "NEW");
        Assert.Equal(new LinuxShim.Import.Install.KernelVersion(6, 12), installed.Kernel);
        Assert.Null(installed.Linux);
        var revision = ScanDiffCommand.Side("@v6.12", "/b612", "/src/linux.git@v6.1", "NEW");
        Assert.Equal(("/src/linux.git@v6.12", "/b612"), (revision.Linux, revision.Build));
        var tree = ScanDiffCommand.Side("/usr/src/linux-source-6.1.tar.xz", null, null, "OLD");
        Assert.Equal("/usr/src/linux-source-6.1.tar.xz", tree.Linux);
        Assert.Null(tree.Kernel);
        Assert.Throws<UsageException>(() => ScanDiffCommand.Side("6.1", "/b61", null, "OLD"));
        Assert.Equal("drivers/net/ethernet", ScanDiffCommand.CommonDirectory(["drivers/net/ethernet/realtek", "drivers/net/ethernet/intel/e1000"]));
        Assert.Null(ScanDiffCommand.CommonDirectory(["drivers/net", "sound/pci"]));
    }
}
