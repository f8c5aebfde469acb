// SPDX-License-Identifier: MIT
// Managed side. Where the repository's ports/ folder is: looked for from the working directory and from
// the tool's own location upwards, so commands work from anywhere in a checkout.
using LinuxShim.Import.Port;

namespace LinuxShim.Tools;

public static class PortFolders
{
    /// <summary>The ports/ folder of the checkout, or null when neither place is inside one.</summary>
    public static string? Root()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "ports");
                if (Directory.Exists(candidate) && Directory.EnumerateFiles(candidate, PortRecipe.FileName, SearchOption.AllDirectories).Any())
                    return candidate;
            }
        return null;
    }

    /// <summary>ports/NAME, or UsageException when there is none.</summary>
    public static string Find(string name) =>
        Root() is { } root && File.Exists(Path.Combine(root, name, PortRecipe.FileName))
            ? Path.Combine(root, name)
            : throw new UsageException($"cannot find ports/{name}; run from the repository or give --port");

    /// <summary>Every port recipe of the checkout, by name (none outside a checkout).</summary>
    public static List<PortRecipe> All() =>
        Root() is { } root
            ? Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, PortRecipe.FileName)))
                .Order(StringComparer.Ordinal).Select(PortRecipe.Load).ToList()
            : [];
}
