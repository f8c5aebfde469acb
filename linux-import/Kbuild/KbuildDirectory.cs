// SPDX-License-Identifier: MIT
// What one Kbuild directory builds: modules, built-in objects, subdirectories and compiler flags.
namespace LinuxShim.Import.Kbuild;

/// <summary>
/// The result of reading one directory's Kbuild or Makefile. All paths are tree-relative;
/// include paths in flags use <see cref="KbuildReader.SrcTree"/> as placeholder for the tree root.
/// </summary>
public sealed class KbuildDirectory
{
    /// <summary>Tree-relative directory ("" for the tree root).</summary>
    public required string Path { get; init; }

    /// <summary>Tree-relative path of the file that was read (…/Kbuild or …/Makefile).</summary>
    public required string MakefilePath { get; init; }

    /// <summary>Modules built here (obj-m after expansion, minus anything also in obj-y); empty, with a warning,
    /// when the directory is reached only through subdir-y/subdir-m, as Kbuild then builds no modules in it.</summary>
    public required IReadOnlyList<KbuildModule> Modules { get; init; }

    /// <summary>Objects linked into the kernel (obj-y, not expanded), for information.</summary>
    public required IReadOnlyList<string> BuiltInObjects { get; init; }

    /// <summary>Subdirectories Kbuild descends into (obj-y/obj-m "dir/" entries, subdir-y, subdir-m), sorted.</summary>
    public required IReadOnlyList<string> Subdirectories { get; init; }

    /// <summary>The subdirectories read, when reading recursively; otherwise empty.</summary>
    public required IReadOnlyList<KbuildDirectory> Children { get; init; }

    /// <summary>C flags for every object here: inherited and own subdir-ccflags-y, then ccflags-y (minus ccflags-remove-y).</summary>
    public required IReadOnlyList<string> CFlags { get; init; }

    /// <summary>Assembler flags: inherited and own subdir-asflags-y, then asflags-y (minus asflags-remove-y).</summary>
    public required IReadOnlyList<string> AsFlags { get; init; }

    /// <summary>C flags passed down to subdirectories (inherited plus this directory's subdir-ccflags-y).</summary>
    public required IReadOnlyList<string> SubdirCFlags { get; init; }

    /// <summary>Assembler flags passed down to subdirectories.</summary>
    public required IReadOnlyList<string> SubdirAsFlags { get; init; }

    /// <summary>CFLAGS_foo.o, keyed by the tree-relative object path.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> ObjectCFlags { get; init; }

    /// <summary>CFLAGS_REMOVE_foo.o, keyed by the tree-relative object path.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> ObjectCFlagsRemove { get; init; }

    /// <summary>AFLAGS_foo.o, keyed by the tree-relative object path.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> ObjectAsFlags { get; init; }

    /// <summary>Things this directory's Makefile used that are not modelled (file:line: message).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>This directory and every directory read below it, depth first.</summary>
    public IEnumerable<KbuildDirectory> SelfAndDescendants()
    {
        yield return this;
        foreach (var child in Children)
        {
            foreach (var d in child.SelfAndDescendants())
                yield return d;
        }
    }

    /// <summary>The modules of this directory and of every directory read below it.</summary>
    public IEnumerable<KbuildModule> AllModules() => SelfAndDescendants().SelectMany(d => d.Modules);

    /// <summary>The warnings of this directory and of every directory read below it.</summary>
    public IEnumerable<string> AllWarnings() => SelfAndDescendants().SelectMany(d => d.Warnings);

    /// <summary>The C flags Kbuild uses for one object of this directory: CFlags minus CFLAGS_REMOVE_obj, then CFLAGS_obj.</summary>
    public IReadOnlyList<string> CFlagsFor(string objectPath)
    {
        IEnumerable<string> flags = CFlags;
        if (ObjectCFlagsRemove.TryGetValue(objectPath, out var remove))
            flags = flags.Where(f => !remove.Any(p => MakeWords.Matches(p, f)));
        return flags.Concat(ObjectCFlags.GetValueOrDefault(objectPath) ?? []).ToList();
    }
}
