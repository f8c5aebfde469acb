// SPDX-License-Identifier: MIT
// Tests for the shim's native printf family (shim/native/vsprintf.c): compiled with Kbuild's own
// command line made fit for user space, linked into a .so that may leave no symbol undefined, loaded
// into this process and run against the case table in vsprintf_cases.c.
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Import.Compile;
using LinuxShim.Import.Install;
using LinuxShim.Import.Tree;

namespace LinuxShim.Shim.Tests.Native;

/// <summary>The two C files built once into one .so for all the tests of the class.</summary>
public sealed class VsprintfLibrary : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("linuxshim-vsprintf-").FullName;

    public string Path { get; }
    public nint Handle { get; }

    public VsprintfLibrary()
    {
        string build = InstalledKernels.Find().BuildFor(new KernelVersion(6, 1))?.Path
            ?? throw new InvalidOperationException("no Linux 6.1 build directory: install linux-headers-amd64 (.ci/run does)");
        string repo = RepositoryRoot();
        var kbuild = KbuildCommandLine.ForBuild(build, TreeCache.ResolveRoot(null));
        var (compiler, flags) = UserSpaceCommand(kbuild.OriginalCommand);

        var objects = new List<string>();
        foreach (string source in new[] { "shim/native/vsprintf.c", "tests/LinuxShim.Shim.Tests/Native/vsprintf_cases.c" })
        {
            string obj = System.IO.Path.Combine(_dir, System.IO.Path.GetFileNameWithoutExtension(source) + ".o");
            // Kbuild's include paths are relative to the build directory, so gcc runs there. shim/include last: shim.h's
            // <linuxshim/glue.h>, not the shadows, which a port build puts first.
            Run(compiler, [.. flags, "-I" + System.IO.Path.Combine(repo, "shim", "include"), "-c", "-o", obj, System.IO.Path.Combine(repo, source)], build);
            objects.Add(obj);
        }
        Path = System.IO.Path.Combine(_dir, "libvsprintf.so");
        // -z defs: a symbol nothing defines fails the link. -Bsymbolic: the library's own snprintf
        // wins over the C library's that this process already has loaded.
        Run(compiler, ["-shared", "-nostdlib", "-Wl,-z,defs", "-Wl,-Bsymbolic", "-o", Path, .. objects], _dir);
        Handle = NativeLibrary.Load(Path);
    }

    public void Dispose()
    {
        NativeLibrary.Free(Handle);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// Kbuild's module compile command for a user-space shared object: position-independent instead
    /// of the kernel code model, and no ftrace hooks, retpoline thunks, stack-protector canary or
    /// dependency file (each needs a kernel symbol or a path of the probe).
    /// </summary>
    private static (string Compiler, List<string> Flags) UserSpaceCommand(string command)
    {
        string[] dropped =
        [
            "-mcmodel=kernel", "-fno-PIE", "-pg", "-mrecord-mcount", "-mfentry", "-DCC_USING_FENTRY",
            "-mindirect-branch=thunk-extern", "-mfunction-return=thunk-extern", "-fstack-protector-strong",
        ];
        var words = ShellWords.Split(command);
        var flags = words.Skip(1)
            .Where(w => !dropped.Contains(w) && !w.StartsWith("-Wp,", StringComparison.Ordinal) && !w.Contains("KBUILD_", StringComparison.Ordinal))
            .Append("-fPIC").Append("-fno-stack-protector")
            .ToList();
        return (words[0], flags);
    }

    internal static string Run(string program, IEnumerable<string> arguments, string workDir)
    {
        var (exitCode, output, errors) = ExternalProgram.Run(program, arguments, workDir, reason => $"cannot run {program}: {reason}");
        if (exitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({exitCode}):\n{errors}");
        return output;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "LinuxShim.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no LinuxShim.sln above {AppContext.BaseDirectory}");
    }
}

public sealed unsafe class VsprintfTests(VsprintfLibrary library) : IClassFixture<VsprintfLibrary>
{
    private static readonly string[] Provided = ["vsnprintf", "vscnprintf", "snprintf", "scnprintf", "sprintf", "vsprintf"];

    [Fact]
    public void CaseTablePasses()
    {
        var run = (delegate* unmanaged<byte*, int, int>)NativeLibrary.GetExport(library.Handle, "linuxshim_test_vsprintf");
        var report = new byte[64 * 1024];
        int failures;
        fixed (byte* p = report)
            failures = run(p, report.Length);
        string text = Encoding.UTF8.GetString(report, 0, Array.IndexOf(report, (byte)0));
        Assert.True(failures == 0, text);
        Assert.Matches(@"^[0-9]{3,} cases, 0 failed\n$", text);
    }

    [Theory]
    [InlineData(0, 0, "", 12)]
    [InlineData(0, 1, "", 12)]
    [InlineData(0, 5, "abcd", 12)]
    [InlineData(0, 12, "abcdef-1234", 12)]
    [InlineData(0, 13, "abcdef-12345", 12)]
    [InlineData(1, 0, "", 0)]
    [InlineData(1, 5, "abcd", 4)]
    [InlineData(1, 64, "abcdef-12345", 12)]
    public void SnprintfTruncatesAndTerminates(int counted, int size, string expected, int expectedReturn)
    {
        var format = (delegate* unmanaged<byte*, nuint, int, int>)NativeLibrary.GetExport(library.Handle, "linuxshim_test_snprintf");
        var buffer = new byte[80];
        Array.Fill(buffer, (byte)0xAA);
        int ret;
        fixed (byte* p = buffer)
            ret = format(p, (nuint)size, counted);

        Assert.Equal(expectedReturn, ret);
        if (size > 0)
        {
            Assert.Equal(expected, Encoding.ASCII.GetString(buffer, 0, expected.Length));
            Assert.Equal(0, buffer[expected.Length]);
        }
        Assert.All(buffer[size..], b => Assert.Equal(0xAA, b));
    }

    [Fact]
    public void LinkLeavesNothingUndefined()
    {
        string undefined = VsprintfLibrary.Run("nm", ["-D", "--undefined-only", library.Path], Path.GetTempPath());
        Assert.Equal("", undefined.Trim());
        var defined = VsprintfLibrary.Run("nm", ["-D", "--defined-only", library.Path], Path.GetTempPath())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[^1])
            .ToHashSet();
        Assert.All(Provided, name => Assert.Contains(name, defined));
    }

    [Fact]
    public void ProvidedSymbolsAreMarked()
    {
        string source = File.ReadAllText(Path.Combine(TestRepository.Root, "shim", "native", "vsprintf.c"));
        Assert.All(Provided, name => Assert.Contains($"\nSHIM_SYMBOL({name})\n", source, StringComparison.Ordinal));
    }
}
