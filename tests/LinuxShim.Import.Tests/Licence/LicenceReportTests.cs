// SPDX-License-Identifier: MIT
// The licence boundary report on the Debian 6.1 tree: GPL-only imports against Kbuild's own build
// joined with Module.symvers, address spaces of deployments, LinuxShim's own deployments, the SPDX
// and CycloneDX documents against their published schemas, and bad input through the command line.
using System.Text.Json;
using System.Text.Json.Nodes;
using LinuxShim.Import.Licence;
using LinuxShim.Import.Port;
using LinuxShim.Import.Tests.Kernel;
using LinuxShim.Import.Verify;
using LinuxShim.Tools;
using Xunit.Abstractions;

namespace LinuxShim.Import.Tests.Licence;

[Collection(KernelCollection.Name)]
public sealed class LicenceReportTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private static readonly string Repo = TestRepository.Root;
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-licence-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Cli.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private LicenceReport Analyze(string target, Deployment? deployment = null) =>
        LicenceAnalyzer.Analyze(kernel.Importer, target, LicenceCommand.Inventory(), deployment);

    [Theory]
    [InlineData("drivers/net/ethernet/realtek", "8139too")]
    [InlineData("drivers/net/ethernet/intel/e1000", "e1000")]
    public void GplOnlyImportsAreTheKbuiltModulesUndefinedSymbolsThatModuleSymversMarksGpl(string directory, string module)
    {
        var report = Analyze(directory);
        var reported = Assert.Single(report.Modules, m => m.Name == module);

        string work = Path.Combine(_dir, "kbuild");
        var oracle = KbuildOracle.BuildEach(kernel.Importer.Tree, kernel.Build, kernel.Importer.Build.Config.Hash, [directory], work, cacheDir: null, out var failures);
        Assert.Empty(failures);
        var symvers = kernel.Importer.Build.Symvers;
        var truth = oracle[module].Where(s => symvers.TryGet(s, out var e) && e.ExportType == "EXPORT_SYMBOL_GPL").Order(StringComparer.Ordinal).ToList();
        output.WriteLine($"{module}: {oracle[module].Count} undefined symbols in the .ko, {truth.Count} GPL-only: {string.Join(' ', truth)}");

        Assert.NotEmpty(truth);
        Assert.Equal(truth, reported.GplOnlyImports.Select(i => i.Symbol));
        Assert.Contains(reported.ModuleLicense, new[] { "GPL", "GPL v2" });
        Assert.True(reported.ModuleLicenseGplCompatible);
        // Both targets link with every symbol implemented, so each GPL-only import has a provider in the shim.
        foreach (var i in reported.GplOnlyImports)
        {
            Assert.True(i.Shim is not null, $"{i.Symbol} has no shim component");
            Assert.True(File.Exists(Path.Combine(Repo, i.Shim.File)), $"{i.Symbol}: {i.Shim.File} does not exist");
            output.WriteLine($"  {i.Symbol} <- {i.Shim.Component} {i.Shim.File} {i.Shim.Licence}");
        }
    }

    [Fact]
    public void SpdxLinesAreCheckedAgainstTheTreesLicensesAndFilesWithoutOneAreListed()
    {
        var report = Analyze("drivers/net/ethernet/realtek");
        Assert.Contains("drivers/net/ethernet/realtek/8139too.c", report.FilesWithoutSpdx);
        var r8169 = Assert.Single(report.Modules, m => m.Name == "r8169");
        Assert.All(r8169.Sources.Where(s => s.Spdx is not null), s => Assert.Equal("ok", s.Status));
        Assert.Empty(report.SpdxProblems);

        var rules = KernelLicenseRules.Read(kernel.Importer.Tree);
        Assert.Empty(rules.Check(SpdxExpression.Parse("GPL-2.0 WITH Linux-syscall-note")));
        Assert.Empty(rules.Check(SpdxExpression.Parse("GPL-2.0-only OR CDDL-1.0")));
        Assert.Contains("may only be used with", Assert.Single(rules.Check(SpdxExpression.Parse("MIT WITH Linux-syscall-note"))));
        Assert.Contains("unknown licence identifier 'Foo-1.0'", Assert.Single(rules.Check(SpdxExpression.Parse("GPL-2.0 AND Foo-1.0"))));
        Assert.Contains("only be used as an alternative with OR", Assert.Single(rules.Check(SpdxExpression.Parse("CDDL-1.0"))));

        var strings = ModuleLicenseStrings.GplCompatible(kernel.Importer.Tree);
        Assert.Equal(["Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL", "GPL", "GPL and additional rights", "GPL v2"], strings);
    }

    private string WriteDeployment(string name, string text)
    {
        string file = Path.Combine(_dir, name);
        File.WriteAllText(file, text);
        return file;
    }

    private static string Port(string name) => Path.Combine(Repo, "ports", name);

    [Theory]
    [InlineData("library libvendor.so 3.0 : Apache-2.0", "Apache-2.0")]
    [InlineData("library libblob.so : LicenseRef-Proprietary", "proprietary")]
    [InlineData("assembly Vendor.Plugin.dll : GPL-3.0-only", "GPL-3.0")]
    public void AnIncompatibleComponentInTheDriversProcessIsFlaggedAndBehindIpcIsNot(string load, string reason)
    {
        var together = DeploymentFile.Load(WriteDeployment("together.conf", $"""
            name = together
            [process driver-host]
            load = port {Port("8139too")}
            load = assembly LinuxShim.Shim.dll : MIT
            load = {load}
            """));
        var mixed = Analyze(Port("8139too"), together).Deployment!;
        Assert.True(mixed.Mixed);
        var host = Assert.Single(mixed.Processes);
        Assert.True(host.ContainsGpl && host.Mixed);
        var finding = Assert.Single(host.Findings);
        Assert.Contains(load.Split(' ')[1], finding);
        Assert.Contains(reason, finding);
        Assert.Contains("GPL-2.0", finding);

        var apart = DeploymentFile.Load(WriteDeployment("apart.conf", $"""
            name = apart
            [process driver-host]
            load = port {Port("8139too")}
            load = assembly LinuxShim.Shim.dll : MIT
            [process vendor]
            load = {load}
            [channel vendor-ipc]
            between = driver-host vendor
            transport = unix socket
            """));
        var separate = Analyze(Port("8139too"), apart).Deployment!;
        Assert.False(separate.Mixed);
        Assert.All(separate.Processes, p => Assert.Empty(p.Findings));
        var vendor = Assert.Single(separate.Processes, p => p.Name == "vendor");
        Assert.False(vendor.ContainsGpl);
        Assert.False(Assert.Single(vendor.Components).Gpl2Compatible);
    }

    [Fact]
    public void AnApacheNuGetPackageIsFlaggedFromItsMetadata()
    {
        string nuget = Path.Combine(_dir, "nuget");
        Directory.CreateDirectory(Path.Combine(nuget, "vendor.codec", "1.0.0"));
        File.WriteAllText(Path.Combine(nuget, "vendor.codec", "1.0.0", "vendor.codec.nuspec"),
            "<package><metadata><id>Vendor.Codec</id><version>1.0.0</version><license type=\"expression\">Apache-2.0</license></metadata></package>");
        var d = DeploymentFile.Load(WriteDeployment("nuget.conf", $"name = n\n[process driver-host]\nload = port {Port("e1000")}\nload = nuget Vendor.Codec 1.0.0\n"), nuget);
        var p = Assert.Single(Analyze(Port("e1000"), d).Deployment!.Processes);
        Assert.True(p.Mixed);
        Assert.Contains("nuget Vendor.Codec (Apache-2.0)", Assert.Single(p.Findings));
    }

    [Theory]
    [InlineData("8139too")]
    [InlineData("e1000")]
    public void LinuxShimsOwnDeploymentHasNoMixedAddressSpace(string port)
    {
        string json = Path.Combine(_dir, port + ".json");
        var run = Run("licence", Port(port), "--deployment", Path.Combine(Port(port), "deployment.conf"), "--json", json, "--strict",
            "--linux", kernel.Linux, "--build", kernel.Build);
        output.WriteLine(run.Out + run.Err);
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains($"deployment {port}: no mixed address space", run.Out);
        var report = JsonNode.Parse(File.ReadAllText(json))!;
        var processes = report["deployment"]!["processes"]!.AsArray();
        Assert.False(report["deployment"]!["mixed"]!.GetValue<bool>());
        // The driver's code (and the warm standby that may take it over) is GPL; the device model and the supervisor hold none.
        string[] hosts = ["driver-host", "standby-host"];
        foreach (var host in processes.Where(p => hosts.Contains(p!["name"]!.GetValue<string>())))
        {
            Assert.True(host!["contains_gpl"]!.GetValue<bool>());
            Assert.Contains(host["components"]!.AsArray(), c => c!["part_of"]?.GetValue<string>() == port + ".so" && c["kind"]!.GetValue<string>() == "upstream");
        }
        Assert.Equal(["device", "run"], processes.Where(p => !p!["contains_gpl"]!.GetValue<bool>()).Select(p => p!["name"]!.GetValue<string>()));
        Assert.Equal(6, report["deployment"]!["channels"]!.AsArray().Count);
    }

    /// <summary>A copy of the 8139too port with a one-line patch, built, so its report has glue and a patch.</summary>
    private string PatchedPort()
    {
        string folder = Path.Combine(_dir, "8139too-patched");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "port.conf"),
            "directory = drivers/net/ethernet/realtek\nmodule = 8139too\nkernel = 6.1\npatch = comment.patch\n");
        File.WriteAllText(Path.Combine(folder, "comment.patch"),
            "--- a/drivers/net/ethernet/realtek/8139too.c\n+++ b/drivers/net/ethernet/realtek/8139too.c\n@@ -1,3 +1,3 @@\n"
            + "-/*\n+/* (patched by a LinuxShim test)\n \n \t8139too.c: A RealTek RTL-8139 Fast Ethernet driver for Linux.\n");
        var build = PortCommand.Build(kernel.Importer, PortRecipe.Load(folder), Path.Combine(folder, "build"), null);
        Assert.Empty(build.Stubs);
        return folder;
    }

    [Fact]
    public void SpdxAndCycloneDxDocumentsValidateAgainstTheirPublishedSchemas()
    {
        string port = PatchedPort();
        File.WriteAllText(Path.Combine(port, "deployment.conf"),
            File.ReadAllText(Path.Combine(Port("8139too"), "deployment.conf")) + "\n[process vendor]\nload = library libvendor.so 1.0 : LicenseRef-Vendor\n[channel v]\nbetween = run vendor\ntransport = socket\n");
        string spdx = Path.Combine(_dir, "report.spdx.json"), cdx = Path.Combine(_dir, "report.cdx.json");
        string md = Path.Combine(_dir, "report.md"), html = Path.Combine(_dir, "report.html");
        var run = Run("licence", port, "--deployment", Path.Combine(port, "deployment.conf"), "--spdx", spdx, "--cyclonedx", cdx,
            "--markdown", md, "--html", html, "--linux", kernel.Linux, "--build", kernel.Build);
        Assert.True(run.Exit == 0, run.Err);

        SchemaValidation.AssertValid(spdx, cdx);

        var doc = JsonNode.Parse(File.ReadAllText(spdx))!;
        var relations = doc["relationships"]!.AsArray().Select(r => r!["relationshipType"]!.GetValue<string>()).ToHashSet();
        foreach (var type in new[] { "DESCRIBES", "CONTAINS", "DYNAMIC_LINK", "PATCH_APPLIED", "GENERATED_FROM" })
            Assert.Contains(type, relations);
        var patch = doc["files"]!.AsArray().Single(f => f!["fileName"]!.GetValue<string>().EndsWith("comment.patch", StringComparison.Ordinal))!;
        var applied = doc["relationships"]!.AsArray().Single(r => r!["relationshipType"]!.GetValue<string>() == "PATCH_APPLIED")!;
        Assert.Equal(patch["SPDXID"]!.GetValue<string>(), applied["spdxElementId"]!.GetValue<string>());
        var target = doc["files"]!.AsArray().Single(f => f!["SPDXID"]!.GetValue<string>() == applied["relatedSpdxElement"]!.GetValue<string>())!;
        Assert.Equal("./drivers/net/ethernet/realtek/8139too.c", target["fileName"]!.GetValue<string>());
        Assert.Contains(doc["hasExtractedLicensingInfos"]!.AsArray(), l => l!["licenseId"]!.GetValue<string>() == "LicenseRef-Vendor");

        var bom = JsonNode.Parse(File.ReadAllText(cdx))!;
        var driver = bom["components"]!.AsArray().Single(c => c!["bom-ref"]!.GetValue<string>() == "driver:8139too")!;
        Assert.Equal("linux", driver["pedigree"]!["ancestors"]![0]!["name"]!.GetValue<string>());
        Assert.Single(driver["pedigree"]!["patches"]!.AsArray());
        Assert.Contains(driver["components"]!.AsArray(), c => c!["name"]!.GetValue<string>().EndsWith("linuxshim_glue.c", StringComparison.Ordinal));
        Assert.Contains("GPL-2.0-only", driver["licenses"]![0]!["expression"]!.GetValue<string>());
        Assert.Equal(7, bom["services"]!.AsArray().Count);

        // The validation is not vacuous: a document that breaks the schemas is refused.
        doc["spdxVersion"] = null;
        Assert.NotEmpty(SchemaValidation.Spdx23(doc.ToJsonString()));
        bom["components"]![0]!["hashes"] = new JsonArray(new JsonObject { ["alg"] = "SHA-7", ["content"] = "00" });
        Assert.NotEmpty(SchemaValidation.CycloneDx16(bom.ToJsonString()));

        Assert.Contains("```mermaid", File.ReadAllText(md));
        Assert.Contains("<svg", File.ReadAllText(html));
    }

    [Fact]
    public void DocumentsOfATreeDirectoryValidateAndListEveryModuleWithItsFiles()
    {
        string spdx = Path.Combine(_dir, "realtek.spdx.json"), cdx = Path.Combine(_dir, "realtek.cdx.json");
        var run = Run("licence", "drivers/net/ethernet/realtek", "--spdx", spdx, "--cyclonedx", cdx, "--quiet", "--linux", kernel.Linux, "--build", kernel.Build);
        Assert.True(run.Exit == 0, run.Err);
        SchemaValidation.AssertValid(spdx, cdx);

        var doc = JsonNode.Parse(File.ReadAllText(spdx))!;
        Assert.Equal(["SPDXRef-Module-8139cp", "SPDXRef-Module-8139too", "SPDXRef-Module-r8169"],
            doc["documentDescribes"]!.AsArray().Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal));
        var file = doc["files"]!.AsArray().Single(f => f!["fileName"]!.GetValue<string>() == "./drivers/net/ethernet/realtek/8139too.c")!;
        Assert.Equal("GPL-2.0-only", file["licenseConcluded"]!.GetValue<string>());
        Assert.Equal("NONE", file["licenseInfoInFiles"]![0]!.GetValue<string>());
        var bom = JsonNode.Parse(File.ReadAllText(cdx))!;
        Assert.Equal(3, bom["components"]!.AsArray().Count(c => c!["bom-ref"]!.GetValue<string>().StartsWith("module:", StringComparison.Ordinal)));
    }

    [Fact]
    public void CorrespondingSourceNamesTheUpstreamBlobsShadowHeadersGlueAndPatches()
    {
        string port = PatchedPort();
        var report = Analyze(port);
        var cs = Assert.Single(report.CorrespondingSource);
        Assert.True(cs.Built);
        Assert.Equal(kernel.Importer.Tree.Kind, cs.Upstream.Kind);
        var source = Assert.Single(cs.Sources);
        Assert.Equal(KbuildOracleTests.GitBlobId(File.ReadAllBytes(Path.Combine(kernel.SourceRoot, source.Path))), source.Blob);
        Assert.Contains(cs.ShadowHeaders, h => h.Path == "shim/include/6.1/asm/current.h" && h.Spdx is not null);
        Assert.Contains(cs.ShadowHeaders, h => h.Path == "shim/include/asm/io.h");
        Assert.DoesNotContain(cs.ShadowHeaders, h => h.Path.StartsWith("shim/include/6.12/", StringComparison.Ordinal)); // another kernel's
        Assert.Contains(cs.NativeRuntime, n => n.Path == "shim/native/runtime.c");
        var glue = Assert.Single(cs.Generated);
        Assert.Contains(source.Path, glue.GeneratedFrom);
        var patch = Assert.Single(cs.Patches);
        Assert.Equal(["drivers/net/ethernet/realtek/8139too.c"], patch.Targets);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(port, "build", "8139too.port.json")))!;
        Assert.Equal(manifest["library"]!["sha256"]!.GetValue<string>(), cs.Library!.Sha256);
        Assert.Equal(LicenceAnalyzer.Sha256File(Path.Combine(port, "build", "8139too.so")), cs.Library.Sha256);
    }

    [Fact]
    public void BadSpdxLinesAreNamedByFileAndLineAndExitNonZero()
    {
        using var tree = new DerivedTree(kernel.SourceRoot);
        Directory.CreateSymbolicLink(Path.Combine(tree.Root, "LICENSES"), Path.Combine(kernel.SourceRoot, "LICENSES"));
        tree.Write("drivers/lstest/Makefile", "# SPDX-License-Identifier: GPL-2.0\nobj-m += unknown.o malformed.o fine.o\n");
        string module = "#include <linux/module.h>\nint {0}_fn(void);\nint {0}_fn(void) {{ return 0; }}\nMODULE_LICENSE(\"GPL\");\n";
        tree.Write("drivers/lstest/unknown.c", "// SPDX-License-Identifier: GPL-2.0 OR Foo-1.0\n" + string.Format(module, "unknown"));
        tree.Write("drivers/lstest/malformed.c", "// SPDX-License-Identifier: (GPL-2.0 OR MIT\n" + string.Format(module, "malformed"));
        tree.Write("drivers/lstest/fine.c", "// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note\n" + string.Format(module, "fine"));
        string json = Path.Combine(_dir, "bad.json");
        var run = Run("licence", "drivers/lstest", "--linux", tree.Root, "--build", kernel.Build, "--json", json, "--quiet");
        Assert.Equal(1, run.Exit);
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("linuxshim: drivers/lstest/unknown.c:1: unknown licence identifier 'Foo-1.0'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("linuxshim: drivers/lstest/malformed.c:1: malformed SPDX expression: missing ')'", StringComparison.Ordinal));
        Assert.True(File.Exists(json)); // the report is still written
    }

    [Fact]
    public void ABadDeploymentFileIsNamedByFileAndLineAndExitsNonZero()
    {
        string file = WriteDeployment("bad.conf", $"name = bad\n[process driver-host]\nload = port {Port("8139too")}\nload = library libx.so : Apache-2.0 WITH\n");
        var run = Run("licence", Port("8139too"), "--deployment", file, "--linux", kernel.Linux, "--build", kernel.Build);
        Assert.Equal(1, run.Exit);
        var line = Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"linuxshim: {file}:4: malformed licence expression: WITH must be followed", line);

        var usage = Run("licence", Port("8139too"), "--deployment");
        Assert.Equal(2, usage.Exit);
        Assert.Contains("--deployment needs a value", usage.Err);
        var help = Run("licence", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("load = nuget ID VERSION", help.Out);
    }
}
