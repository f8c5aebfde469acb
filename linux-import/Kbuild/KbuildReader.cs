// SPDX-License-Identifier: MIT
// Reads Kbuild/Makefile files of a kernel tree and works out which modules (=m) are built from which objects.
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Kbuild;

/// <summary>
/// Evaluates a directory's Kbuild (preferred) or Makefile the way Kbuild would for the given
/// configuration, and reports the modules it builds, their objects and sources, the
/// subdirectories it descends into and its compiler flags. The tree is reached only through
/// the delegates, so any tree (a checkout, a git object store, memory) can be read.
/// </summary>
public sealed partial class KbuildReader
{
    /// <summary>Placeholder for the kernel source tree's root in include paths (an in-tree build: objtree = srctree).</summary>
    public const string SrcTree = "{srctree}";

    private static readonly string[] KbuildLists =
    [
        "obj-y", "obj-m", "lib-y", "lib-m", "subdir-y", "subdir-m", "always-y", "always-m", "targets",
        "ccflags-y", "asflags-y", "cppflags-y", "ldflags-y", "subdir-ccflags-y", "subdir-asflags-y",
        "ccflags-remove-y", "asflags-remove-y", "EXTRA_CFLAGS", "EXTRA_AFLAGS", "EXTRA_CPPFLAGS", "EXTRA_LDFLAGS", "empty",
    ];

    private readonly KernelConfig _config;
    private readonly Func<string, string?> _readFile;
    private readonly Func<string, bool> _directoryExists;
    private readonly Dictionary<string, string?> _sources = new(StringComparer.Ordinal);

    /// <param name="config">The configuration CONFIG_* references expand to (unset symbols expand to empty).</param>
    /// <param name="readFile">Tree-relative path (e.g. "drivers/net/Makefile") to its text, or null when missing.</param>
    /// <param name="directoryExists">Tree-relative directory ("" is the root) to whether it exists.</param>
    public KbuildReader(KernelConfig config, Func<string, string?> readFile, Func<string, bool> directoryExists)
    {
        _config = config;
        _readFile = readFile;
        _directoryExists = directoryExists;
    }

    /// <summary>Whether a tree-relative file exists; by default a file exists when readFile returns text.</summary>
    public Func<string, bool>? FileExists { get; init; }

    /// <summary>Value of $(ARCH) and $(SRCARCH) in Makefiles.</summary>
    public string Arch { get; init; } = "x86";

    /// <summary>Reads one directory (tree-relative; "" or "." is the root) and, when <paramref name="recurse"/>, every subdirectory Kbuild descends into.</summary>
    public KbuildDirectory Read(string dir, bool recurse) =>
        ReadDirectory(TreePath.Normalize(dir.Replace('\\', '/')), recurse, [], [], [], buildsModules: true);

    private KbuildDirectory ReadDirectory(string dir, bool recurse, IReadOnlyList<string> inheritedC,
        IReadOnlyList<string> inheritedA, HashSet<string> ancestors, bool buildsModules)
    {
        if (!_directoryExists(dir))
            throw new ImportException($"kernel tree directory {TreePath.Display(dir)} does not exist");
        string makefile = TreePath.Combine(dir, "Kbuild");
        string? text = _readFile(makefile);
        if (text == null)
        {
            makefile = TreePath.Combine(dir, "Makefile");
            text = _readFile(makefile);
        }
        if (text == null)
            throw new ImportException($"{TreePath.Display(dir)} has no Makefile or Kbuild");

        var warnings = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Warn(string w)
        {
            if (seen.Add(w))
                warnings.Add(w);
        }

        var x = new MakeExpander(name => _config[name], Warn);
        Predefine(x, dir);
        var symbols = new Dictionary<string, string>(StringComparer.Ordinal);
        var evaluator = new MakefileEvaluator(x, makefile)
        {
            Track = name => name == "obj-m",
            Assigned = (rawName, _, value, conditionSymbol) =>
            {
                var m = ConfigSymbolRegex().Match(rawName);
                string? symbol = m.Success ? m.Value : conditionSymbol;
                if (symbol == null)
                    return;
                foreach (string w in MakeWords.Split(value))
                    symbols.TryAdd(w, symbol);
            },
        };
        evaluator.Run(text);
        x.Location = makefile;

        var objY = MakeWords.Split(x.ValueOf("obj-y"));
        var builtIn = new HashSet<string>(objY, StringComparer.Ordinal);
        var objM = MakeWords.Split(x.ValueOf("obj-m")).Where(o => !builtIn.Contains(o)).Distinct().ToList();

        var objSubdirs = objY.Concat(objM).Where(o => o.EndsWith('/'))
            .Select(s => TreePath.Combine(dir, s.TrimEnd('/'))).ToHashSet(StringComparer.Ordinal);
        var subdirs = objSubdirs
            .Concat(MakeWords.Split(x.ValueOf("subdir-y") + " " + x.ValueOf("subdir-m")).Select(s => TreePath.Combine(dir, s.TrimEnd('/'))))
            .Distinct().Order(StringComparer.Ordinal).ToList();

        var modules = new List<KbuildModule>();
        foreach (string entry in objM.Where(o => !o.EndsWith('/')))
        {
            if (!entry.EndsWith(".o", StringComparison.Ordinal))
            {
                x.Warn($"obj-m entry '{entry}' is neither an object (.o) nor a directory (/); ignored");
                continue;
            }
            modules.Add(Module(x, dir, entry, symbols.GetValueOrDefault(entry)));
        }
        if (!buildsModules && modules.Count > 0)
        {
            // Kbuild only builds obj-m of directories reached through obj-y/obj-m "dir/" entries.
            x.Warn($"obj-m modules ({string.Join(", ", modules.Select(m => m.Name))}) are not built: the directory is reached only through subdir-y/subdir-m");
            modules.Clear();
        }

        var subdirC = inheritedC.Concat(Flags(x, "subdir-ccflags-y")).ToList();
        var subdirA = inheritedA.Concat(Flags(x, "subdir-asflags-y")).ToList();
        var children = new List<KbuildDirectory>();
        if (recurse)
        {
            var below = new HashSet<string>(ancestors, StringComparer.Ordinal) { dir };
            foreach (string sub in subdirs)
            {
                if (below.Contains(sub))
                    x.Warn($"subdirectory {TreePath.Display(sub)} loops back to a parent; not descended");
                else
                    children.Add(ReadDirectory(sub, recurse, subdirC, subdirA, below, buildsModules && objSubdirs.Contains(sub)));
            }
        }

        return new KbuildDirectory
        {
            Path = dir,
            MakefilePath = makefile,
            Modules = modules,
            BuiltInObjects = objY.Where(o => !o.EndsWith('/')).Select(o => TreePath.Combine(dir, o)).Distinct().ToList(),
            Subdirectories = subdirs,
            Children = children,
            CFlags = Remove(subdirC.Concat(Flags(x, "ccflags-y")).Concat(Flags(x, "EXTRA_CFLAGS")), Flags(x, "ccflags-remove-y")),
            AsFlags = Remove(subdirA.Concat(Flags(x, "asflags-y")).Concat(Flags(x, "EXTRA_AFLAGS")), Flags(x, "asflags-remove-y")),
            SubdirCFlags = subdirC,
            SubdirAsFlags = subdirA,
            ObjectCFlags = PerObject(x, dir, "CFLAGS_", "CFLAGS_REMOVE_"),
            ObjectCFlagsRemove = PerObject(x, dir, "CFLAGS_REMOVE_", null),
            ObjectAsFlags = PerObject(x, dir, "AFLAGS_", "AFLAGS_REMOVE_"),
            Warnings = warnings,
        };
    }

    private void Predefine(MakeExpander x, string dir)
    {
        foreach (string name in KbuildLists)
            x.Set(name, "", recursive: false);
        string obj = dir.Length == 0 ? "." : dir;
        x.Set("src", obj, recursive: false);
        x.Set("obj", obj, recursive: false);
        x.Set("srctree", SrcTree, recursive: false);
        x.Set("objtree", SrcTree, recursive: false);
        x.Set("ARCH", Arch, recursive: false);
        x.Set("SRCARCH", Arch, recursive: false);
        x.Set("comma", ",", recursive: false);
        x.Set("space", " ", recursive: false);
        x.Set("quote", "\"", recursive: false);
        x.Set("squote", "'", recursive: false);
    }

    /// <summary>A module's objects: its composite lists (m-objs, m-y, m-m) or the single m.o.</summary>
    private KbuildModule Module(MakeExpander x, string dir, string entry, string? symbol)
    {
        var objects = new List<string>();
        Expand(x, entry, objects, [entry], top: true);
        var treeObjects = objects.Select(o => TreePath.Combine(dir, o)).Distinct().ToList();
        var sources = treeObjects.Select(o => Source(x, o)).ToList();
        string stem = entry[..^2];
        return new KbuildModule(stem[(stem.LastIndexOf('/') + 1)..], dir, sources, treeObjects, symbol)
        {
            KoPath = TreePath.Combine(dir, stem + ".ko"),
        };
    }

    private void Expand(MakeExpander x, string obj, List<string> into, HashSet<string> visiting, bool top)
    {
        string stem = obj[..^2];
        var parts = MakeWords.Split(x.ValueOf(stem + "-objs") + " " + x.ValueOf(stem + "-y") + " " + x.ValueOf(stem + "-m"));
        // Kbuild: a "stem-" list alone still makes the module composite (with no objects from it).
        bool composite = parts.Length > 0 || (top && x.ValueOf(stem + "-").Trim().Length > 0);
        if (!composite)
        {
            into.Add(obj);
            return;
        }
        foreach (string part in parts)
        {
            if (!part.EndsWith(".o", StringComparison.Ordinal))
            {
                x.Warn($"'{part}' in the object list of {obj} is not an object (.o); ignored");
                continue;
            }
            // Nested composite: a part with its own list and no source of its own is expanded in turn.
            if (part != obj && !visiting.Contains(part) && HasList(x, part[..^2]) && !HasSource(x.Location, part))
            {
                visiting.Add(part);
                Expand(x, part, into, visiting, top: false);
                visiting.Remove(part);
            }
            else
            {
                into.Add(part);
            }
        }
    }

    private static bool HasList(MakeExpander x, string stem) =>
        (x.ValueOf(stem + "-objs") + x.ValueOf(stem + "-y") + x.ValueOf(stem + "-m")).Trim().Length > 0;

    private bool HasSource(string makefile, string relativeObject)
    {
        string dir = makefile[..Math.Max(0, makefile.LastIndexOf('/'))];
        return FindSource(TreePath.Combine(dir, relativeObject)) != null;
    }

    private string? FindSource(string treeObject)
    {
        if (_sources.TryGetValue(treeObject, out var cached))
            return cached;
        string stem = treeObject[..^2];
        string? found = null;
        foreach (string ext in new[] { ".c", ".S" })
        {
            if (Exists(stem + ext))
            {
                found = stem + ext;
                break;
            }
        }
        _sources[treeObject] = found;
        return found;
    }

    private string Source(MakeExpander x, string treeObject)
    {
        if (FindSource(treeObject) is { } s)
            return s;
        x.Warn($"no source file for {treeObject} (neither .c nor .S; generated during the build?); assuming .c");
        return treeObject[..^2] + ".c";
    }

    private bool Exists(string path) => FileExists != null ? FileExists(path) : _readFile(path) != null;

    private static List<string> Flags(MakeExpander x, string variable) =>
        TreePath.Flags(MakeWords.Split(x.ValueOf(variable)), SrcTree);

    private static List<string> Remove(IEnumerable<string> flags, List<string> patterns) =>
        flags.Where(f => !patterns.Any(p => MakeWords.Matches(p, f))).ToList();

    private static Dictionary<string, IReadOnlyList<string>> PerObject(MakeExpander x, string dir, string prefix, string? exclude)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (string name in x.Names.ToList())
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".o", StringComparison.Ordinal)
                || (exclude != null && name.StartsWith(exclude, StringComparison.Ordinal)))
                continue;
            var flags = TreePath.Flags(MakeWords.Split(x.ValueOf(name)), SrcTree);
            if (flags.Count > 0)
                result[TreePath.Combine(dir, name[prefix.Length..])] = flags;
        }
        return result;
    }

    [GeneratedRegex(@"CONFIG_[A-Za-z0-9_]+")]
    private static partial Regex ConfigSymbolRegex();
}
