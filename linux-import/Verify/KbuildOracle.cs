// SPDX-License-Identifier: MIT
// Managed side. The kernel's own answer to "what does this module import": builds a copy of a driver
// directory as an external module with Kbuild (make -C BUILD M=copy modules) and reads nm -u of each .ko.
using System.Diagnostics;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Verify;

public static class KbuildOracle
{
    /// <summary>Inserted by the compiler or the module build itself, not asked for by the source.</summary>
    public static bool IsCompilerInserted(string symbol) =>
        symbol is "__fentry__" or "__stack_chk_fail" or "__x86_return_thunk" or "__this_module"
        || symbol.StartsWith("__x86_indirect_thunk_", StringComparison.Ordinal);

    /// <summary>Module name → undefined symbols of its .ko (compiler-inserted ones left out).</summary>
    public static Dictionary<string, SortedSet<string>> Build(KernelTree tree, string buildDir, string directory, string workDir, int jobs = 0)
    {
        string dir = KernelTree.NormalizePath(directory);
        string copy = Path.Combine(workDir, dir.Replace('/', '_'));
        if (Directory.Exists(copy))
            Directory.Delete(copy, recursive: true);
        Copy(tree, dir, copy);
        Run("make", ["-C", buildDir, "M=" + copy, "modules", "-j" + (jobs > 0 ? jobs : Environment.ProcessorCount)], copy);
        var result = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var ko in Directory.GetFiles(copy, "*.ko", SearchOption.AllDirectories))
        {
            var symbols = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var line in Run("nm", ["-u", ko], copy).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string name = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
                if (!IsCompilerInserted(name))
                    symbols.Add(name);
            }
            result[Path.GetFileNameWithoutExtension(ko)] = symbols;
        }
        return result;
    }

    private static void Copy(KernelTree tree, string dir, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in tree.ListDirectory(dir))
        {
            if (entry.EndsWith('/'))
                Copy(tree, dir + "/" + entry.TrimEnd('/'), Path.Combine(target, entry.TrimEnd('/')));
            else
                File.WriteAllBytes(Path.Combine(target, entry), tree.ReadFile(dir + "/" + entry));
        }
    }

    private static string Run(string program, string[] args, string workDir)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new ImportException($"cannot run {program}");
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            string last = string.Join(" | ", err.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
            throw new ImportException($"{program} {string.Join(' ', args.Take(4))} failed (exit {p.ExitCode}): {last}");
        }
        return output;
    }
}
