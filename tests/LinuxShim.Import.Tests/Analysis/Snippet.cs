// SPDX-License-Identifier: MIT
// Test helper. Analyses a small C snippet (no kernel headers) the way the importer analyses a
// module source, and returns the unit's result.
using LinuxShim.Import.Analysis;
using LinuxShim.Import.Clang;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Tests.Analysis;

internal static class Snippet
{
    private static readonly string[] Arguments = ["--target=x86_64-linux-gnu", "-std=gnu11", "-O2", "-w", "-nostdinc"];

    public static UnitResult Analyze(string code)
    {
        string dir = Path.Combine(Path.GetTempPath(), "linuxshim-snippet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "unit.c");
            File.WriteAllText(file, code);
            using var index = new ClangIndex();
            return UnitAnalyzer.Analyze(index, file, "unit.c", dir, Arguments);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public static IReadOnlyList<string> Undefined(string code)
    {
        var result = Analyze(code);
        Assert.Empty(result.Errors);
        return result.Undefined;
    }
}
