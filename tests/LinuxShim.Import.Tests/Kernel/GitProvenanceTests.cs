// SPDX-License-Identifier: MIT
// A kernel tree given as a git repository: made at test time from files of the Debian tarball in
// two commits, read at either revision without a checkout, with commit and blob ids as provenance.
using LibGit2Sharp;

namespace LinuxShim.Import.Tests.Kernel;

[Collection(KernelCollection.Name)]
public class GitProvenanceTests(KernelFixture kernel)
{
    private const string Driver = "drivers/net/ethernet/realtek/8139too.c";

    // Added by the second commit: a new exported function that needs one more kernel symbol.
    private const string Addition = "\nvoid linuxshim_test_hook(struct net_device *dev);\nvoid linuxshim_test_hook(struct net_device *dev) { netif_carrier_off(dev); }\n";

    [Fact]
    public void ScansEachRevisionWithItsOwnCommitAndBlobIds()
    {
        string dir = Path.Combine(Path.GetTempPath(), "linuxshim-git-" + Guid.NewGuid().ToString("N"));
        string cache = Path.Combine(dir, "cache");
        string repoPath = Path.Combine(dir, "linux.git");
        try
        {
            Repository.Init(repoPath, isBare: true);
            string first, second;
            using (var repo = new Repository(repoPath))
            {
                var tree = new TreeDefinition();
                AddFile(repo, tree, "Makefile");
                foreach (var sub in new[] { "include", "arch/x86/include", "drivers/net/ethernet/realtek" })
                    AddDirectory(repo, tree, sub);
                first = Commit(repo, tree, "import from linux-source-6.1", null).Sha;
                var changed = File.ReadAllText(Path.Combine(kernel.SourceRoot, Driver)) + Addition;
                tree.Add(Driver, repo.ObjectDatabase.CreateBlob(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(changed))), Mode.NonExecutableFile);
                second = Commit(repo, tree, "8139too: add a hook", repo.Lookup<LibGit2Sharp.Commit>(first)).Sha;
                repo.Refs.UpdateTarget("HEAD", "refs/heads/main");
                repo.Refs.Add("refs/heads/main", second, allowOverwrite: true);
            }

            var (old, oldScan) = ScanRealtek(repoPath + "@" + first, cache);
            var (current, currentScan) = ScanRealtek(repoPath, cache);
            // The neighbouring revision re-parses only the file that changed.
            Assert.Equal(5, oldScan.Parsed + oldScan.Cached);
            Assert.Equal((1, 4), currentScan);

            Assert.Equal(("git", first), (old.Kernel.Source, old.Kernel.Commit));
            Assert.Equal(second, current.Kernel.Commit);
            var oldModule = old.Modules.Single(m => m.Name == "8139too");
            var newModule = current.Modules.Single(m => m.Name == "8139too");
            using (var repo = new Repository(repoPath))
            {
                Assert.Equal(repo.Lookup<LibGit2Sharp.Commit>(first)[Driver].Target.Sha, oldModule.Sources.Single(s => s.Path == Driver).Blob);
                Assert.Equal(repo.Lookup<LibGit2Sharp.Commit>(second)[Driver].Target.Sha, newModule.Sources.Single(s => s.Path == Driver).Blob);
            }
            Assert.NotEqual(oldModule.Sources[0].Blob, newModule.Sources[0].Blob);
            // The older revision is read as it was: the symbol the second commit needs is absent there.
            Assert.DoesNotContain(oldModule.Requires, r => r.Symbol == "netif_carrier_off");
            var added = Assert.Single(newModule.Requires, r => r.Symbol == "netif_carrier_off");
            Assert.Equal("linuxshim_test_hook", added.From);
            Assert.Equal(oldModule.Requires.Count + 1, newModule.Requires.Count);
            // Unchanged files keep their blob ids across revisions.
            Assert.Equal(old.Modules.Single(m => m.Name == "r8169").Sources, current.Modules.Single(m => m.Name == "r8169").Sources);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                    File.SetAttributes(f, FileAttributes.Normal);
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private (Model.ImportModel, (int Parsed, int Cached)) ScanRealtek(string linux, string cache)
    {
        using var importer = Importer.Open(linux, kernel.Build, cache);
        var model = importer.Scan("drivers/net/ethernet/realtek");
        return (model, importer.LastScan);
    }

    private void AddFile(Repository repo, TreeDefinition tree, string path)
    {
        using var stream = File.OpenRead(Path.Combine(kernel.SourceRoot, path));
        tree.Add(path, repo.ObjectDatabase.CreateBlob(stream), Mode.NonExecutableFile);
    }

    private void AddDirectory(Repository repo, TreeDefinition tree, string path)
    {
        string root = Path.Combine(kernel.SourceRoot, path);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            if (new FileInfo(file).LinkTarget is not null)
                continue;
            AddFile(repo, tree, Path.GetRelativePath(kernel.SourceRoot, file).Replace('\\', '/'));
        }
    }

    private static LibGit2Sharp.Commit Commit(Repository repo, TreeDefinition tree, string message, LibGit2Sharp.Commit? parent)
    {
        var signature = new Signature("LinuxShim tests", "tests@linuxshim.invalid", DateTimeOffset.UnixEpoch);
        return repo.ObjectDatabase.CreateCommit(signature, signature, message, repo.ObjectDatabase.CreateTree(tree),
            parent is null ? [] : [parent], prettifyMessage: false);
    }
}
