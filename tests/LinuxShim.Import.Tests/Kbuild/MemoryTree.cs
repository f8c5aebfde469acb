// SPDX-License-Identifier: MIT
// An in-memory kernel tree (path -> text) that feeds KbuildReader in tests.
using LinuxShim.Import.Kbuild;

namespace LinuxShim.Import.Tests.Kbuild;

/// <summary>Files by tree-relative path; a directory exists when some file lies below it.</summary>
internal sealed class MemoryTree
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    public List<string> Reads { get; } = [];

    public MemoryTree Add(string path, string text)
    {
        _files[path] = text;
        return this;
    }

    /// <summary>Adds empty source files.</summary>
    public MemoryTree Sources(params string[] paths)
    {
        foreach (string p in paths)
            _files[p] = "/* source */\n";
        return this;
    }

    public string? Read(string path)
    {
        Reads.Add(path);
        return _files.GetValueOrDefault(path);
    }

    public bool DirectoryExists(string dir) =>
        dir.Length == 0 ? _files.Count > 0 : _files.Keys.Any(k => k.StartsWith(dir + "/", StringComparison.Ordinal));

    public KbuildReader Reader(string autoConf) =>
        new(KernelConfig.Parse(autoConf, "test auto.conf"), Read, DirectoryExists);
}
