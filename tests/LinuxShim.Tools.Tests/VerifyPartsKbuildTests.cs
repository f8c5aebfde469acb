// SPDX-License-Identifier: MIT
// CI's sample of verify in parts against Kbuild itself (issue 22): drivers/dax on Debian's 6.1, two directories
// one inside the other (drivers/dax and drivers/dax/hmem), verified as two parts and merged, gives what one run
// gives: every module compared once, in the part that holds its directory, the same summary.
namespace LinuxShim.Tools.Tests;

[Collection(KernelCollection.Name)]
public sealed class VerifyPartsKbuildTests(KernelFixture kernel) : IDisposable
{
    private readonly TempDirectory work = new();

    public void Dispose() => work.Dispose();

    private (int Exit, string Out, string Err) Verify(params string[] more)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Cli.Run(["verify", "drivers/dax", "--linux", kernel.Linux, "--build", kernel.Build, "--jobs", "2", .. more], stdout, stderr);
        return (exit, stdout.ToString().Replace('\u00a0', ' '), stderr.ToString());
    }

    [Fact]
    public void TwoPartsMergedGiveWhatOneRunGives()
    {
        var whole = Verify("--json", work.Combine("whole.json"));
        Assert.True(whole.Exit is 0 or 1, whole.Err);
        var one = Verify("--shard", "1/2", "--json", work.Combine("1.json"));
        var two = Verify("--shard", "2/2", "--json", work.Combine("2.json"));
        Assert.Contains("part 1/2 of drivers/dax: 1 directories", one.Err);
        Assert.Contains("part 2/2 of drivers/dax: 1 directories", two.Err);

        var wholeResult = VerifyResult.Read(work.Combine("whole.json"));
        var parts = new[] { VerifyResult.Read(work.Combine("1.json")), VerifyResult.Read(work.Combine("2.json")) };
        // The parent directory and the one inside it fall in different parts, each module in exactly one.
        Assert.Equal(["drivers/dax"], parts[0].Compared.Select(m => m.Directory).Distinct());
        Assert.Equal(["drivers/dax/hmem"], parts[1].Compared.Select(m => m.Directory).Distinct());
        Assert.True(wholeResult.Compared.Count >= 3, string.Join(' ', wholeResult.Compared.Select(m => m.Name)));
        Assert.Equal(wholeResult.Compared.Select(m => m.Name).Order(), parts.SelectMany(p => p.Compared).Select(m => m.Name).Order());
        Assert.All(wholeResult.Compared, m => Assert.True(m.Truth > 0, $"{m.Name}: Kbuild's .ko imports nothing"));

        var merge = new StringWriter();
        Cli.Run(["verify", "merge", work.Combine("2.json"), work.Combine("1.json"), "--json", work.Combine("merged.json")], merge, new StringWriter());
        string Total(string text) => text.Replace('\u00a0', ' ').Split('\n').Single(l => l.StartsWith("total: ", StringComparison.Ordinal));
        Assert.Equal(Total(whole.Out), Total(merge.ToString()));
        var merged = VerifyResult.Read(work.Combine("merged.json"));
        static string Row(VerifyResult.Module m) => $"{m.Directory} {m.Name} {m.Truth} {m.Predicted} -{string.Join(',', m.Missing)} +{string.Join(',', m.Extra)}";
        Assert.Equal(wholeResult.Compared.Select(Row).Order(), merged.Compared.Select(Row).Order());
    }
}
