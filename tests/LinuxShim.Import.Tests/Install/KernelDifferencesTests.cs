// SPDX-License-Identifier: MIT
// Tests of how one shim meets several kernels: the shadow headers a version is built with (shared ones,
// plus those of the newest versioned directory at or below it, never both for one header), and the
// constants the shim reads from each kernel's configured headers instead of assuming them.
using LinuxShim.Import.Install;
using LinuxShim.Import.Port;
using LinuxShim.Import.Tests.Kernel;
using LinuxShim.Shim;
using LinuxShim.Tools;

namespace LinuxShim.Import.Tests.Install;

public sealed class KernelDifferencesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-differences-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AVersionTakesTheNewestVersionedShadowsAtOrBelowIt()
    {
        string include = Path.Combine(_dir, "include");
        foreach (var d in new[] { "asm", "6.1/asm", "6.12/asm", "notaversion" })
            Directory.CreateDirectory(Path.Combine(include, d));
        string v61 = Path.Combine(include, "6.1"), v612 = Path.Combine(include, "6.12");
        Assert.Equal([v61, include], ShadowHeaders.For(include, new KernelVersion(6, 1, 192)));
        Assert.Equal([v61, include], ShadowHeaders.For(include, new KernelVersion(6, 11, 3)));
        Assert.Equal([v612, include], ShadowHeaders.For(include, new KernelVersion(6, 12, 118)));
        Assert.Equal([v612, include], ShadowHeaders.For(include, new KernelVersion(6, 13)));
        Assert.Equal([include], ShadowHeaders.For(include, new KernelVersion(5, 15, 100)));
    }

    [Fact]
    public void ABuildUsesTheSharedShadowsAndOneVersionsOwn()
    {
        string[] all = ["asm/io.h", "6.1/asm/current.h", "6.12/asm/current.h"];
        var v61 = new KernelVersion(6, 1, 192);
        var v612 = new KernelVersion(6, 12, 118);
        Assert.Equal(["asm/io.h", "6.1/asm/current.h"], all.Where(p => ShadowHeaders.IsUsed(p, all, v61)));
        Assert.Equal(["asm/io.h", "6.12/asm/current.h"], all.Where(p => ShadowHeaders.IsUsed(p, all, v612)));
        Assert.Equal(["asm/io.h"], all.Where(p => ShadowHeaders.IsUsed(p, all, new KernelVersion(5, 10))));
    }

    [Fact]
    public void NoHeaderIsShadowedBothPerVersionAndForAll()
    {
        var names = NativeSources.Names.Where(n => n.StartsWith("include/", StringComparison.Ordinal)).Select(n => n["include/".Length..]).ToList();
        var versioned = names.Where(n => KernelVersion.TryParseSeries(n.Split('/')[0], out _)).ToList();
        Assert.Contains("6.1/asm/current.h", versioned);
        Assert.Contains("6.12/asm/current.h", versioned);
        foreach (var header in versioned)
        {
            string relative = header[(header.IndexOf('/') + 1)..];
            Assert.DoesNotContain(relative, names);
            // A shadow says which header it replaces and why (shim/README.md).
            string text = NativeSources.Read("include/" + header);
            Assert.Contains("Replaces:", text);
            Assert.Contains("Why:", text);
        }
    }

    public static TheoryData<string> Kernels => TestKernels.Each();

    // The link modes ethtool knows grew from 93 (6.1) to 103 (6.12): the shim's masks must be as long as the kernel's.
    private static readonly Dictionary<string, long> LinkModes = new() { ["6.1"] = 93, ["6.12"] = 103 };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ConstantsAreReadFromEachKernelsHeaders(string kernelVersion)
    {
        var importer = TestKernels.Open(kernelVersion);
        var shim = PortCommand.ShimSide(importer);
        Assert.Contains(shim.Constants, c => c.Expression == "__ETHTOOL_LINK_MODE_MASK_NBITS");
        Assert.DoesNotContain(shim.Assumptions, a => a.Expression == "__ETHTOOL_LINK_MODE_MASK_NBITS");
        var arguments = shim.ShadowIncludes.Select(s => "-I" + s).Concat(importer.CommandLine.ArgumentsFor(importer.Tree.SourceRoot, "x", "layout", [])).ToList();
        var layout = LinuxShim.Import.Port.LayoutProbe.Read([], shim.Constants, arguments, _dir);
        Assert.Equal(LinkModes[kernelVersion], layout.Constants["__ETHTOOL_LINK_MODE_MASK_NBITS"]);
        Assert.Contains("_Static_assert((__ETHTOOL_LINK_MODE_MASK_NBITS) == " + LinkModes[kernelVersion], string.Join("\n", LinuxShim.Import.Port.LayoutProbe.StaticAsserts(layout)));
        Assert.Equal(kernelVersion == "6.1" ? "6.1" : "6.12", Path.GetFileName(shim.ShadowIncludes[0]));
    }
}
