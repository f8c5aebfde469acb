// SPDX-License-Identifier: MIT
// Deployment files: what they describe, NuGet licences read from .nuspec metadata, and every kind
// of mistake named by file and line.
using LinuxShim.Import.Licence;

namespace LinuxShim.Import.Tests.Licence;

public sealed class DeploymentFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-deployment-").FullName;
    private static readonly string Repo = TestRepository.Root;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Deployment Parse(string text, string? nugetRoot = null)
    {
        string file = Path.Combine(_dir, "deployment.conf");
        File.WriteAllText(file, text);
        return DeploymentFile.Load(file, nugetRoot ?? Path.Combine(_dir, "nuget"));
    }

    private void Nuspec(string id, string version, string licenceElement)
    {
        string dir = Path.Combine(_dir, "nuget", id.ToLowerInvariant(), version);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, id.ToLowerInvariant() + ".nuspec"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata><id>{id}</id><version>{version}</version>{licenceElement}</metadata>
            </package>
            """);
    }

    [Fact]
    public void ProcessesLoadsAndChannelsAreRead()
    {
        Nuspec("Vendor.Codec", "2.1.0", "<license type=\"expression\">Apache-2.0</license>");
        var d = Parse($"""
            # a comment
            name = test
            [process driver-host]
            command = linuxshim host x.so   # trailing comment
            load = port {Path.Combine(Repo, "ports", "8139too")}
            load = nuget Vendor.Codec 2.1.0
            [process client]
            load = assembly Client.dll 1.0 : MIT OR Apache-2.0
            [channel ipc]
            between = driver-host client
            transport = unix socket
            [channel tap]
            between = client host-kernel
            transport = TAP
            """);
        Assert.Equal("test", d.Name);
        Assert.Equal(["driver-host", "client"], d.Processes.Select(p => p.Name));
        var codec = d.Processes[0].Loads[1];
        Assert.Equal(("nuget", "Vendor.Codec", "2.1.0", "Apache-2.0"), (codec.Kind, codec.Name, codec.Version, codec.Licence!.ToString()));
        Assert.EndsWith("vendor.codec.nuspec", codec.LicenceSource);
        Assert.Equal(6, codec.Line);
        Assert.Equal("linuxshim host x.so", d.Processes[0].Command);
        Assert.Equal("MIT OR Apache-2.0", d.Processes[1].Loads[0].Licence!.ToString());
        Assert.Equal([("driver-host", "client"), ("client", DeploymentFile.HostKernel)], d.Channels.Select(c => (c.From, c.To)));
    }

    [Fact]
    public void RealNuGetMetadataIsRead()
    {
        // A package every build of this repository restores (the importer's libclang).
        var (licence, source, why) = DeploymentFile.NuGetLicence(DeploymentFile.DefaultNuGetRoot(), "libclang.runtime.linux-x64", "22.1.8");
        Assert.True(licence is not null, why);
        Assert.Equal("Apache-2.0 WITH LLVM-exception", licence.ToString());
        Assert.EndsWith(".nuspec", source);
    }

    [Fact]
    public void ALicenceFileInTheNuspecNeedsTheExpressionInTheDeployment()
    {
        Nuspec("Odd", "1.0.0", "<license type=\"file\">LICENSE.txt</license>");
        var e = Assert.Throws<ImportException>(() => Parse("name = x\n[process p]\nload = nuget Odd 1.0.0\n"));
        Assert.Contains("deployment.conf:3:", e.Message);
        Assert.Contains("LICENSE.txt", e.Message);
        var d = Parse("name = x\n[process p]\nload = nuget Odd 1.0.0 : MIT\n");
        Assert.Equal("MIT", d.Processes[0].Loads[0].Licence!.ToString());
        Assert.StartsWith("deployment (", d.Processes[0].Loads[0].LicenceSource);
    }

    [Theory]
    [InlineData("[process p]\nload = assembly A.dll : MIT\n", 1, "missing 'name")]
    [InlineData("name = x\n", 1, "no [process")]
    [InlineData("name = x\n[process p]\nload = assembly A.dll\n", 3, "needs its licence")]
    [InlineData("name = x\n[process p]\nload = assembly A.dll : MIT OR\n", 3, "malformed licence expression")]
    [InlineData("name = x\n[process p]\nload = assembly A.dll : (MIT\n", 3, "missing ')'")]
    [InlineData("name = x\n[process p]\nload = plugin A.dll : MIT\n", 3, "unknown kind 'plugin'")]
    [InlineData("name = x\n[process p]\nload = library a.so : MIT OR Apache-2.1\n", 3, "unknown licence identifier 'Apache-2.1'")]
    [InlineData("name = x\n[process p]\nload = library a.so : Apache-2.0 WITH LLVM-exceptions\n", 3, "unknown licence identifier 'LLVM-exceptions'")]
    [InlineData("name = x\n[process p]\nloads = assembly A.dll : MIT\n", 3, "unknown key 'loads'")]
    [InlineData("name = x\n[process p]\n", 2, "loads nothing")]
    [InlineData("name = x\n[process p]\nload = assembly A.dll : MIT\n[channel c]\nbetween = p q\ntransport = t\n", 4, "'q', which is no [process]")]
    [InlineData("name = x\n[process p]\nload = assembly A.dll : MIT\n[channel c]\nbetween = p\n", 5, "names two endpoints")]
    [InlineData("name = x\n[process p]\nload = assembly A.dll : MIT\n[process p]\nload = assembly B.dll : MIT\n", 4, "declared twice")]
    [InlineData("name = x\n[proces p]\n", 2, "expected '[process NAME]'")]
    [InlineData("name = x\njust words\n", 2, "expected 'key = value'")]
    [InlineData("name = x\n[process p]\nload = nuget Missing.Package 1.0.0\n", 3, "is not in")]
    [InlineData("name = x\n[process p]\nload = port no-such-port\n", 3, "not a port folder")]
    public void MistakesAreNamedByFileAndLine(string text, int line, string message)
    {
        var e = Assert.Throws<ImportException>(() => Parse(text));
        Assert.Contains($"deployment.conf:{line}: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void LinuxShimsOwnDeploymentsParse()
    {
        foreach (var port in new[] { "8139too", "e1000" })
        {
            var d = DeploymentFile.Load(Path.Combine(Repo, "ports", port, "deployment.conf"));
            Assert.Equal(["driver-host", "standby-host", "device", "run"], d.Processes.Select(p => p.Name));
            Assert.All(d.Processes.Take(2), p => Assert.Single(p.Loads, l => l.Kind == "port"));
            Assert.All(d.Processes.Skip(2), p => Assert.DoesNotContain(p.Loads, l => l.Kind == "port"));
            Assert.Contains(d.Channels, c => c.Name == "vfio-user" && (c.From, c.To) == ("driver-host", "device"));
            Assert.Contains(d.Channels, c => c.Name == "netif" && (c.From, c.To) == ("driver-host", "run"));
        }
    }

    [Fact]
    public void The_8139cp_deployment_has_qemu_as_a_process_of_its_own_reached_only_from_the_device_server()
    {
        var d = DeploymentFile.Load(Path.Combine(Repo, "ports", "8139cp", "deployment.conf"));
        Assert.Equal(["driver-host", "standby-host", "device", "run", "qemu"], d.Processes.Select(p => p.Name));
        var qemu = d.Processes.Single(p => p.Name == "qemu");
        Assert.DoesNotContain(qemu.Loads, l => l.Kind == "port");
        Assert.All(d.Channels.Where(c => c.From == "qemu" || c.To == "qemu"), c => Assert.Equal(("device", "qemu"), (c.From, c.To)));
        Assert.Equal(2, d.Channels.Count(c => c.To == "qemu"));
    }
}
