// SPDX-License-Identifier: MIT
// Each class of what GCC makes of a driver's source beyond the calls written in it, checked against Kbuild
// on a few small modules that have it: Kbuild builds just those modules from the 6.1 tree, and scan's
// requires must be exactly nm -u of each .ko.
using LinuxShim.Import.Verify;
using Xunit.Abstractions;

namespace LinuxShim.Import.Tests.Kernel;

[Collection(KernelCollection.Name)]
public class KbuildClassTests(KernelFixture kernel, ITestOutputHelper output)
{
    [Theory]
    // Inline assembly calling "__get_user_%P4", "__put_user_%P[size]": the size is in the name.
    [InlineData("drivers/watchdog", "ib700wdt", "__get_user_1 __get_user_4 __put_user_4", "")]
    // strncmp with a bound past a literal's length is strcmp (watchdog_dev.c), short comparisons are inline.
    [InlineData("drivers/watchdog", "watchdog", "strcmp", "strncmp")]
    // "static const int buflen = 28" makes kmalloc(buflen) a constant-size allocation (kalmia.c).
    [InlineData("drivers/net/usb", "kalmia", "kmalloc_trace kmalloc_caches", "__kmalloc")]
    // memcmp compared with zero over a few bytes is expanded inline (usb_debug.c, pl2303.c); fortify's
    // checks in a loop body see their sizes (kobil_sct.c: no fortify_panic).
    [InlineData("drivers/usb/serial", "usb_debug pl2303 kobil_sct", "", "memcmp fortify_panic __warn_printk")]
    public void RequiresAreExactlyWhatKbuildsModulesImport(string directory, string modules, string present, string absent)
    {
        var names = modules.Split(' ');
        string work = Path.Combine(Path.GetTempPath(), "linuxshim-classes-" + Guid.NewGuid().ToString("N"));
        try
        {
            var oracle = KbuildOracle.BuildEach(kernel.Importer.Tree, kernel.Build, kernel.Importer.Build.Config.Hash,
                [directory], work, cacheDir: null, out var failures, onlyModules: names);
            Assert.Empty(failures);
            Assert.Equal(names.Order(StringComparer.Ordinal), oracle.Keys.Order(StringComparer.Ordinal));
            var kbuildImports = names.SelectMany(n => oracle[n]).ToHashSet(StringComparer.Ordinal);
            // The sample has the class: Kbuild's objects show it.
            foreach (var symbol in present.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.Contains(symbol, kbuildImports);
            foreach (var symbol in absent.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                Assert.DoesNotContain(symbol, kbuildImports);
            foreach (var name in names)
            {
                var model = kernel.Importer.Scan(directory, module: name);
                var row = Assert.Single(OracleComparison.Compare(model, oracle), r => r.Module == name);
                output.WriteLine($"{name}: kbuild {row.Truth} scan {row.Predicted} missing {string.Join(' ', row.Missing)} extra {string.Join(' ', row.Extra)}");
                Assert.True(row.Truth > 0, $"{name}: Kbuild's module imports nothing");
                Assert.Empty(row.Missing);
                Assert.Empty(row.Extra);
            }
        }
        finally
        {
            if (Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }
}
