// SPDX-License-Identifier: MIT
// The split of modules into shards: every module in exactly one shard, sources spread evenly.
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Tests.Analysis;

public class ShardSelectionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void EveryModuleLandsInExactlyOneShard(int count)
    {
        var modules = Enumerable.Range(0, 40)
            .Select(i => new KbuildModule($"m{i}", $"drivers/d{i % 5}", Enumerable.Range(0, 1 + i % 9).Select(j => $"drivers/d{i % 5}/m{i}_{j}.c").ToList(), [], null))
            .ToList();
        var parts = Enumerable.Range(1, count).Select(i => Sharding.Select(modules, new Shard(i, count))).ToList();
        Assert.Equal(modules.Count, parts.Sum(p => p.Count));
        Assert.Equal(modules.Count, parts.SelectMany(p => p).Distinct().Count());
        var loads = parts.Select(p => p.Sum(m => m.Sources.Count)).ToList();
        Assert.True(loads.Max() - loads.Min() <= 9, $"unbalanced: {string.Join(' ', loads)}");
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1")]
    [InlineData("a/b")]
    public void MalformedShardsAreRejected(string text) => Assert.Throws<ImportException>(() => Shard.Parse(text));
}
