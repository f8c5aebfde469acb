// SPDX-License-Identifier: MIT
// Bad input to "linuxshim scan": one clear error line naming the problem, a non-zero exit, no
// stack trace; a source that fails to parse is reported in the model while the scan completes.
using LinuxShim.Tools;

namespace LinuxShim.Tools.Tests;

[Collection(KernelCollection.Name)]
public class CliErrorTests(KernelFixture kernel)
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Cli.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static void AssertOneLineError(int expectedExit, (int Exit, string Out, string Err) run, string mentions)
    {
        Assert.Equal(expectedExit, run.Exit);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one error line, got:\n" + run.Err);
        Assert.StartsWith("linuxshim: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void MissingBuildDirectory() =>
        AssertOneLineError(1, Run("scan", "drivers/net/ethernet/realtek", "--linux", kernel.Linux, "--build", "/nonexistent/build"), "does not exist");

    [Fact]
    public void UnconfiguredBuildDirectory()
    {
        string dir = Directory.CreateTempSubdirectory("linuxshim-build-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Makefile"), "all:\n");
            AssertOneLineError(1, Run("scan", "drivers/net/ethernet/realtek", "--linux", kernel.Linux, "--build", dir), "autoconf.h");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DirectoryWithoutMakefile() =>
        AssertOneLineError(1, Run("scan", "include/linux", "--linux", kernel.Linux, "--build", kernel.Build), "include/linux");

    [Fact]
    public void PathOutsideTheTree() =>
        AssertOneLineError(1, Run("scan", "../../etc", "--linux", kernel.Linux, "--build", kernel.Build), "outside the kernel tree");

    [Fact]
    public void MissingTree() =>
        AssertOneLineError(1, Run("scan", "drivers/net", "--linux", "/nonexistent/linux.git@v6.1", "--build", kernel.Build), "/nonexistent/linux.git");

    [Fact]
    public void UsageErrorsExitWithTwo()
    {
        Assert.Equal(2, Run("scan").Exit);
        Assert.Equal(2, Run("scan", "a", "b").Exit);
        Assert.Equal(2, Run("scan", "x", "--jobs", "zero").Exit);
        Assert.Equal(2, Run("frobnicate").Exit);
        var help = Run("--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("--linux PATH[@REV]", help.Out);
    }

    [Fact]
    public void CorruptGitRepository()
    {
        string dir = Directory.CreateTempSubdirectory("linuxshim-corrupt-").FullName;
        try
        {
            // A repository whose HEAD names a commit the object database does not have.
            LibGit2Sharp.Repository.Init(dir, isBare: true);
            File.WriteAllText(Path.Combine(dir, "HEAD"), "ref: refs/heads/main\n");
            Directory.CreateDirectory(Path.Combine(dir, "refs", "heads"));
            File.WriteAllText(Path.Combine(dir, "refs", "heads", "main"), "0123456789abcdef0123456789abcdef01234567\n");
            var run = Run("scan", "drivers/net", "--linux", dir, "--build", kernel.Build, "--cache", Path.Combine(dir, "cache"));
            Assert.Equal(1, run.Exit);
            Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", run.Err);
            Assert.Contains(dir, run.Err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SourceThatFailsToParseIsReportedAndTheScanCompletes()
    {
        using var tree = new DerivedTree(kernel.SourceRoot);
        string root = tree.Root;
        tree.Write("drivers/lstest/Makefile", "# SPDX-License-Identifier: GPL-2.0\nobj-m += good.o broken.o\n");
        tree.Write("drivers/lstest/good.c", """
            // SPDX-License-Identifier: GPL-2.0
            #include <linux/module.h>
            static int __init good_init(void) { pr_info("hello\n"); return 0; }
            module_init(good_init);
            int good_helper(int x);
            int good_helper(int x) { return x + 1; }
            EXPORT_SYMBOL_NS_GPL(good_helper, LINUXSHIM);
            MODULE_LICENSE("GPL");
            """);
        tree.Write("drivers/lstest/broken.c", "// SPDX-License-Identifier: GPL-2.0\n#include <linux/module.h>\nint broken(void) { return 1 +; }\n");
        string json = Path.Combine(root, "out.json");

        var run = Run("scan", "drivers/lstest", "--linux", root, "--build", kernel.Build, "--json", json);
        Assert.Equal(0, run.Exit);
        var model = LinuxShim.Import.Model.ImportModelJson.Deserialize(File.ReadAllText(json));
        var broken = Assert.Single(model.Modules, m => m.Name == "broken");
        Assert.Equal("error", broken.Status);
        Assert.Contains(broken.Errors, e => e.Contains("broken.c:3", StringComparison.Ordinal));
        var good = Assert.Single(model.Modules, m => m.Name == "good");
        Assert.Equal("ok", good.Status);
        Assert.Contains(good.Requires, r => r.Symbol == "_printk");
        Assert.Equal("good_init", good.Entry.Init);
        Assert.Equal([new LinuxShim.Import.Model.ExportedSymbol("good_helper", "EXPORT_SYMBOL_GPL", "LINUXSHIM")], good.Exports);
        Assert.Contains("broken", run.Out);

        Assert.Equal(1, Run("scan", "drivers/lstest", "--linux", root, "--build", kernel.Build, "--strict", "--quiet").Exit);
    }

    [Fact]
    public void AParameterDeclaredInTwoSourcesOfOneModuleIsListedOnce()
    {
        using var tree = new DerivedTree(kernel.SourceRoot);
        tree.Write("drivers/lstest/Makefile", "obj-m += two.o\ntwo-objs := a.o b.o\n");
        foreach (var name in new[] { "a", "b" })
            tree.Write($"drivers/lstest/{name}.c",
                $"#include <linux/module.h>\nstatic int debug;\nmodule_param(debug, int, 0);\nMODULE_PARM_DESC(debug, \"{name}\");\nint {name}_fn(void);\nint {name}_fn(void) {{ return debug; }}\n");
        var run = Run("scan", "drivers/lstest", "--linux", tree.Root, "--build", kernel.Build, "--json", Path.Combine(tree.Root, "out.json"), "--quiet");
        Assert.True(run.Exit == 0, run.Err);
        var module = Assert.Single(LinuxShim.Import.Model.ImportModelJson.Deserialize(File.ReadAllText(Path.Combine(tree.Root, "out.json"))).Modules);
        Assert.Equal("ok", module.Status);
        var parameter = Assert.Single(module.Parameters);
        Assert.Equal(("debug", "int"), (parameter.Name, parameter.Type));
    }
}
