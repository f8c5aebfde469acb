// SPDX-License-Identifier: MIT
// Managed side. A Linux version (6.12, 6.12.118) as ports, package names, kernel releases and the
// top-level Makefile spell it, compared exactly by major.minor: 6.12 is not a 6.1.
using System.Globalization;
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Install;

/// <summary>Linux MAJOR.MINOR[.PATCH]. Two versions are of the same series when major and minor are equal.</summary>
public readonly partial record struct KernelVersion(int Major, int Minor, int? Patch = null) : IComparable<KernelVersion>
{
    /// <summary>MAJOR.MINOR, the version a port names and Debian's linux-source-X.Y package carries.</summary>
    public KernelVersion Series => new(Major, Minor);

    public bool SameSeries(KernelVersion other) => Major == other.Major && Minor == other.Minor;

    public override string ToString() =>
        Patch is { } p ? $"{Major}.{Minor}.{p}" : $"{Major}.{Minor}";

    /// <summary>Orders by major, minor, then patch level (a version without one first).</summary>
    public int CompareTo(KernelVersion other)
    {
        int c = Major.CompareTo(other.Major);
        if (c == 0)
            c = Minor.CompareTo(other.Minor);
        if (c == 0)
            c = (Patch ?? -1).CompareTo(other.Patch ?? -1);
        return c;
    }

    public static bool operator <(KernelVersion a, KernelVersion b) => a.CompareTo(b) < 0;
    public static bool operator >(KernelVersion a, KernelVersion b) => a.CompareTo(b) > 0;
    public static bool operator <=(KernelVersion a, KernelVersion b) => a.CompareTo(b) <= 0;
    public static bool operator >=(KernelVersion a, KernelVersion b) => a.CompareTo(b) >= 0;

    /// <summary>Exactly MAJOR.MINOR ("6.1", "6.12"): what a port's <c>kernel =</c> line and --kernel take.</summary>
    public static bool TryParseSeries(string text, out KernelVersion version)
    {
        var m = SeriesRegex().Match(text.Trim());
        version = m.Success ? new KernelVersion(Number(m.Groups[1]), Number(m.Groups[2])) : default;
        return m.Success;
    }

    /// <summary>The version a kernel release or package name starts with: "6.12.118+deb12-amd64" is 6.12.118,
    /// "6.1.0-57-amd64" is 6.1.0, "6.12" is 6.12. False when the text does not start with MAJOR.MINOR.</summary>
    public static bool TryParseRelease(string text, out KernelVersion version)
    {
        var m = ReleaseRegex().Match(text.Trim());
        version = m.Success
            ? new KernelVersion(Number(m.Groups[1]), Number(m.Groups[2]), m.Groups[3].Success ? Number(m.Groups[3]) : null)
            : default;
        return m.Success;
    }

    /// <summary>The version a kernel's top-level Makefile declares (VERSION, PATCHLEVEL, SUBLEVEL); null when it declares none.</summary>
    public static KernelVersion? FromMakefile(string makefile)
    {
        int? major = null, minor = null, patch = null;
        foreach (Match m in MakefileVariableRegex().Matches(makefile))
        {
            if (!int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                continue;
            switch (m.Groups[1].Value)
            {
                case "VERSION": major ??= n; break;
                case "PATCHLEVEL": minor ??= n; break;
                case "SUBLEVEL": patch ??= n; break;
            }
        }
        return major is { } a && minor is { } b ? new KernelVersion(a, b, patch) : null;
    }

    private static int Number(Group g) => int.Parse(g.Value, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\d{1,4})\.(\d{1,4})$")]
    private static partial Regex SeriesRegex();

    [GeneratedRegex(@"^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?![\d.])")]
    private static partial Regex ReleaseRegex();

    [GeneratedRegex(@"^(VERSION|PATCHLEVEL|SUBLEVEL)[ \t]*:?=[ \t]*(\d+)[ \t]*$", RegexOptions.Multiline)]
    private static partial Regex MakefileVariableRegex();
}
