// SPDX-License-Identifier: MIT
// Test helper. Builds a tiny fake kernel tree on disk, a git repository of it with two commits (foo.c changes
// between them), and a linux-source-9.9 tarball of it.
using System.Diagnostics;
using LibGit2Sharp;

namespace LinuxShim.Import.Tests.Tree;

internal static class FakeKernel
{
    public const string FooV1 = "// foo v1\nint foo(void) { return 1; }\n";
    public const string FooV2 = "// foo v2\nint foo(void) { return 2; }\n";
    public const string Header = "#ifndef X_H\n#define X_H\nint x(void);\n#endif\n";
    public const string Script = "#!/bin/sh\necho gen\n";

    /// <summary>Writes the tree with foo.c at <paramref name="foo"/> into <paramref name="root"/>.</summary>
    public static void Write(string root, string foo = FooV2)
    {
        Put(root, "Makefile", "VERSION = 9\nPATCHLEVEL = 9\n");
        Put(root, "include/linux/x.h", Header);
        Put(root, "include/linux/empty.h", "");
        File.CreateSymbolicLink(Path.Combine(root, "include/linux/y.h"), "x.h");
        File.CreateSymbolicLink(Path.Combine(root, "include/linux/escape.h"), "../../../outside.h");
        Directory.CreateDirectory(Path.Combine(root, "scripts/prefixes"));
        Directory.CreateSymbolicLink(Path.Combine(root, "scripts/prefixes/linux"), "../../include/linux"); // a link to a directory
        Put(root, "drivers/foo/Makefile", "obj-m += foo.o\n");
        Put(root, "drivers/foo/foo.c", foo);
        Put(root, "scripts/gen.sh", Script);
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("the fake kernel tree needs symbolic links and Unix file modes");
        File.SetUnixFileMode(Path.Combine(root, "scripts/gen.sh"),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>Creates a git repository in <paramref name="root"/>: commit 1 has foo v1 (tagged v1), commit 2 foo v2.</summary>
    public static (string First, string Second) CreateRepository(string root)
    {
        Directory.CreateDirectory(root);
        Write(root, FooV1);
        Repository.Init(root);
        using var repository = new Repository(root);
        var author = new Signature("Test", "test@example.invalid", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        Commands.Stage(repository, "*");
        LibGit2Sharp.Commit first = repository.Commit("first", author, author);
        repository.ApplyTag("v1");
        File.WriteAllText(Path.Combine(root, "drivers/foo/foo.c"), FooV2);
        Commands.Stage(repository, "*");
        LibGit2Sharp.Commit second = repository.Commit("second", author, author);
        return (first.Sha, second.Sha);
    }

    /// <summary>Packs the directory <paramref name="directory"/>, which must be named linux-source-9.9, as
    /// <paramref name="tarball"/> so that linux-source-9.9/ is its top-level folder.</summary>
    public static void CreateTarball(string directory, string tarball)
    {
        Assert.Equal("linux-source-9.9", Path.GetFileName(directory));
        Run("tar", "-cJf", tarball, "-C", Path.GetDirectoryName(directory)!, "linux-source-9.9");
    }

    public static void Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        output.Wait();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed: {errors}");
    }

    private static void Put(string root, string relative, string content)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
