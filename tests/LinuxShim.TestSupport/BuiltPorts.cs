// SPDX-License-Identifier: MIT
// Test side. Upstream ports built once per test run (8139too takes seconds to build), in a folder
// of this process that goes when the process does.
using LinuxShim.Import.Port;
using LinuxShim.Tools;

namespace LinuxShim.TestSupport;

public static class BuiltPorts
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string> Libraries = [];
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"linuxshim-test-ports-{Environment.ProcessId}");

    static BuiltPorts() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    };

    /// <summary>The driver library of ports/<paramref name="port"/>, built on first use.</summary>
    public static string Library(KernelFixture kernel, string port)
    {
        lock (Gate)
        {
            if (!Libraries.TryGetValue(port, out var library))
            {
                var recipe = PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", port));
                var build = PortCommand.Build(kernel.Importer, recipe, Path.Combine(Folder, port), null);
                Assert.Empty(build.Stubs);
                library = build.Library;
                Libraries[port] = library;
            }
            return library;
        }
    }
}
