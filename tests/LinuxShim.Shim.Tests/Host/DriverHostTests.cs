// SPDX-License-Identifier: MIT
// Tests of the driver host (issue 5): the upstream 8139too and e1000 modules built from each installed
// Debian kernel the ports support (6.1, and 6.12 when installed: see TestKernels) load and reach their
// probe against fake PCI functions; the project's test module exercises every subsystem from every context; a call to a symbol nobody implements is reported by
// name and ends the host cleanly. Each driver runs in its own `linuxshim host` process.
using LinuxShim.Import.Analysis;
using System.Diagnostics;
using LinuxShim.Import.Port;
using LinuxShim.Shim.Tests.Native;
using LinuxShim.Shim;
using LinuxShim.Tools;
using LinuxShim.Tools.Reports;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Host;

[Collection(KernelCollection.Name)]
public sealed class DriverHostTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private readonly List<string> _builds = [];

    public void Dispose()
    {
        foreach (var dir in _builds)
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    private static readonly string Repo = TestRepository.Root;

    private static ProcessResult RunHost(params string[] args) => LinuxShimProcess.Run(["host", .. args]);

    private string BuildPort(Importer importer, string name)
    {
        string outDir = Path.Combine(Path.GetTempPath(), $"linuxshim-port-{name}-{Guid.NewGuid():N}");
        _builds.Add(outDir);
        var build = PortCommand.Build(importer, PortRecipe.Load(Path.Combine(Repo, "ports", name)), outDir, null);
        Assert.Empty(build.Stubs); // every symbol the module needs is implemented
        return build.Library;
    }

    public static TheoryData<string, string> Ports => TestKernels.EachPort("8139too", "e1000");

    private static readonly Dictionary<string, string> PciIds = new() { ["8139too"] = "10ec:8139", ["e1000"] = "8086:100e" };

    [Theory]
    [MemberData(nameof(Ports))]
    public void UpstreamModuleReachesProbe(string kernelVersion, string port)
    {
        var importer = TestKernels.Open(kernelVersion);
        Assert.Equal(kernelVersion, importer.Version.Series.ToString());
        string pciId = PciIds[port];
        string library = BuildPort(importer, port);
        var (exit, stdout, stderr) = RunHost(library, "--fake-pci", pciId, "--exit-after-probe");
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.Equal(0, exit);
        Assert.Contains($"probe {port} 0000:00:03.0 0 ", stdout);
        Assert.Contains("init 0 ", stdout);
        Assert.Contains("netdev eth0 ", stdout);
        Assert.Contains("exit 0", stdout);
    }

    public static TheoryData<string> Kernels => TestKernels.Each();

    [Theory]
    [MemberData(nameof(Kernels))]
    public void ScanReportsNothingMissingForTheTargets(string kernelVersion)
    {
        var importer = TestKernels.Open(kernelVersion);
        foreach (var (dir, module) in new[] { ("drivers/net/ethernet/realtek", "8139too"), ("drivers/net/ethernet/intel/e1000", "e1000") })
        {
            var model = importer.Scan(dir, module: module);
            var coverage = Coverage.Compute(model, ShimSymbols.Implemented());
            var m = coverage.Modules.Single();
            Assert.True(m.Missing.Count == 0, $"{module} misses {string.Join(", ", m.Missing)}");
            Assert.True(m.Links);
        }
    }

    private string BuildTestModule(Importer? importer = null)
    {
        importer ??= kernel.Importer;
        string outDir = Path.Combine(Path.GetTempPath(), $"linuxshim-shimtest-{Guid.NewGuid():N}");
        _builds.Add(outDir);
        var (library, _, stubs) = PortBuilder.BuildExternal(importer, "shimtest",
            [Path.Combine(Repo, "tests/LinuxShim.Shim.Tests/Host/shimtest.c")], PortCommand.ShimSide(importer), outDir);
        Assert.Equal(["kthread_bind"], stubs);
        return library;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void TestModuleExercisesEverySubsystemFromEveryContext(string kernelVersion)
    {
        string library = BuildTestModule(TestKernels.Open(kernelVersion));
        var (exit, stdout, stderr) = RunHost(library, "--fake-pci", "1af4:10ff", "--param", "weights=2,3,4", "--exit-after-probe");
        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.Equal(0, exit);
        Assert.DoesNotContain("shimtest: FAIL", stderr);
        Assert.Contains("shimtest: done 0 failures", stderr);
        Assert.Contains("probe shimtest 0000:00:03.0 0 ", stdout);
        Assert.True(stderr.Split('\n').Count(l => l.Contains("shimtest: PASS")) >= 35, "too few checks ran");
        Assert.Contains("shimtest: removed", stderr); // module exit unregistered the driver
        Assert.Contains("netlink_extack: msg=shimtest extack", stderr); // Netlink's trace of NL_SET_ERR_MSG()
    }

    [Fact]
    public void UnimplementedSymbolIsReportedByNameAndEndsTheHost()
    {
        string library = BuildTestModule();
        var (exit, stdout, stderr) = RunHost(library, "--param", "mode=1", "--exit-after-probe");
        output.WriteLine(stderr);
        Assert.Equal(70, exit);
        Assert.Contains("the driver called kthread_bind, which the shim does not implement", stderr);
        // The caller by name: module_init's alias of shimtest_init is what the dynamic symbol table has.
        Assert.Matches(@"called from (shimtest_init|init_module)\+0x[0-9a-f]+ \(shimtest\.so\)", stderr);
        Assert.DoesNotContain("unimplemented symbol returned", stderr);
    }

    [Fact]
    public void BadParameterIsAClearError()
    {
        string library = BuildTestModule();
        var (exit, _, stderr) = RunHost(library, "--param", "nosuch=1", "--exit-after-probe");
        Assert.Equal(1, exit);
        Assert.Contains("the module has no parameter 'nosuch'", stderr);
        (exit, _, stderr) = RunHost(library, "--param", "mode=abc", "--exit-after-probe");
        Assert.Equal(1, exit);
        Assert.Contains("rejected", stderr);
    }
}
