// SPDX-License-Identifier: MIT
// Managed side. The MODULE_LICENSE strings the kernel deems GPL-compatible: read from the tree's own
// include/linux/license.h (license_is_gpl_compatible's strcmp list), so the answer follows the tree.
using System.Text.RegularExpressions;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Licence;

public static partial class ModuleLicenseStrings
{
    public const string Header = "include/linux/license.h";

    /// <summary>The strings <c>license_is_gpl_compatible()</c> of <paramref name="tree"/> accepts.</summary>
    public static IReadOnlySet<string> GplCompatible(KernelTree tree)
    {
        if (!tree.FileExists(Header))
            throw new ImportException($"{tree.Location} has no {Header}: cannot tell which MODULE_LICENSE strings are GPL-compatible");
        return Parse(tree.ReadText(Header), $"{tree.Location}/{Header}");
    }

    public static IReadOnlySet<string> Parse(string text, string source)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in Compare().Matches(text))
            set.Add(m.Groups[1].Value);
        if (set.Count == 0)
            throw new ImportException($"{source}: found no strcmp(license, \"...\") in license_is_gpl_compatible()");
        return set;
    }

    [GeneratedRegex("""strcmp\s*\(\s*license\s*,\s*"([^"]*)"\s*\)""")]
    private static partial Regex Compare();
}
