// SPDX-License-Identifier: MIT
// Managed side. Runs the system `tar` to unpack a tarball, dropping its single top-level folder.
namespace LinuxShim.Import.Tree;

internal static class TarRunner
{
    public static void Extract(string tarball, string destination)
    {
        var (exitCode, _, errors) = ExternalProgram.Run("tar",
            ["-xf", tarball, "-C", destination, "--strip-components=1", "--no-same-owner"], null,
            reason => $"cannot extract tarball {TreeErrors.Show(tarball)}: the tar program could not be run ({TreeErrors.Reason(reason)})");
        if (exitCode != 0)
        {
            string firstLine = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .FirstOrDefault() ?? $"tar exited with status {exitCode}";
            // An installed linux-source-X.Y whose tarball is damaged: the package to reinstall.
            string reinstall = Install.DebianPackages.SourceTarball(tarball) is { } package ? $" (reinstall {package})" : "";
            throw new ImportException($"cannot extract tarball {TreeErrors.Show(tarball)}: {TreeErrors.Reason(firstLine)}{reinstall}");
        }
    }
}
