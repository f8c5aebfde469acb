// SPDX-License-Identifier: MIT
// Managed side. The copy of one driver directory that Kbuild builds as an external module: laid out at its
// place in the tree, with the headers of the enclosing directories, and Makefiles that name the source tree
// ($(srctree)/$(src), -I$(srctree)/drivers/…) pointed at the copy; nested directories are built in their own turn.
using System.Text.RegularExpressions;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Verify;

internal static partial class ExternalModuleCopy
{
    /// <summary>Copies <paramref name="dir"/> under <paramref name="mirror"/> and returns the copy's path (M=).</summary>
    public static string Prepare(KernelTree tree, string dir, string mirror, IReadOnlyCollection<string>? onlyModules)
    {
        string copy = Path.Combine(mirror, dir);
        Copy(tree, dir, copy, recursive: true);
        // Sources include "../input-compat.h" (drivers/input/misc/uinput.c) or "../host/ohci.h"
        // (drivers/usb/misc/ftdi-elan.c): the enclosing directories' headers, and those of each directory
        // an include reaches.
        foreach (var header in AncestorHeaders(tree, dir))
            Write(tree, header, Path.Combine(mirror, header));
        foreach (var reached in ReachedDirectories(tree, dir))
            Copy(tree, reached, Path.Combine(mirror, reached), recursive: false, headersOnly: true);
        foreach (var nested in Directory.GetDirectories(copy, "*", SearchOption.AllDirectories))
            foreach (var name in new[] { "Makefile", "Kbuild" })
                if (File.Exists(Path.Combine(nested, name)))
                    File.WriteAllText(Path.Combine(nested, name), "");
        foreach (var name in new[] { "Kbuild", "Makefile" })
        {
            string makefile = Path.Combine(copy, name);
            if (!File.Exists(makefile))
                continue;
            string text = RedirectSourceTree(tree, File.ReadAllText(makefile), mirror);
            // The build directory's include/trace/events/bridge.h includes "../../../net/bridge/br_private.h",
            // which is not there; searched from an include directory three levels below the mirror, that
            // path is the copy's own header.
            text += $"\nccflags-y += -I{TraceEventsDirectory(mirror)}\n";
            // Kbuild reads Kbuild before Makefile: the filter goes into the file it reads.
            if (onlyModules is not null && (name == "Kbuild" || !File.Exists(Path.Combine(copy, "Kbuild"))))
                text += $"\nobj-m := {string.Join(' ', onlyModules.Select(m => m + ".o"))}\nobj-y :=\n";
            File.WriteAllText(makefile, text);
        }
        return copy;
    }

    /// <summary>An empty include/trace/events under the mirror, for headers of the build directory that include
    /// "../../../DIR/x.h" relative to themselves.</summary>
    private static string TraceEventsDirectory(string mirror)
    {
        string dir = Path.Combine(mirror, "include", "trace", "events");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Headers directly in the directories that enclose <paramref name="dir"/> (drivers/input, drivers).</summary>
    public static IEnumerable<string> AncestorHeaders(KernelTree tree, string dir)
    {
        for (int slash = dir.LastIndexOf('/'); slash > 0; slash = dir.LastIndexOf('/', slash - 1))
        {
            string parent = dir[..slash];
            foreach (var entry in tree.ListDirectory(parent))
                if (entry.EndsWith(".h", StringComparison.Ordinal))
                    yield return parent + "/" + entry;
        }
    }

    /// <summary>Directories of the tree the directory's files include headers from by relative paths ("../host/ohci.h"),
    /// and those the headers found there include in turn (sound/soc/amd's ../sof/amd/acp.h includes ../sof-priv.h).</summary>
    public static SortedSet<string> ReachedDirectories(KernelTree tree, string dir)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>(DirectlyReached(tree, dir));
        while (pending.Count > 0 && found.Count < MaxReachedDirectories)
        {
            string next = pending.Dequeue();
            if (next == dir || !found.Add(next))
                continue;
            foreach (var further in DirectlyReached(tree, next))
                pending.Enqueue(further);
        }
        return found;
    }

    /// <summary>How many directories the relative includes of one directory may pull in (a bound on the walk).</summary>
    private const int MaxReachedDirectories = 64;

    private static SortedSet<string> DirectlyReached(KernelTree tree, string dir)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var entry in tree.ListDirectory(dir))
        {
            if (!entry.EndsWith(".c", StringComparison.Ordinal) && !entry.EndsWith(".h", StringComparison.Ordinal))
                continue;
            foreach (Match m in RelativeInclude().Matches(tree.ReadText(dir + "/" + entry)))
            {
                string path;
                try
                {
                    path = KernelTree.NormalizePath(dir + "/" + m.Groups[1].Value);
                }
                catch (ImportException)
                {
                    continue; // leaves the tree
                }
                int slash = path.LastIndexOf('/');
                if (slash > 0 && tree.FileExists(path))
                    found.Add(path[..slash]);
            }
        }
        return found;
    }

    [GeneratedRegex(@"#\s*include\s+""(\.\./[^""]+)""")]
    private static partial Regex RelativeInclude();

    /// <summary>True when a file of the directory includes a header by a path that leaves it ("../…").</summary>
    public static bool ReachesAbove(KernelTree tree, string dir)
    {
        foreach (var entry in tree.ListDirectory(dir))
        {
            if (!entry.EndsWith(".c", StringComparison.Ordinal) && !entry.EndsWith(".h", StringComparison.Ordinal))
                continue;
            if (tree.ReadText(dir + "/" + entry).Contains("#include \"../", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>
    /// An external module's $(src) is its own directory and $(srctree) the build directory, which has no
    /// drivers/: "$(srctree)/$(src)" becomes "$(src)", and "$(srctree)/drivers/x" the copy of drivers/x's headers.
    /// </summary>
    private static string RedirectSourceTree(KernelTree tree, string text, string mirror)
    {
        text = text.Replace("$(srctree)/$(src)", "$(src)", StringComparison.Ordinal)
                   .Replace("$(srctree)/$(obj)", "$(src)", StringComparison.Ordinal);
        return SourceTreePath().Replace(text, m =>
        {
            string path = m.Groups[1].Value.TrimEnd('/');
            if (!tree.DirectoryExists(path))
                return m.Value;
            Copy(tree, path, Path.Combine(mirror, path), recursive: false, headersOnly: true);
            return mirror + "/" + m.Groups[1].Value;
        });
    }

    // Paths below the tree's own code; include/, arch/, scripts/ and tools/ are in the build directory.
    [GeneratedRegex(@"\$\(srctree\)/((?:drivers|sound|net|fs|lib|kernel|mm|crypto|block|security|virt|samples)/[A-Za-z0-9_./+-]*)")]
    private static partial Regex SourceTreePath();

    private static void Copy(KernelTree tree, string dir, string target, bool recursive, bool headersOnly = false)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in tree.ListDirectory(dir))
        {
            if (entry.EndsWith('/'))
            {
                if (recursive)
                    Copy(tree, dir + "/" + entry.TrimEnd('/'), Path.Combine(target, entry.TrimEnd('/')), recursive, headersOnly);
            }
            else if (!headersOnly || entry.EndsWith(".h", StringComparison.Ordinal))
                Write(tree, dir + "/" + entry, Path.Combine(target, entry));
        }
    }

    private static void Write(KernelTree tree, string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllBytes(target, tree.ReadFile(path));
    }
}
