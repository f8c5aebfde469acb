// SPDX-License-Identifier: MIT
// The unit cache: a second scan of the same tree parses nothing; editing a header re-parses exactly
// the sources that include it; --no-cache parses everything; cached and fresh models are identical.
namespace LinuxShim.Import.Tests.Kernel;

[Collection(KernelCollection.Name)]
public class UnitCacheTests(KernelFixture kernel)
{
    [Fact]
    public void EditingAHeaderInvalidatesExactlyItsDependants()
    {
        using var tree = new DerivedTree(kernel.SourceRoot);
        string cache = Path.Combine(tree.Root, ".cache");
        tree.Write("drivers/lstest/Makefile", "obj-m += a.o b.o\n");
        tree.Write("drivers/lstest/shared.h", "static inline void shared_hook(void) { }\n");
        tree.Write("drivers/lstest/a.c", "#include <linux/module.h>\n#include \"shared.h\"\nint a_fn(void);\nint a_fn(void) { shared_hook(); return 0; }\nMODULE_LICENSE(\"GPL\");\n");
        tree.Write("drivers/lstest/b.c", "#include <linux/module.h>\nint b_fn(void);\nint b_fn(void) { return 1; }\nMODULE_LICENSE(\"GPL\");\n");

        (Model.ImportModel Model, (int Parsed, int Cached) Stats) Scan(bool useCache = true)
        {
            using var importer = Importer.Open(tree.Root, kernel.Build, cache);
            if (!useCache)
                importer.Cache = null;
            var model = importer.Scan("drivers/lstest");
            return (model, importer.LastScan);
        }

        var cold = Scan();
        Assert.Equal((2, 0), cold.Stats);
        var warm = Scan();
        Assert.Equal((0, 2), warm.Stats);
        Assert.Equal(Model.ImportModelJson.Serialize(cold.Model), Model.ImportModelJson.Serialize(warm.Model));

        // The header now calls into the kernel: only a.c, which includes it, is parsed again.
        tree.Write("drivers/lstest/shared.h", "void msleep(unsigned int);\nstatic inline void shared_hook(void) { msleep(1); }\n");
        var edited = Scan();
        Assert.Equal((1, 1), edited.Stats);
        Assert.Contains(edited.Model.Modules.Single(m => m.Name == "a").Requires, r => r.Symbol == "msleep");
        Assert.DoesNotContain(cold.Model.Modules.Single(m => m.Name == "a").Requires, r => r.Symbol == "msleep");

        Assert.Equal((2, 0), Scan(useCache: false).Stats);
    }
}
