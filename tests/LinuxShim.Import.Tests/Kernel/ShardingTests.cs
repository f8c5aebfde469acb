// SPDX-License-Identifier: MIT
// scan --shard I/N and scan merge: the parts, merged, are byte for byte what a single run writes.
using LinuxShim.Tools;

namespace LinuxShim.Import.Tests.Kernel;

[Collection(KernelCollection.Name)]
public class ShardingTests(KernelFixture kernel)
{
    private void Scan(params string[] args)
    {
        var stderr = new StringWriter();
        int exit = Cli.Run([.. args, "--linux", kernel.Linux, "--build", kernel.Build, "--quiet"], TextWriter.Null, stderr);
        Assert.True(exit == 0, $"linuxshim {string.Join(' ', args)}: exit {exit}: {stderr}");
    }

    [Fact]
    public void MergedShardsEqualASingleRun()
    {
        string dir = Directory.CreateTempSubdirectory("linuxshim-shards-").FullName;
        try
        {
            string F(string name) => Path.Combine(dir, name);
            const string scope = "drivers/net/ethernet/realtek";
            Scan("scan", scope, "--json", F("single.json"));
            Scan("scan", scope, "--shard", "1/2", "--json", F("part1.json"));
            Scan("scan", scope, "--shard", "2/2", "--json", F("part2.json"));
            var part1 = Model.ImportModelJson.Deserialize(File.ReadAllText(F("part1.json")));
            var part2 = Model.ImportModelJson.Deserialize(File.ReadAllText(F("part2.json")));
            Assert.NotEmpty(part1.Modules);
            Assert.NotEmpty(part2.Modules);
            Assert.Empty(part1.Modules.Select(m => m.Name).Intersect(part2.Modules.Select(m => m.Name)));

            // Parts in any order; given the shards' kernel, merge imports the same provider modules outside the scan
            // (r8169's libphy) as the single run.
            Assert.Equal(0, Cli.Run(["scan", "merge", F("part2.json"), F("part1.json"), "--json", F("merged.json"), "--linux", kernel.Linux, "--build", kernel.Build, "--quiet"],
                TextWriter.Null, TextWriter.Null));
            Assert.Equal(File.ReadAllBytes(F("single.json")), File.ReadAllBytes(F("merged.json")));
            var merged = Model.ImportModelJson.Deserialize(File.ReadAllText(F("merged.json")));
            Assert.Contains(merged.Coverage!.Providers, p => p.Directory == "drivers/net/phy" && p.Name == "libphy" && p.UsedBy.Contains("r8169"));
            // Without it, what those providers export counts as missing, and merge says so.
            var note = new StringWriter();
            Assert.Equal(0, Cli.Run(["scan", "merge", F("part1.json"), F("part2.json"), "--json", F("alone.json")], TextWriter.Null, note));
            Assert.Empty(Model.ImportModelJson.Deserialize(File.ReadAllText(F("alone.json"))).Coverage!.Providers);
            Assert.Contains("no module outside the scan is imported", note.ToString());

            var err = new StringWriter();
            Assert.Equal(1, Cli.Run(["scan", "merge", F("part1.json"), "--json", F("x.json")], TextWriter.Null, err));
            Assert.Contains("2/2 missing", err.ToString());
            err = new StringWriter();
            Assert.Equal(1, Cli.Run(["scan", "merge", F("part1.json"), F("single.json"), "--json", F("x.json")], TextWriter.Null, err));
            Assert.Contains("not a partial result", err.ToString());
            Assert.False(File.Exists(F("x.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
