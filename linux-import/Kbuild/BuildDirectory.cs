// SPDX-License-Identifier: MIT
// A configured kernel build directory (autoconf.h, auto.conf, Module.symvers) and how to find the default one.
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// A kernel build directory that has been configured and prepared: the directory that
/// <c>make -C &lt;dir&gt; M=...</c> would use to build external modules.
/// </summary>
public sealed partial class BuildDirectory
{
    /// <summary>Environment variable that names the build directory when --build is not given.</summary>
    public const string EnvironmentVariable = "LINUXSHIM_BUILD";

    private const string AutoconfH = "include/generated/autoconf.h";
    private const string AutoConf = "include/config/auto.conf";
    private const string SymversFile = "Module.symvers";

    private readonly Lazy<string> _release;
    private readonly Lazy<KernelConfig> _config;
    private readonly Lazy<ModuleSymvers> _symvers;
    private readonly Lazy<string> _arch;

    private BuildDirectory(string path)
    {
        Path = path;
        _release = new Lazy<string>(ReadRelease);
        _config = new Lazy<KernelConfig>(() => KernelConfig.Load(System.IO.Path.Combine(path, AutoConf)));
        _symvers = new Lazy<ModuleSymvers>(() => ModuleSymvers.Load(System.IO.Path.Combine(path, SymversFile)));
        _arch = new Lazy<string>(ReadArch);
    }

    /// <summary>Absolute path of the build directory.</summary>
    public string Path { get; }

    /// <summary>The kernel release (uname -r, UTS_RELEASE), e.g. 6.1.0-56-amd64; from include/generated/utsrelease.h, else include/config/kernel.release.</summary>
    public string KernelRelease => _release.Value;

    /// <summary>The configuration (include/config/auto.conf), read on first use.</summary>
    public KernelConfig Config => _config.Value;

    /// <summary>The exported symbols (Module.symvers), read on first use.</summary>
    public ModuleSymvers Symvers => _symvers.Value;

    /// <summary>The kernel architecture (ARCH) the directory was configured for; "x86" unless its Makefile overrides it.</summary>
    public string Arch => _arch.Value;

    /// <summary>Checks that <paramref name="path"/> is a configured kernel build directory.</summary>
    public static BuildDirectory Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!Directory.Exists(full))
            throw new ImportException($"build directory {full} does not exist");
        if (!File.Exists(System.IO.Path.Combine(full, AutoconfH)))
            throw new ImportException($"{full} is not a configured kernel build directory: {AutoconfH} is missing (run make oldconfig && make prepare)");
        if (!File.Exists(System.IO.Path.Combine(full, AutoConf)))
            throw new ImportException($"{full} is not a configured kernel build directory: {AutoConf} is missing (run make oldconfig && make prepare)");
        if (!File.Exists(System.IO.Path.Combine(full, SymversFile)))
            throw new ImportException($"{full} is not a configured kernel build directory: {SymversFile} is missing (run make modules or install the linux-headers package)");
        return new BuildDirectory(full);
    }

    /// <summary>
    /// The build directory to use when none is given: $LINUXSHIM_BUILD; else the newest
    /// /usr/src/linux-headers-*-amd64 (Debian); else /lib/modules/$(uname -r)/build.
    /// Returns null when none applies. <paramref name="how"/> says which rule decided.
    /// </summary>
    public static string? FindDefault(out string how) =>
        FindDefault(Environment.GetEnvironmentVariable(EnvironmentVariable), "/usr/src", "/lib/modules", RunningRelease(), out how);

    /// <summary>FindDefault with every input explicit (for tests and unusual layouts).</summary>
    public static string? FindDefault(string? environmentValue, string usrSrc, string libModules, string? runningRelease, out string how)
    {
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            how = $"from the {EnvironmentVariable} environment variable";
            return environmentValue;
        }
        if (Directory.Exists(usrSrc))
        {
            var newest = Directory.GetDirectories(usrSrc, "linux-headers-*-amd64")
                .OrderBy(d => System.IO.Path.GetFileName(d), Comparer<string>.Create(CompareVersions))
                .LastOrDefault();
            if (newest != null)
            {
                how = $"the newest Debian headers package directory {usrSrc}/linux-headers-*-amd64";
                return newest;
            }
        }
        if (runningRelease != null)
        {
            string build = System.IO.Path.Combine(libModules, runningRelease, "build");
            if (Directory.Exists(build))
            {
                how = $"the running kernel's {libModules}/{runningRelease}/build";
                return build;
            }
        }
        how = $"no {EnvironmentVariable}, no {usrSrc}/linux-headers-*-amd64 and no {libModules}/<release>/build";
        return null;
    }

    /// <summary>Compares two strings like sort -V: digit runs numerically, everything else ordinally.</summary>
    internal static int CompareVersions(string a, string b)
    {
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                string na = a[si..i].TrimStart('0'), nb = b[sj..j].TrimStart('0');
                int c = na.Length != nb.Length ? na.Length.CompareTo(nb.Length) : string.CompareOrdinal(na, nb);
                if (c != 0)
                    return c;
            }
            else
            {
                if (a[i] != b[j])
                    return a[i].CompareTo(b[j]);
                i++;
                j++;
            }
        }
        return (a.Length - i).CompareTo(b.Length - j);
    }

    private static string? RunningRelease()
    {
        try
        {
            string r = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            return r.Length > 0 ? r : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // UTS_RELEASE is what vermagic and uname -r report; Debian's include/config/kernel.release holds
    // the upstream version instead (6.1.192 for 6.1.0-56-amd64), so it is only the fallback.
    private string ReadRelease()
    {
        string uts = System.IO.Path.Combine(Path, "include/generated/utsrelease.h");
        if (File.Exists(uts))
        {
            var m = UtsReleaseRegex().Match(File.ReadAllText(uts));
            if (m.Success)
                return m.Groups[1].Value;
        }
        string releaseFile = System.IO.Path.Combine(Path, "include/config/kernel.release");
        if (File.Exists(releaseFile))
        {
            string r = File.ReadAllText(releaseFile).Trim();
            if (r.Length > 0)
                return r;
        }
        throw new ImportException($"{Path} has no kernel release: neither include/generated/utsrelease.h defines UTS_RELEASE nor include/config/kernel.release exists (run make prepare)");
    }

    private string ReadArch()
    {
        string makefile = System.IO.Path.Combine(Path, "Makefile");
        if (File.Exists(makefile))
        {
            foreach (string line in File.ReadLines(makefile))
            {
                var m = ArchRegex().Match(line);
                if (m.Success)
                    return m.Groups[1].Value;
            }
        }
        return "x86";
    }

    [GeneratedRegex("""^\s*#\s*define\s+UTS_RELEASE\s+"([^"]+)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex UtsReleaseRegex();

    [GeneratedRegex("""^\s*(?:override\s+)?(?:export\s+)?ARCH\s*:?=\s*(\S+)\s*$""")]
    private static partial Regex ArchRegex();
}
