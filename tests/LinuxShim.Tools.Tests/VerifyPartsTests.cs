// SPDX-License-Identifier: MIT
// Tests of verify in parts (issue 22): the parts of a split take every directory exactly once, a directory is
// never split, the sources are spread evenly; verify merge joins the parts into the summary one run gives, and
// refuses parts of different runs, a part twice and a part missing, each with an error naming the file.
using LinuxShim.Import;
using LinuxShim.Import.Model;

namespace LinuxShim.Tools.Tests;

public class VerifyPartsTests
{
    private static readonly KernelInfo Kernel = new()
    {
        Source = "tarball", Location = "/usr/src/linux-source-6.1.tar.xz", Release = "6.1.0-57-amd64", Build = "/b", Arch = "x86",
        Config = "c0ffee", Analyser = "linuxshim-import/1+test",
    };

    private static ModuleInfo Module(string directory, string name, int sources) => new()
    {
        Name = name, Directory = directory, Status = "ok", Requires = [], Entry = new EntryPoints(),
        Sources = [.. Enumerable.Range(0, sources).Select(i => new SourceFile($"{directory}/{name}-{i}.c", "source", null, "0")),
            new SourceFile($"{directory}/{name}.h", "header", null, "0")],
    };

    private static ImportModel Model()
    {
        var modules = new List<ModuleInfo>();
        for (int d = 0; d < 40; d++)
            for (int m = 0; m < 1 + d % 3; m++)
                modules.Add(Module($"drivers/d{d}", $"m{d}_{m}", 1 + (d * 7 + m) % 11));
        return new ImportModel { Kernel = Kernel, Scope = "drivers", Modules = modules };
    }

    [Fact]
    public void PartsTakeEveryDirectoryOnceWholeAndEvenly()
    {
        var model = Model();
        var parts = Enumerable.Range(1, 4).Select(i => VerifyParts.Directories(model, new Shard(i, 4))).ToList();
        var all = model.Modules.Select(m => m.Directory).Distinct().ToHashSet();
        Assert.Equal(all.Count, parts.Sum(p => p.Count));
        Assert.True(all.SetEquals(parts.SelectMany(p => p)));
        // Every part computes the same split.
        Assert.True(parts[2].SetEquals(VerifyParts.Directories(model, new Shard(3, 4))));
        int Sources(HashSet<string> dirs) => model.Modules.Where(m => dirs.Contains(m.Directory)).Sum(m => m.Sources.Count(s => s.Role == "source"));
        var loads = parts.Select(Sources).ToList();
        Assert.True(loads.Max() - loads.Min() <= 11, string.Join(' ', loads)); // at most the largest directory's sources apart
        Assert.Equal(all.Count, VerifyParts.Directories(model, new Shard(1, 1)).Count);
    }

    private static VerifyResult Part(string? shard, params VerifyResult.Module[] compared) =>
        new("6.1.0-57-amd64 (/usr/src/linux-source-6.1.tar.xz)", "linuxshim-import/1+test", "c0ffee", ["drivers"], shard, 60, compared,
            [new VerifyResult.NotBuilt($"nb{shard?[0]}", "drivers/x", "Kbuild failed in drivers/x: a Makefile names a file outside the directory")]);

    private static VerifyResult.Module Compared(string name, int truth, string[] missing, string[] extra) =>
        new(name, $"drivers/{name}", truth, truth - missing.Length + extra.Length, missing, extra);

    [Fact]
    public void MergeJoinsThePartsAsOneRun()
    {
        using var dir = new TempDirectory();
        var a = Part("1/2", Compared("a", 10, [], []), Compared("b", 20, ["memset"], []));
        var b = Part("2/2", Compared("c", 30, [], ["memcpy", "fortify_panic"]));
        string fa = dir.Combine("a.json"), fb = dir.Combine("b.json"), merged = dir.Combine("m.json");
        a.Write(fa);
        b.Write(fb);
        var stdout = new StringWriter();
        int exit = Cli.Run(["verify", "merge", fb, fa, "--json", merged], stdout, new StringWriter());
        Assert.Equal(Cli.ExitFailure, exit); // one symbol missed: recall below 100 %
        string text = stdout.ToString().Replace('\u00a0', ' ');
        Assert.Contains("total: 3 modules compared (2 not built by Kbuild), 1 exactly, kbuild 60, scan 61, recall 98.33", text);
        Assert.Contains("missed, by modules: memset 1", text);
        Assert.Matches(@"(?m)^b +kbuild +20 +scan +19 +missing: memset$", text);
        Assert.Matches(@"(?m)^c +kbuild +30 +scan +32 +extra: memcpy fortify_panic$", text);
        Assert.DoesNotMatch(@"(?m)^a ", text); // exact modules are only counted
        var joined = VerifyResult.Read(merged);
        Assert.Null(joined.Shard);
        Assert.Equal(["a", "b", "c"], joined.Compared.Select(m => m.Name));
        Assert.Equal(120, joined.Seconds);
        // The merged result is what one run would have written: its summary is the same.
        Assert.Equal(new StringWriterOf(joined.Summary()).Text, new StringWriterOf(VerifyParts.Merge([(fa, a), (fb, b)]).Summary()).Text);
    }

    private sealed class StringWriterOf
    {
        public StringWriterOf(VerifySummary summary)
        {
            var w = new StringWriter();
            summary.Write(w);
            Text = w.ToString();
        }

        public string Text { get; }
    }

    [Fact]
    public void MergeRefusesPartsThatDoNotMakeOneRun()
    {
        var one = Part("1/2", Compared("a", 1, [], []));
        var two = Part("2/2", Compared("b", 1, [], []));
        Assert.Contains("part 2/2 missing", Assert.Throws<ImportException>(() => VerifyParts.Merge([("one.json", one)])).Message);
        Assert.Contains("both part 1/2", Assert.Throws<ImportException>(() => VerifyParts.Merge([("one.json", one), ("again.json", one), ("two.json", two)])).Message);
        Assert.Contains("different splits", Assert.Throws<ImportException>(() => VerifyParts.Merge([("one.json", one), ("three.json", Part("1/3"))])).Message);
        Assert.Contains("different runs", Assert.Throws<ImportException>(() => VerifyParts.Merge([("one.json", one), ("net.json", two with { Roots = ["net"] })])).Message);
        Assert.Contains("not a part", Assert.Throws<ImportException>(() => VerifyParts.Merge([("whole.json", Part(null))])).Message);
    }

    [Fact]
    public void AFileThatIsNoVerifyResultIsRefusedByName()
    {
        using var dir = new TempDirectory();
        string bad = dir.Combine("model.json");
        File.WriteAllText(bad, "{\"kernel\": {}, \"modules\": []}");
        var stderr = new StringWriter();
        Assert.Equal(1, Cli.Run(["verify", "merge", bad], new StringWriter(), stderr));
        Assert.Contains($"linuxshim: {bad} is not a verify result", stderr.ToString());
        File.WriteAllText(bad, "{ truncated");
        stderr = new StringWriter();
        Assert.Equal(1, Cli.Run(["verify", "merge", bad], new StringWriter(), stderr));
        Assert.Contains($"{bad} is not a verify result", stderr.ToString());
    }
}
