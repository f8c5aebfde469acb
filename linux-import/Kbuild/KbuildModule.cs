// SPDX-License-Identifier: MIT
// One loadable module (=m) a Kbuild directory builds, with the objects and sources it links.
namespace LinuxShim.Import.Kbuild;

/// <summary>
/// A module Kbuild builds as <c>Name.ko</c>.
/// <paramref name="Directory"/>: tree-relative directory of the Kbuild/Makefile that declares it
/// (its flags apply to every object). <paramref name="Objects"/>: tree-relative .o paths in link
/// order; <paramref name="Sources"/>: the matching .c (or .S) files. <paramref name="ConfigSymbol"/>:
/// the CONFIG_ symbol that selected it (from obj-$(CONFIG_X) or an enclosing conditional), if known.
/// </summary>
public sealed record KbuildModule(
    string Name,
    string Directory,
    IReadOnlyList<string> Sources,
    IReadOnlyList<string> Objects,
    string? ConfigSymbol)
{
    /// <summary>Tree-relative path of the module file, e.g. drivers/net/ethernet/realtek/8139too.ko
    /// (differs from Directory/Name.ko when the Makefile names a module in a subdirectory).</summary>
    public string KoPath { get; init; } = "";
}
