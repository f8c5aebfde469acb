// SPDX-License-Identifier: MIT
// The sandboxed driver host maps only what it needs: the runtime, the shim, its own small executable and the
// driver, nothing of the importer, the command line or the device models; and the ports' deployment files say
// exactly that (measured from /proc/PID/maps of a supervised host, as the licence report's address spaces need).
using LinuxShim.Import.Licence;
using LinuxShim.Supervisor;
using Xunit.Abstractions;

namespace LinuxShim.Supervisor.Tests;

[Collection(KernelCollection.Name)]
public sealed class HostAddressSpaceTests(KernelFixture kernel, ITestOutputHelper output) : IDisposable
{
    private static readonly string Repo = TestRepository.Root;
    private readonly string work = Path.Combine(Path.GetTempPath(), $"linuxshim-maps-{Guid.NewGuid():N}"[..25]);

    public void Dispose()
    {
        try { Directory.Delete(work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void ASupervisedHostMapsTheShimAndTheDriverAndNothingOfTheToolAsItsDeploymentSays()
    {
        string library = BuiltPorts.Library(kernel, "8139too");
        Directory.CreateDirectory(work);
        using var audit = new AuditLog(Path.Combine(work, "audit.jsonl"));
        using var nic = new Devices.Rtl8139.Rtl8139Nic(Devices.MacAddress.Parse("02:4c:53:00:0a:05"));
        using var server = new Devices.VfioUser.VfioUserServer(nic);
        using var cancel = new CancellationTokenSource();
        string socket = Path.Combine(work, "device.sock");
        var serving = server.ListenAsync(socket, cancel.Token);
        var log = new StringWriter();
        var supervisor = new DriverSupervisor(new SupervisorOptions
        {
            Name = "8139too",
            Library = library,
            DeviceSocket = socket,
            RuntimeDirectory = Path.Combine(work, "run"),
            WarmStandby = false,
        }, TextWriter.Synchronized(log), audit);
        try
        {
            supervisor.Start();
            supervisor.Up();
            var mapped = File.ReadAllLines($"/proc/{supervisor.ActiveHostPid}/maps")
                .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length >= 6 && f[5].StartsWith('/'))
                .Select(f => Path.GetFileName(f[5]))
                .ToHashSet(StringComparer.Ordinal);
            output.WriteLine(string.Join(", ", mapped.Order(StringComparer.Ordinal)));

            Assert.Contains("linuxshim-host.dll", mapped);
            Assert.Contains("LinuxShim.Shim.dll", mapped);
            Assert.Contains(Path.GetFileName(library), mapped);
            foreach (var absent in new[] { "linuxshim.dll", "LinuxShim.Import.dll", "LinuxShim.Devices.dll" })
                Assert.DoesNotContain(absent, mapped);
            Assert.DoesNotContain(mapped, m => m.Contains("clang", StringComparison.Ordinal) || m.Contains("git2", StringComparison.Ordinal));

            // Every port's deployment file lists exactly these LinuxShim assemblies for its driver hosts.
            var ours = mapped.Where(m => m.EndsWith(".dll", StringComparison.Ordinal) && m.StartsWith("linuxshim", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            foreach (var file in Directory.GetFiles(Path.Combine(Repo, "ports"), "deployment.conf", SearchOption.AllDirectories))
            {
                var deployment = DeploymentFile.Load(file);
                foreach (var process in deployment.Processes.Where(p => p.Name is "driver-host" or "standby-host"))
                {
                    var listed = process.Loads.Where(l => l.Kind == "assembly").Select(l => l.Name).Order(StringComparer.Ordinal).ToList();
                    Assert.True(ours.SequenceEqual(listed), $"{file} [{process.Name}] lists {string.Join(", ", listed)}; a host maps {string.Join(", ", ours)}");
                }
            }
        }
        finally
        {
            supervisor.Dispose();
            cancel.Cancel();
            output.WriteLine(log.ToString());
        }
    }
}
