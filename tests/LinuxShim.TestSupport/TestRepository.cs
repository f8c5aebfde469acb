// SPDX-License-Identifier: MIT
// Test helper. Where the repository is (the folder holding LinuxShim.sln above the test's binaries), and
// paths in it.
namespace LinuxShim.TestSupport;

public static class TestRepository
{
    /// <summary>The repository's root folder.</summary>
    public static string Root { get; } = Find();

    /// <summary>A path under the root, given by its parts (e.g. "ports", "8139too").</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "LinuxShim.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no LinuxShim.sln above {AppContext.BaseDirectory}");
    }
}
