// SPDX-License-Identifier: MIT
// Managed side. "linuxshim commands DIR": the compile_commands.json of the sources scan would
// parse, with the arguments it would give libclang (usable by clang, clangd, clang-tidy).
using System.Text.Json;
using LinuxShim.Import;

namespace LinuxShim.Tools;

public static class CommandsCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        string dir = cl.Single("a directory of the kernel tree");
        string json = cl.Get("json") ?? "-";
        if (json != "-")
            ScanCommand.CheckWritable(json);
        using var importer = KernelOptions.Open(cl, stderr);
        var commands = importer.CompileCommands(ScanCommand.ToTreePath(dir, importer));
        var entries = commands.Select(c => new Dictionary<string, object>
        {
            ["directory"] = importer.Tree.SourceRoot,
            ["file"] = c.File,
            ["arguments"] = new[] { "clang", "-fsyntax-only" }.Concat(c.Arguments).Append(c.File).ToArray(),
        });
        string text = JsonSerializer.Serialize(entries, new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (json == "-")
            stdout.Write(text);
        else
            ScanCommand.WriteAtomically(json, text);
        return Cli.ExitOk;
    }
}
