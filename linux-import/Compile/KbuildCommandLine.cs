// SPDX-License-Identifier: MIT
// Managed side. The compiler command line Kbuild would use for a module source, asked of Kbuild
// itself: a dry run ("make -n") of a one-file external module against the build directory, done
// once per build directory and cached, then turned into arguments libclang understands.
using System.Security.Cryptography;
using System.Text;

namespace LinuxShim.Import.Compile;

public sealed class KbuildCommandLine
{
    /// <summary>Placeholder for the kernel source tree in cached arguments.</summary>
    public const string SourceTreeMarker = "{srctree}";
    private const string ProbeName = "linuxshim_probe";

    /// <summary>Arguments shared by every module source of this build, with <see cref="SourceTreeMarker"/> for the source tree.</summary>
    public IReadOnlyList<string> BaseArguments { get; }

    /// <summary>The source tree the build directory was configured against (Debian: linux-headers-*-common).</summary>
    public string ConfiguredSourceTree { get; }

    /// <summary>The gcc command line Kbuild printed, as-is (for the record).</summary>
    public string OriginalCommand { get; }

    /// <summary>The compiler Kbuild runs (e.g. gcc-12).</summary>
    public string Compiler { get; }

    /// <summary>
    /// Kbuild's full gcc arguments, made absolute, with <see cref="SourceTreeMarker"/> for the source tree and
    /// without the per-file ones (KBUILD_BASENAME…, dependency output, -c/-o).
    /// </summary>
    public IReadOnlyList<string> CompilerArguments { get; }

    private KbuildCommandLine(IReadOnlyList<string> arguments, string sourceTree, string original, string compiler, IReadOnlyList<string> compilerArguments)
    {
        BaseArguments = arguments;
        ConfiguredSourceTree = sourceTree;
        OriginalCommand = original;
        Compiler = compiler;
        CompilerArguments = compilerArguments;
    }

    // Kernel-only code generation that cannot run in a user-space shared object: the kernel code model and
    // non-PIE code, calls to the kernel's retpoline/return thunks, ftrace's __fentry__ hooks, and the kernel's
    // 8-byte stack alignment (user-space code the driver calls, the managed runtime above all, expects 16).
    private static readonly string[] KernelOnlyCodeGeneration =
    [
        "-mpreferred-stack-boundary=3",
        "-mcmodel=kernel", "-fno-PIE", "-mindirect-branch=thunk-extern", "-mindirect-branch-register",
        "-mindirect-branch-cs-prefix", "-mfunction-return=thunk-extern", "-pg", "-mrecord-mcount", "-mfentry",
    ];
    // -DCC_USING_FENTRY stays: it generates nothing, and 6.12's asm/ftrace.h (which e1000e's netdev.c reaches)
    // refuses CONFIG_FUNCTION_TRACER without it.

    /// <summary>
    /// gcc arguments that compile one module source for a user-space driver host: Kbuild's own flags and the
    /// tree's headers, minus <see cref="KernelOnlyCodeGeneration"/>, plus -fPIC and frame pointers (so a fault
    /// can be traced), with <paramref name="shadowIncludes"/> searched before every kernel include directory.
    /// </summary>
    public List<string> UserSpaceArgumentsFor(string sourceRoot, string moduleName, string baseName,
        IEnumerable<string> extraFlags, IEnumerable<string> shadowIncludes)
    {
        sourceRoot = sourceRoot.TrimEnd('/');
        var args = new List<string>();
        foreach (var dir in shadowIncludes)
            args.Add("-I" + dir);
        foreach (var a in CompilerArguments)
            if (Array.IndexOf(KernelOnlyCodeGeneration, a) < 0)
                args.Add(a.Replace(SourceTreeMarker, sourceRoot, StringComparison.Ordinal));
        foreach (var a in extraFlags)
            args.Add(a.Replace(SourceTreeMarker, sourceRoot, StringComparison.Ordinal));
        args.Add("-fPIC");
        args.Add("-fno-omit-frame-pointer");
        args.Add(NoTracepoints);
        string id = moduleName.Replace('-', '_');
        args.Add($"-DKBUILD_BASENAME=\"{baseName}\"");
        args.Add($"-DKBUILD_MODNAME=\"{id}\"");
        args.Add($"-D__KBUILD_MODNAME=kmod_{id}");
        return args;
    }

    /// <summary>Full libclang arguments for one source file.</summary>
    /// <param name="sourceRoot">On-disk root of the kernel tree whose headers to use.</param>
    /// <param name="extraFlags">Per-directory flags from Kbuild (ccflags-y…), may hold <see cref="SourceTreeMarker"/>.</param>
    public List<string> ArgumentsFor(string sourceRoot, string moduleName, string baseName, IEnumerable<string> extraFlags)
    {
        sourceRoot = sourceRoot.TrimEnd('/');
        var args = new List<string>(BaseArguments.Count + 8);
        foreach (var a in BaseArguments)
            args.Add(a.Replace(SourceTreeMarker, sourceRoot, StringComparison.Ordinal));
        foreach (var a in extraFlags)
            args.Add(a.Replace(SourceTreeMarker, sourceRoot, StringComparison.Ordinal));
        string id = moduleName.Replace('-', '_');
        args.Add($"-DKBUILD_BASENAME=\"{baseName}\"");
        args.Add($"-DKBUILD_MODNAME=\"{id}\"");
        args.Add($"-D__KBUILD_MODNAME=kmod_{id}");
        return args;
    }

    /// <summary>
    /// Tracepoints compiled out (linux/tracepoint.h defines no TRACEPOINTS_ENABLED under NOTRACE): a driver host
    /// has no tracing subsystem to enable them, so their callers become the empty inlines of a kernel without them.
    /// Only the port build's: the Import Model (<see cref="ArgumentsFor"/>) describes the module Kbuild builds,
    /// tracepoints and all, as `verify` checks.
    /// </summary>
    public const string NoTracepoints = "-DNOTRACE";

    /// <summary>Asks Kbuild in <paramref name="buildDir"/> for its command line (cached under <paramref name="cacheRoot"/>).</summary>
    public static KbuildCommandLine ForBuild(string buildDir, string cacheRoot)
    {
        buildDir = Path.GetFullPath(buildDir).TrimEnd('/');
        string key = CacheKey(buildDir);
        string cacheFile = Path.Combine(cacheRoot, "kbuild-flags", key + ".txt");
        string command;
        if (File.Exists(cacheFile))
        {
            command = File.ReadAllText(cacheFile);
        }
        else
        {
            command = Probe(buildDir);
            Directory.CreateDirectory(Path.GetDirectoryName(cacheFile)!);
            string tmp = $"{cacheFile}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
            File.WriteAllText(tmp, command);
            File.Move(tmp, cacheFile, overwrite: true);
        }
        return FromCommand(command, buildDir);
    }

    private static string CacheKey(string buildDir)
    {
        var text = new StringBuilder(buildDir);
        foreach (var f in new[] { ".config", "include/config/auto.conf", "Makefile" })
        {
            var info = new FileInfo(Path.Combine(buildDir, f));
            text.Append('|').Append(f).Append(':').Append(info.Exists ? info.Length + "@" + info.LastWriteTimeUtc.Ticks : "-");
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..24];
    }

    private static string Probe(string buildDir)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"linuxshim-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "Makefile"), $"obj-m := {ProbeName}.o\n");
            File.WriteAllText(Path.Combine(dir, ProbeName + ".c"), "");
            var (exitCode, stdout, stderr) = ExternalProgram.Run("make", ["-s", "-n", "-C", buildDir, "M=" + dir, "modules"], null,
                reason => $"cannot run make to read Kbuild's compiler flags: {reason} (install make)");
            string marker = $" -c -o {dir}/{ProbeName}.o {dir}/{ProbeName}.c";
            foreach (var line in stdout.Split('\n'))
            {
                int end = line.IndexOf(marker, StringComparison.Ordinal);
                if (end < 0)
                    continue;
                // The compile command starts at the compiler name, before "-Wp,-MMD" (or "-nostdinc").
                int start = line.LastIndexOf(" -Wp,", end, StringComparison.Ordinal);
                if (start < 0)
                    start = line.LastIndexOf(" -nostdinc", end, StringComparison.Ordinal);
                if (start < 0)
                    break;
                int compiler = line.LastIndexOf(' ', Math.Max(start - 1, 0));
                return line[(compiler + 1)..end].Trim();
            }
            string why = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? $"exit code {exitCode}";
            throw new ImportException($"Kbuild in {buildDir} did not print a compile command (make -n M=… modules): {why.Trim()}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    // Flags that change how a file parses; everything else (warnings, code generation) is left to gcc.
    private static readonly string[] KeptExact =
    [
        "-nostdinc", "-m64", "-mno-sse", "-mno-mmx", "-mno-sse2", "-mno-3dnow", "-mno-avx",
        "-mno-red-zone", "-mcmodel=kernel", "-fshort-wchar", "-fno-common", "-fno-PIE", "-DMODULE", "-D__KERNEL__",
    ];

    internal static KbuildCommandLine FromCommand(string command, string buildDir)
    {
        var words = ShellWords.Split(command);
        string? sourceTree = null;
        for (int i = 0; i + 1 < words.Count; i++)
            if (words[i] == "-include" && words[i + 1].EndsWith("/include/linux/kconfig.h", StringComparison.Ordinal))
                sourceTree = words[i + 1][..^"/include/linux/kconfig.h".Length];
        if (sourceTree is null)
            throw new ImportException($"Kbuild's command line in {buildDir} does not include linux/kconfig.h; is this a kernel build directory?");
        sourceTree = Absolute(sourceTree, buildDir);

        var full = new List<string>();
        for (int i = 1; i < words.Count; i++)
        {
            string w = words[i];
            if (w is "-include" or "-isystem" or "-I" && i + 1 < words.Count)
            {
                full.Add(w);
                full.Add(Marked(Absolute(words[++i], buildDir), sourceTree));
            }
            else if (w.StartsWith("-I", StringComparison.Ordinal))
                full.Add("-I" + Marked(Absolute(w[2..], buildDir), sourceTree));
            else if (w.StartsWith("-fmacro-prefix-map=", StringComparison.Ordinal) || w.StartsWith("-Wp,", StringComparison.Ordinal)
                     || w.Contains("KBUILD_BASENAME", StringComparison.Ordinal) || w.Contains("KBUILD_MODNAME", StringComparison.Ordinal))
                continue;
            else
                full.Add(w);
        }

        var args = new List<string> { "--target=x86_64-linux-gnu", "-w" };
        for (int i = 1; i < words.Count; i++)
        {
            string w = words[i];
            if (w is "-include" or "-isystem" or "-I" && i + 1 < words.Count)
            {
                args.Add(w);
                args.Add(Marked(Absolute(words[++i], buildDir), sourceTree));
            }
            else if (w.StartsWith("-I", StringComparison.Ordinal))
                args.Add("-I" + Marked(Absolute(w[2..], buildDir), sourceTree));
            else if (w.StartsWith("-std=", StringComparison.Ordinal) || w.StartsWith("-O", StringComparison.Ordinal))
                args.Add(w);
            else if ((w.StartsWith("-D", StringComparison.Ordinal) || w.StartsWith("-U", StringComparison.Ordinal))
                     && !w.Contains("KBUILD_BASENAME", StringComparison.Ordinal) && !w.Contains("KBUILD_MODNAME", StringComparison.Ordinal))
                args.Add(w);
            else if (Array.IndexOf(KeptExact, w) >= 0)
                args.Add(w);
        }
        return new KbuildCommandLine(args, sourceTree, command, words[0], full);
    }

    private static string Absolute(string path, string buildDir) =>
        Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(buildDir, path));

    private static string Marked(string path, string sourceTree) =>
        path == sourceTree || path.StartsWith(sourceTree + "/", StringComparison.Ordinal)
            ? SourceTreeMarker + path[sourceTree.Length..]
            : path;
}
