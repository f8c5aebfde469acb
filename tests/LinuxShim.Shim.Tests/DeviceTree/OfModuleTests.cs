// SPDX-License-Identifier: MIT
// The device tree from C, per kernel: oftest.c built as an external module against a CONFIG_OF=y build of each
// installed kernel (so the of.h/property.h inline helpers, is_of_node() and of_fwnode_ops are the real ones),
// run in a driver host that loads OpenFirmwareTests.Board as its device tree; every check the module makes
// must pass, and enough of them must run.
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Port;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.DeviceTree;

[Collection(KernelCollection.Name)]
public sealed class OfModuleTests(ITestOutputHelper output) : IDisposable
{
    private readonly List<string> _dirs = [];

    public void Dispose()
    {
        foreach (var dir in _dirs)
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Kernels => TestKernels.Each();

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ModuleReadsTheTreeThroughHelpersAndFwnodeOps(string kernelVersion)
    {
        var importer = TestKernels.Open(kernelVersion).Configured(ConfigFragment.Parse("CONFIG_OF=y\n", "of.config"), Environment.ProcessorCount, null);
        Assert.Equal("y", importer.Build.Config["CONFIG_OF"]);
        string outDir = Path.Combine(Path.GetTempPath(), $"linuxshim-oftest-{Guid.NewGuid():N}");
        _dirs.Add(outDir);
        var (library, _, stubs) = PortBuilder.BuildExternal(importer, "oftest",
            [Path.Combine(TestRepository.Root, "tests/LinuxShim.Shim.Tests/DeviceTree/oftest.c")], PortCommand.ShimSide(importer), outDir);
        Assert.Empty(stubs);
        string dtb = OpenFirmwareTests.Compile(OpenFirmwareTests.Board);
        _dirs.Add(Path.GetDirectoryName(dtb)!);
        File.Copy(dtb, Path.ChangeExtension(library, ".dtb"));

        var (exit, stdout, stderr) = LinuxShimProcess.Run(["host", library, "--exit-after-probe"]);
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.Equal(0, exit);
        Assert.DoesNotContain("oftest: FAIL", stderr);
        Assert.Contains("oftest: done 0 failures", stderr);
        Assert.True(stderr.Split('\n').Count(l => l.Contains("oftest: PASS")) >= 40, "too few checks ran");
    }
}
