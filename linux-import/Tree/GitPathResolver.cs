// SPDX-License-Identifier: MIT
// Managed side. Walks a path through a git tree object the way a file system would, following symbolic
// links (mode 120000) relative to their directory and refusing any that leave the tree.
using System.Text;
using LibGit2Sharp;
using GitTree = LibGit2Sharp.Tree;

namespace LinuxShim.Import.Tree;

internal static class GitPathResolver
{
    private const int MaxLinks = 40;

    /// <summary>What a path names: <see cref="Target"/> is a Blob, a Tree or (for submodules) a GitLink;
    /// <see cref="Path"/> is the canonical path reached, <see cref="Mode"/> its entry mode (null for the root),
    /// and <see cref="Links"/> the symbolic links passed on the way (path, target text).</summary>
    internal sealed record Result(GitObject Target, string Path, Mode? Mode, IReadOnlyList<(string Path, string Target)> Links);

    /// <summary>Resolves a normalized path; null when it does not exist (or a link leads outside the tree).
    /// With <paramref name="followLast"/> false a symbolic link at the end is returned itself.
    /// <paramref name="guard"/> sees every object id before libgit2 reads that object.</summary>
    public static Result? Resolve(GitTree root, string normalizedPath, bool followLast, Action<ObjectId> guard)
    {
        var pending = new Stack<string>();
        Push(pending, normalizedPath);
        var chain = new List<(string Name, GitTree Tree)>();
        var links = new List<(string Path, string Target)>();
        GitTree current = root;
        int hops = 0;
        while (pending.Count > 0)
        {
            string name = pending.Pop();
            if (name == "..")
            {
                if (chain.Count == 0)
                    return null;
                chain.RemoveAt(chain.Count - 1);
                current = chain.Count == 0 ? root : chain[^1].Tree;
                continue;
            }
            guard(current.Id);
            TreeEntry? entry = current[name];
            if (entry is null)
                return null;
            bool last = pending.Count == 0;
            string here = Join(chain, name);
            if (entry.Mode == Mode.SymbolicLink && (!last || followLast))
            {
                if (++hops > MaxLinks || entry.Target is not Blob linkBlob)
                    return null;
                guard(linkBlob.Id);
                string target = Encoding.UTF8.GetString(ReadBytes(linkBlob));
                links.Add((here, target));
                if (target.StartsWith('/'))
                    return null;
                Push(pending, target);
                continue;
            }
            if (last)
                return new Result(entry.Target, here, entry.Mode, links);
            if (entry.Target is not GitTree subtree)
                return null;
            current = subtree;
            chain.Add((name, subtree));
        }
        string path = string.Join('/', chain.Select(c => c.Name));
        return new Result(current, path, chain.Count == 0 ? null : Mode.Directory, links);
    }

    /// <summary>The raw content of a blob (the caller checks it with the guard first).</summary>
    public static byte[] ReadBytes(Blob blob)
    {
        using Stream stream = blob.GetContentStream();
        var buffer = new MemoryStream(checked((int)Math.Max(0, blob.Size)));
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static void Push(Stack<string> pending, string path)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            if (parts[i] != ".")
                pending.Push(parts[i]);
        }
    }

    private static string Join(List<(string Name, GitTree Tree)> chain, string name) =>
        chain.Count == 0 ? name : string.Join('/', chain.Select(c => c.Name)) + "/" + name;
}
