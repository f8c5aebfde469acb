// SPDX-License-Identifier: MIT
// Managed side. Computes the id git gives a blob: SHA-1 over "blob <length>\0" followed by the content.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LinuxShim.Import.Tree;

internal static class GitBlobHash
{
    public static string Compute(ReadOnlySpan<byte> content)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(Encoding.ASCII.GetBytes("blob " + content.Length.ToString(CultureInfo.InvariantCulture) + "\0"));
        hash.AppendData(content);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
