// SPDX-License-Identifier: MIT
// Managed side. Opens the source tree and the configured build directory a command works on, so that
// they cannot mismatch: what is not given is taken from the installed kernels, of the given one's version
// or (nothing given) the newest installed pair that --kernel or the port accepts; a tree and a build
// directory of different versions are refused with both named.
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Install;

/// <summary>An opened, matching pair. <paramref name="Choice"/> is one line saying which pair and why;
/// <paramref name="Defaulted"/> is true when any of it came from the installed kernels.</summary>
public sealed record KernelPair(KernelTree Tree, BuildDirectory Build, KernelVersion Version, string Choice, bool Defaulted);

public static class KernelInputs
{
    public static KernelPair Open(KernelRequest request, string cacheRoot)
    {
        InstalledKernels? found = null;
        InstalledKernels Installed() => found ??= request.Root is null
            ? InstalledKernels.Find()
            : InstalledKernels.Find(request.Root, request.RunningRelease);

        // A build directory given explicitly may be a half-installed Debian one: say so now, naming the package.
        if (request.Build is not null && DebianPackages.Owning(System.IO.Path.GetFullPath(request.Build)) is not null
            && Directory.Exists(request.Build) && InstalledKernels.Problem("/", System.IO.Path.GetFullPath(request.Build).TrimEnd('/')) is { } halfInstalled)
            throw new ImportException(halfInstalled);
        BuildDirectory? build = request.Build is null ? null : BuildDirectory.Open(request.Build);
        string? linux = request.Linux;
        string linuxHow = request.LinuxGivenBy, buildHow = request.BuildGivenBy;
        bool defaulted = false;
        KernelTree? tree = null;
        try
        {
            if (build is null && linux is null)
            {
                var (source, installedBuild, why) = ChoosePair(request, Installed());
                build = BuildDirectory.Open(installedBuild.Path);
                linux = source.Path;
                linuxHow = buildHow = why;
                defaulted = true;
            }
            if (linux is not null)
                tree = KernelTree.Open(linux, cacheRoot);
            if (build is null)
            {
                var version = TreeVersion(tree!);
                var installed = Installed();
                var match = installed.BuildFor(version);
                if (match is null)
                    throw installed.ProblemFor(version) is { } problem
                        ? new ImportException($"the build directory of Linux {version.Series} (for {tree!.Location}) is unusable: {problem}")
                        : new ImportException($"no configured build directory for Linux {version.Series} (the version of {tree!.Location}) is installed{installed.Under}: install {DebianPackages.Headers(version)}, or pass --build DIR",
                            [DebianPackages.Headers(version)]);
                build = BuildDirectory.Open(match.Path);
                buildHow = $"the installed build directory of Linux {version.Series}";
                defaulted = true;
            }
            if (tree is null)
            {
                var version = build.Version;
                var installed = Installed();
                var source = installed.SourceFor(version)
                    ?? throw new ImportException($"no source tree for Linux {version.Series} (the version of {build.Path}) is installed{installed.Under}: install {DebianPackages.Source(version)}, or pass --linux PATH",
                        [DebianPackages.Source(version)]);
                tree = KernelTree.Open(source.Path, cacheRoot);
                linuxHow = $"the installed source of Linux {version.Series}";
                defaulted = true;
            }

            var treeVersion = TreeVersion(tree);
            var buildVersion = build.Version;
            if (!treeVersion.SameSeries(buildVersion))
                throw new ImportException($"the source tree {tree.Location} is Linux {treeVersion} but the build directory {build.Path} is configured for Linux {buildVersion}: "
                                          + "a source tree needs the build directory of its own version (pass both of one version, or --kernel MAJOR.MINOR)");
            if (request.Kernel is { } wanted && !wanted.SameSeries(buildVersion))
                throw new ImportException($"--kernel {wanted} asks for Linux {wanted}, but {build.Path} ({buildHow}) is Linux {buildVersion}");
            string choice = linuxHow == buildHow
                ? $"Linux {buildVersion}: {tree.Location} with {build.Path} ({linuxHow})"
                : $"Linux {buildVersion}: {tree.Location} ({linuxHow}) with {build.Path} ({buildHow})";
            return new KernelPair(tree, build, buildVersion, choice, defaulted);
        }
        catch
        {
            tree?.Dispose();
            throw;
        }
    }

    /// <summary>The newest installed series with a source and a usable build directory that --kernel, else the
    /// port, accepts (any when neither says); ImportException naming what to install when there is none.</summary>
    public static (InstalledSource Source, InstalledBuild Build, string Why) ChoosePair(KernelRequest request, InstalledKernels installed)
    {
        IReadOnlyList<KernelVersion> wanted = request.Kernel is { } k ? [k] : request.Supported;
        var complete = installed.CompleteSeries;
        var fits = wanted.Count == 0 ? complete : complete.Where(c => wanted.Any(w => w.SameSeries(c))).ToList();
        if (fits.Count > 0)
        {
            var series = fits[^1];
            string why = request.Kernel is not null
                ? $"--kernel {series}"
                : request.Supported.Count > 0
                    ? $"the newest installed that {request.SupportedBy ?? "the port"} supports; installed: {installed.DescribeComplete()}"
                    : $"the newest installed pair; installed: {installed.DescribeComplete()}; --kernel MAJOR.MINOR takes another";
            return (installed.SourceFor(series)!, installed.BuildFor(series)!, why);
        }

        string where = installed.Under;
        if (wanted.Count == 0)
        {
            // Something of a series may be there without the rest: name what completes the newest one.
            var partial = installed.Sources.Select(s => s.Version.Series).Concat(installed.Builds.Select(b => b.Version.Series)).Distinct().Order().ToList();
            var target = partial.Count > 0 ? partial[^1] : DebianPackages.DistributionSeries;
            throw new ImportException($"no kernel source tree with its configured build directory is installed{where}: {Missing(target, installed)}, or pass --linux PATH and --build DIR",
                MissingPackages(target, installed));
        }
        string subject = $"{request.SupportedBy ?? "the port"} supports Linux {string.Join(", ", request.Supported)}, and";
        string have = complete.Count == 0 ? $"no kernel is installed{where}" : $"the installed ones{where} are {installed.DescribeComplete()}";
        var newest = wanted.Max();
        if (request.Kernel is not null)
            throw new ImportException($"Linux {newest} is not installed{where} (installed: {installed.DescribeComplete()}): {Missing(newest, installed)}",
                MissingPackages(newest, installed));
        // A port that supports Debian's own kernel is best served by it: its headers need no kernel image.
        var install = complete.Count == 0 && wanted.Any(w => w.SameSeries(DebianPackages.DistributionSeries)) ? DebianPackages.DistributionSeries : newest;
        throw new ImportException($"{subject} {have}: {Missing(install, installed)}", MissingPackages(install, installed));
    }

    /// <summary>"install linux-source-6.12 and linux-headers-6.12-amd64", or the problem of a half-installed build directory.</summary>
    private static string Missing(KernelVersion series, InstalledKernels installed)
    {
        bool source = installed.SourceFor(series) is not null, build = installed.BuildFor(series) is not null;
        if (!build && installed.ProblemFor(series) is { } problem)
            return source ? problem : $"install {DebianPackages.Source(series)}; and {problem}";
        return "install " + string.Join(" and ", MissingPackages(series, installed));
    }

    /// <summary>The packages that would complete <paramref name="series"/>: none when a half-installed build directory
    /// is in the way (installing again would not repair it; its problem says what to do).</summary>
    private static List<string> MissingPackages(KernelVersion series, InstalledKernels installed)
    {
        bool source = installed.SourceFor(series) is not null, build = installed.BuildFor(series) is not null;
        if (!build && installed.ProblemFor(series) is not null)
            return [];
        var packages = new List<string>();
        if (!source)
            packages.Add(DebianPackages.Source(series));
        if (!build)
            packages.Add(DebianPackages.Headers(series));
        return packages;
    }

    private static KernelVersion TreeVersion(KernelTree tree) =>
        tree.Version ?? throw new ImportException($"cannot tell which Linux version {tree.Location} is (its Makefile sets no VERSION and PATCHLEVEL), so no build directory can be paired with it");
}
