// SPDX-License-Identifier: MIT
// Managed side. A kernel tree given as a release tarball (linux-source-*.tar.xz and the like): extracted once
// into the cache, keyed by the tarball's real path (links followed), size and modification time, so each
// version has its own; reads go to the extracted files.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LinuxShim.Import.Tree;

internal sealed class TarballKernelTree : FileSystemKernelTree
{
    private TarballKernelTree(string location, string extracted) : base(extracted)
    {
        Location = location;
    }

    public override string Kind => "tarball";

    public override string Location { get; }

    public override string? Revision => null;

    public override string? Commit => null;

    public static TarballKernelTree Create(string tarball, string cacheRoot)
    {
        FileInfo info;
        try
        {
            // Keyed by the file itself: a symbolic link to an installed tarball reuses its extraction.
            info = new FileInfo(tarball);
            if (info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
                info = target;
            _ = info.Length; // fails early when the file vanished or cannot be inspected
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read tarball {TreeErrors.Show(tarball)}: {TreeErrors.Reason(e.Message)}", e);
        }
        string key = info.FullName + "\n" + info.Length.ToString(CultureInfo.InvariantCulture) + "\n" +
                     info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);
        string hex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        string extracted = Path.Combine(TreeCache.TreesDirectory(cacheRoot), "tarball-" + hex);
        if (!Directory.Exists(extracted))
            Extract(tarball, extracted);
        var tree = new TarballKernelTree(tarball, extracted);
        tree.EnsureKernelTree();
        return tree;
    }

    private protected override void MaterializeCore(string normalizedPath)
    {
        // Everything was extracted up front.
    }

    /// <summary>Extracts into a temporary sibling and renames it into place only once complete.</summary>
    private static void Extract(string tarball, string extracted)
    {
        string temporary = TreeCache.TemporarySibling(extracted);
        try
        {
            try
            {
                Directory.CreateDirectory(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw TreeErrors.CacheFailure(temporary, e);
            }
            Console.Error.WriteLine($"linuxshim: extracting {tarball} (once) ...");
            TarRunner.Extract(tarball, temporary);
            if (!File.Exists(Path.Combine(temporary, "Makefile")) || !Directory.Exists(Path.Combine(temporary, "include", "linux")))
                throw new ImportException($"tarball {TreeErrors.Show(tarball)} is not a kernel tree (no Makefile and include/linux inside its top-level folder)");
            try
            {
                Directory.Move(temporary, extracted);
            }
            catch (IOException) when (Directory.Exists(extracted))
            {
                // Another process finished the same extraction first; use its copy.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw TreeErrors.CacheFailure(extracted, e);
            }
        }
        finally
        {
            TreeCache.DeleteQuietly(temporary);
        }
    }
}
