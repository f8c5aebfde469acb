// SPDX-License-Identifier: MIT
// Test helper. Walks a whole kernel tree through its public API and records every listing, blob id and
// file content, so that different kinds of tree can be compared entry for entry.
using System.Text;
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Tests.Tree;

internal static class TreeSnapshot
{
    public static SortedDictionary<string, string> Take(KernelTree tree)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(tree, "", result);
        return result;
    }

    private static void Walk(KernelTree tree, string directory, SortedDictionary<string, string> result)
    {
        IReadOnlyList<string> names = tree.ListDirectory(directory);
        result[directory + "/"] = string.Join(",", names);
        foreach (string name in names)
        {
            string path = directory.Length == 0 ? name.TrimEnd('/') : directory + "/" + name.TrimEnd('/');
            if (name.EndsWith('/'))
            {
                Walk(tree, path, result);
                continue;
            }
            string content = tree.FileExists(path) ? Encoding.UTF8.GetString(tree.ReadFile(path)) : "<no file>";
            result[path] = tree.BlobId(path) + " " + content;
        }
    }
}
