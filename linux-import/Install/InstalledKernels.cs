// SPDX-License-Identifier: MIT
// Managed side. The kernels installed under a system root ("/" unless $LINUXSHIM_SYSROOT or a test says
// otherwise): source trees (/usr/src/linux-source-X.Y, directory or tarball), configured build directories
// (/usr/src/linux-headers-*-amd64, the running kernel's /lib/modules/R/build), each with its version, and
// build directories a half-installed headers package left unusable, with what is missing.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Install;

/// <summary>A source tree found installed: a directory or a tarball, its series read from its name.</summary>
public sealed record InstalledSource(string Path, KernelVersion Version);

/// <summary>A configured build directory found installed. <paramref name="Problem"/> says what a half-installed
/// package left missing (one line, naming the package that provides it); null when the directory is usable.</summary>
public sealed record InstalledBuild(string Path, KernelVersion Version, string? Problem);

public sealed class InstalledKernels
{
    /// <summary>Names the system root kernels are looked for under when none is given (default "/").</summary>
    public const string SysrootVariable = "LINUXSHIM_SYSROOT";

    private static readonly string[] TarballSuffixes = [".tar.xz", ".tar.gz", ".tar.bz2", ".tar"];

    private InstalledKernels(string root, List<InstalledSource> sources, List<InstalledBuild> builds)
    {
        Root = root;
        Sources = sources;
        Builds = builds;
    }

    /// <summary>The system root that was searched.</summary>
    public string Root { get; }

    /// <summary>Source trees, oldest series first; a directory before a tarball of the same series.</summary>
    public IReadOnlyList<InstalledSource> Sources { get; }

    /// <summary>Build directories, oldest version first, usable or not.</summary>
    public IReadOnlyList<InstalledBuild> Builds { get; }

    /// <summary>$LINUXSHIM_SYSROOT, else "/".</summary>
    public static string DefaultRoot() =>
        Environment.GetEnvironmentVariable(SysrootVariable) is { Length: > 0 } r ? System.IO.Path.GetFullPath(r) : "/";

    /// <summary>Looks under <see cref="DefaultRoot"/>; the running kernel's build directory counts only when that is "/".</summary>
    public static InstalledKernels Find()
    {
        string root = DefaultRoot();
        return Find(root, root == "/" ? RunningRelease() : null);
    }

    /// <summary>Looks under <paramref name="root"/>; <paramref name="runningRelease"/> (uname -r) adds lib/modules/R/build.</summary>
    public static InstalledKernels Find(string root, string? runningRelease)
    {
        root = System.IO.Path.GetFullPath(root);
        string usrSrc = System.IO.Path.Combine(root, "usr/src");
        var sources = new List<InstalledSource>();
        var builds = new List<InstalledBuild>();
        if (Directory.Exists(usrSrc))
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(usrSrc, "linux-source-*"))
                if (SourceVersion(System.IO.Path.GetFileName(entry), Directory.Exists(entry)) is { } v)
                    sources.Add(new InstalledSource(entry, v));
            foreach (string dir in Directory.EnumerateDirectories(usrSrc, "linux-headers-*-amd64"))
            {
                string name = System.IO.Path.GetFileName(dir);
                // Other flavours (cloud, rt) are configured for other machines: not a default.
                if (name.EndsWith("-cloud-amd64", StringComparison.Ordinal) || name.EndsWith("-rt-amd64", StringComparison.Ordinal))
                    continue;
                if (Examine(root, dir, name["linux-headers-".Length..]) is { } b)
                    builds.Add(b);
            }
        }
        if (runningRelease is not null)
        {
            string build = System.IO.Path.Combine(root, "lib/modules", runningRelease, "build");
            if (Directory.Exists(build) && !builds.Any(b => SameDirectory(b.Path, build)) && Examine(root, build, runningRelease) is { } b)
            {
                builds.Add(b);
                // Outside Debian the running kernel's build directory is often the whole source tree.
                if (b.Problem is null && !sources.Any(s => s.Version.SameSeries(b.Version))
                    && File.Exists(System.IO.Path.Combine(build, "Makefile")) && Directory.Exists(System.IO.Path.Combine(build, "include/linux")))
                    sources.Add(new InstalledSource(build, b.Version.Series));
            }
        }
        sources.Sort((a, b) =>
        {
            int c = a.Version.CompareTo(b.Version);
            return c != 0 ? c : (Directory.Exists(b.Path) ? 1 : 0) - (Directory.Exists(a.Path) ? 1 : 0);
        });
        builds.Sort((a, b) =>
        {
            int c = a.Version.CompareTo(b.Version);
            return c != 0 ? c : BuildDirectory.CompareVersions(System.IO.Path.GetFileName(a.Path), System.IO.Path.GetFileName(b.Path));
        });
        return new InstalledKernels(root, sources, builds);
    }

    /// <summary>The series that have both a source tree and a usable build directory, oldest first.</summary>
    public IReadOnlyList<KernelVersion> CompleteSeries =>
        Sources.Select(s => s.Version.Series).Distinct().Where(v => BuildFor(v) is not null).Order().ToList();

    /// <summary>The source tree of <paramref name="series"/>'s series (a directory before a tarball), or null.</summary>
    public InstalledSource? SourceFor(KernelVersion series) => Sources.FirstOrDefault(s => s.Version.SameSeries(series));

    /// <summary>The usable build directory of <paramref name="series"/>'s series with the newest patch level, or null.</summary>
    public InstalledBuild? BuildFor(KernelVersion series) => Builds.LastOrDefault(b => b.Problem is null && b.Version.SameSeries(series));

    /// <summary>What keeps a half-installed build directory of the series from being used (one line), or null.</summary>
    public string? ProblemFor(KernelVersion series) => Builds.LastOrDefault(b => b.Problem is not null && b.Version.SameSeries(series))?.Problem;

    /// <summary>" under ROOT" for messages, or nothing for "/".</summary>
    public string Under => Root == "/" ? "" : $" under {Root}";

    /// <summary>"6.1, 6.12" (series with a usable pair), or "none".</summary>
    public string DescribeComplete() => CompleteSeries.Count == 0 ? "none" : string.Join(", ", CompleteSeries);

    private static KernelVersion? SourceVersion(string name, bool isDirectory)
    {
        string version = name["linux-source-".Length..];
        if (!isDirectory)
        {
            string? suffix = TarballSuffixes.FirstOrDefault(s => version.EndsWith(s, StringComparison.Ordinal));
            if (suffix is null)
                return null;
            version = version[..^suffix.Length];
        }
        return KernelVersion.TryParseRelease(version, out var v) ? v : null;
    }

    /// <summary>A build directory's version (include/config/kernel.release, else its name) and what, if anything,
    /// a half-installed package left missing. Null when neither tells a version.</summary>
    private static InstalledBuild? Examine(string root, string dir, string nameVersion)
    {
        KernelVersion? version = null;
        string releaseFile = System.IO.Path.Combine(dir, "include/config/kernel.release");
        try
        {
            if (File.Exists(releaseFile) && KernelVersion.TryParseRelease(File.ReadAllText(releaseFile), out var r))
                version = r;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        if (version is null)
        {
            if (!KernelVersion.TryParseRelease(nameVersion, out var n))
                return null;
            version = n;
        }
        return new InstalledBuild(dir, version.Value, Problem(root, dir));
    }

    /// <summary>What keeps a build directory a Debian headers package installed from working (one line naming the
    /// package), or null: also for a directory given with --build, which Kbuild would otherwise fail on later.</summary>
    public static string? Problem(string root, string dir)
    {
        string package = DebianPackages.Owning(dir) ?? "the headers package";
        foreach (string file in new[] { "Makefile", "include/generated/autoconf.h", "include/config/auto.conf", "Module.symvers" })
            if (!File.Exists(System.IO.Path.Combine(dir, file)))
                return $"{dir} is half-installed: {file} is missing (reinstall {package})";
        // Debian's build directory holds the configuration only: its Makefile includes the -common tree's,
        // and scripts/ links into linux-kbuild; each is a package of its own.
        foreach (string line in File.ReadLines(System.IO.Path.Combine(dir, "Makefile")))
        {
            string t = line.Trim();
            if (!t.StartsWith("include ", StringComparison.Ordinal))
                continue;
            string included = t["include ".Length..].Trim();
            if (!System.IO.Path.IsPathRooted(included) || included.Contains('$'))
                continue;
            if (!File.Exists(included) && !File.Exists(System.IO.Path.Join(root, included)))
                return $"{dir} is half-installed: its Makefile includes {included}, which is missing (install {DebianPackages.Owning(included) ?? "the -common headers package"})";
        }
        string scripts = System.IO.Path.Combine(dir, "scripts");
        var link = new FileInfo(scripts).LinkTarget;
        if (link is not null && !Directory.Exists(scripts))
        {
            string target = System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, link));
            return $"{dir} is half-installed: scripts links to {target}, which is missing (install {DebianPackages.Owning(target) ?? "linux-kbuild"})";
        }
        return null;
    }

    private static bool SameDirectory(string a, string b)
    {
        try
        {
            string ra = new DirectoryInfo(a).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(a);
            string rb = new DirectoryInfo(b).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? System.IO.Path.GetFullPath(b);
            return ra.TrimEnd('/') == rb.TrimEnd('/');
        }
        catch (IOException)
        {
            return false;
        }
    }

    internal static string? RunningRelease()
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
}
