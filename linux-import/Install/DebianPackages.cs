// SPDX-License-Identifier: MIT
// Managed side. The Debian 12 packages that install a kernel's source tree and configured headers, named
// in messages so that what is missing can be installed with one apt-get line.
namespace LinuxShim.Import.Install;

public static class DebianPackages
{
    /// <summary>Debian 12's own kernel series: its headers (linux-headers-amd64) come without a kernel image.</summary>
    public static readonly KernelVersion DistributionSeries = new(6, 1);

    /// <summary>The source tarball of a series: linux-source-6.12 installs /usr/src/linux-source-6.12.tar.xz.</summary>
    public static string Source(KernelVersion series) => $"linux-source-{series.Series}";

    /// <summary>The headers meta-package of a series (it pulls in linux-headers-ABI-amd64, its -common and
    /// linux-kbuild). Debian 12's own kernel, 6.1, is plain linux-headers-amd64; the others carry the series.</summary>
    public static string Headers(KernelVersion series) =>
        series.SameSeries(DistributionSeries) ? "linux-headers-amd64" : $"linux-headers-{series.Series}-amd64";

    /// <summary>
    /// The package that owns <paramref name="path"/>, read from Debian's layout: the first directory under
    /// usr/src or usr/lib is named after its package (linux-headers-6.12.118+deb12-common,
    /// linux-kbuild-6.12.118+deb12). Null when the path is elsewhere.
    /// </summary>
    public static string? Owning(string path)
    {
        var parts = path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 2 < parts.Length; i++)
            if (parts[i] == "usr" && parts[i + 1] is "src" or "lib" && parts[i + 2].StartsWith("linux-", StringComparison.Ordinal))
                return parts[i + 2];
        return null;
    }

    /// <summary>The package a source tarball as Debian installs it comes from: /usr/src/linux-source-6.1.tar.xz is
    /// linux-source-6.1's. Null for a tarball elsewhere or named otherwise.</summary>
    public static string? SourceTarball(string path)
    {
        string full = System.IO.Path.GetFullPath(path), name = System.IO.Path.GetFileName(full);
        if (System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(full)) != "src" || !name.StartsWith("linux-source-", StringComparison.Ordinal)
            || !name.EndsWith(".tar.xz", StringComparison.Ordinal))
            return null;
        string series = name["linux-source-".Length..^".tar.xz".Length];
        return KernelVersion.TryParseSeries(series, out _) ? "linux-source-" + series : null;
    }

    /// <summary>The programs LinuxShim runs and the Debian 12 package of each: Kbuild (make) and the compiler its
    /// headers were configured with (gcc-12), nm (binutils), patch for port patches, xz for source tarballs, dtc for a port's device tree.</summary>
    public static readonly IReadOnlyDictionary<string, string> Programs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["make"] = "make",
        ["gcc-12"] = "gcc-12",
        ["nm"] = "binutils",
        ["patch"] = "patch",
        ["xz"] = "xz-utils",
        ["dtc"] = "device-tree-compiler",
    };

    /// <summary>The package of a program LinuxShim runs, or null for one it does not know.</summary>
    public static string? ForProgram(string program) => Programs.GetValueOrDefault(Path.GetFileName(program));

    /// <summary>The packages of <see cref="Programs"/> not found on $PATH.</summary>
    public static List<string> MissingPrograms(string? path = null) =>
        Programs.Where(p => !OnPath(p.Key, path)).Select(p => p.Value).Distinct().ToList();

    /// <summary>Whether <paramref name="program"/> is found on <paramref name="path"/> (default $PATH).</summary>
    public static bool OnPath(string program, string? path = null) =>
        (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(d => File.Exists(System.IO.Path.Combine(d, program)));
}
