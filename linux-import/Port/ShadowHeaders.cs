// SPDX-License-Identifier: MIT
// Managed side. Which of the shim's shadow header directories a kernel version is built with: shim/include
// holds the shadows every version takes, shim/include/X.Y those of the kernels from X.Y on (until a newer
// X.Y directory), searched first. A header is shadowed in the versioned directories or in the shared one,
// never both, so a versioned shadow's #include_next reaches the kernel's own header.
using LinuxShim.Import.Install;

namespace LinuxShim.Import.Port;

public static class ShadowHeaders
{
    /// <summary>The -I directories for <paramref name="version"/>, in search order: its versioned directory
    /// (the newest X.Y at or below it), then <paramref name="includeRoot"/>.</summary>
    public static IReadOnlyList<string> For(string includeRoot, KernelVersion version)
    {
        var versioned = Versions(includeRoot).Where(v => v.Version.Series <= version.Series).ToList();
        return versioned.Count == 0 ? [includeRoot] : [versioned[^1].Directory, includeRoot];
    }

    /// <summary>
    /// Whether a shadow header at <paramref name="pathUnderInclude"/> ("asm/io.h", "6.12/asm/current.h") is one a
    /// build for <paramref name="version"/> uses, given every shadow path there is (<paramref name="all"/>).
    /// </summary>
    public static bool IsUsed(string pathUnderInclude, IEnumerable<string> all, KernelVersion version)
    {
        if (!Versioned(pathUnderInclude, out var own))
            return true;
        var chosen = all.Select(p => Versioned(p, out var v) ? v : (KernelVersion?)null).OfType<KernelVersion>()
            .Where(v => v <= version.Series).DefaultIfEmpty().Max();
        return own == chosen;
    }

    private static bool Versioned(string pathUnderInclude, out KernelVersion version)
    {
        int slash = pathUnderInclude.IndexOf('/');
        version = default;
        return slash > 0 && KernelVersion.TryParseSeries(pathUnderInclude[..slash], out version);
    }

    /// <summary>The versioned directories under <paramref name="includeRoot"/>, oldest first.</summary>
    public static IReadOnlyList<(KernelVersion Version, string Directory)> Versions(string includeRoot) =>
        Directory.Exists(includeRoot)
            ? Directory.GetDirectories(includeRoot)
                .Select(d => (Ok: KernelVersion.TryParseSeries(Path.GetFileName(d), out var v), Version: v, Directory: d))
                .Where(x => x.Ok).Select(x => (x.Version, x.Directory)).OrderBy(x => x.Version).ToList()
            : [];
}
