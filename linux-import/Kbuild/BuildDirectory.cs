// SPDX-License-Identifier: MIT
// A configured kernel build directory (autoconf.h, auto.conf, Module.symvers), its release and version.
using System.Text.RegularExpressions;
using LinuxShim.Import.Install;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// A kernel build directory that has been configured and prepared: the directory that
/// <c>make -C &lt;dir&gt; M=...</c> would use to build external modules.
/// </summary>
public sealed partial class BuildDirectory
{
    private const string AutoconfH = "include/generated/autoconf.h";
    private const string AutoConf = "include/config/auto.conf";
    private const string SymversFile = "Module.symvers";

    private readonly Lazy<string> _release;
    private readonly Lazy<KernelConfig> _config;
    private readonly Lazy<ModuleSymvers> _symvers;
    private readonly Lazy<string> _arch;
    private readonly Lazy<KernelVersion> _version;

    private BuildDirectory(string path)
    {
        Path = path;
        _release = new Lazy<string>(ReadRelease);
        _config = new Lazy<KernelConfig>(() => KernelConfig.Load(System.IO.Path.Combine(path, AutoConf)));
        _symvers = new Lazy<ModuleSymvers>(() => ModuleSymvers.Load(System.IO.Path.Combine(path, SymversFile)));
        _arch = new Lazy<string>(ReadArch);
        _version = new Lazy<KernelVersion>(ReadVersion);
    }

    /// <summary>Absolute path of the build directory.</summary>
    public string Path { get; }

    /// <summary>The kernel release (uname -r, UTS_RELEASE), e.g. 6.1.0-56-amd64; from include/generated/utsrelease.h, else include/config/kernel.release.</summary>
    public string KernelRelease => _release.Value;

    /// <summary>The Linux version it is configured for (6.1.192, 6.12.118): see <see cref="ReadVersion"/>.</summary>
    public KernelVersion Version => _version.Value;

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

    // include/config/kernel.release first: Debian's UTS_RELEASE (6.1.0-57-amd64) carries the package's ABI
    // number where the patch level belongs. Then the top-level Makefile's VERSION/PATCHLEVEL/SUBLEVEL (a
    // Debian build directory's Makefile includes the -common tree's), then UTS_RELEASE.
    private KernelVersion ReadVersion()
    {
        string releaseFile = System.IO.Path.Combine(Path, "include/config/kernel.release");
        if (File.Exists(releaseFile) && KernelVersion.TryParseRelease(File.ReadAllText(releaseFile), out var fromRelease))
            return fromRelease;
        string makefile = System.IO.Path.Combine(Path, "Makefile");
        if (File.Exists(makefile))
        {
            string text = File.ReadAllText(makefile);
            if (KernelVersion.FromMakefile(text) is { } own)
                return own;
            foreach (var line in text.Split('\n'))
                if (line.StartsWith("include ", StringComparison.Ordinal) && line[8..].Trim() is var included
                    && System.IO.Path.IsPathRooted(included) && File.Exists(included)
                    && KernelVersion.FromMakefile(File.ReadAllText(included)) is { } common)
                    return common;
        }
        try
        {
            if (KernelVersion.TryParseRelease(KernelRelease, out var fromUts))
                return fromUts;
        }
        catch (ImportException)
        {
        }
        throw new ImportException($"cannot tell which Linux version {Path} is configured for: no include/config/kernel.release, no VERSION and PATCHLEVEL in its Makefile, no UTS_RELEASE");
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
