// SPDX-License-Identifier: MIT
// Managed side. Checks loose git objects before libgit2 inflates them: the libgit2 bundled with LibGit2Sharp
// 0.32 loops forever on a truncated loose object (libgit2 issue #7342), so damaged ones are reported first.
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using LibGit2Sharp;

namespace LinuxShim.Import.Tree;

internal sealed class LooseObjectGuard
{
    private const int MaxHeader = 64;

    private readonly string _location;
    private readonly IReadOnlyList<string> _objectDirectories;
    private readonly ConcurrentDictionary<string, bool> _checked = new(StringComparer.Ordinal);

    private LooseObjectGuard(string location, IReadOnlyList<string> objectDirectories)
    {
        _location = location;
        _objectDirectories = objectDirectories;
    }

    /// <summary>Finds the object directories of <paramref name="repository"/>: its own (shared with worktrees)
    /// and any alternates.</summary>
    public static LooseObjectGuard For(Repository repository, string location)
    {
        string gitDirectory = repository.Info.Path;
        string commonFile = Path.Combine(gitDirectory, "commondir");
        if (File.Exists(commonFile))
            gitDirectory = Path.GetFullPath(Path.Combine(gitDirectory, File.ReadAllText(commonFile).Trim()));
        string objects = Path.Combine(gitDirectory, "objects");
        var directories = new List<string> { objects };
        string alternates = Path.Combine(objects, "info", "alternates");
        if (File.Exists(alternates))
        {
            foreach (string line in File.ReadAllLines(alternates))
            {
                string entry = line.Trim();
                if (entry.Length > 0 && !entry.StartsWith('#'))
                    directories.Add(Path.GetFullPath(Path.Combine(objects, entry)));
            }
        }
        return new LooseObjectGuard(location, directories);
    }

    /// <summary>Throws "corrupt git repository" if the object is stored loose and damaged.</summary>
    public void Check(ObjectId id) => Check(id.Sha);

    /// <summary>Checks every loose object whose id starts with <paramref name="hexPrefix"/> (at least 2 digits).</summary>
    public void CheckPrefix(string hexPrefix)
    {
        string fan = hexPrefix[..2];
        string rest = hexPrefix[2..];
        foreach (string directory in _objectDirectories)
        {
            string bucket = Path.Combine(directory, fan);
            if (!Directory.Exists(bucket))
                continue;
            foreach (string file in Directory.EnumerateFiles(bucket, rest + "*"))
                Check(fan + Path.GetFileName(file));
        }
    }

    /// <summary>Checks every loose object (used before revision expressions whose walk cannot be predicted).</summary>
    public void CheckAll()
    {
        foreach (string directory in _objectDirectories)
        {
            if (!Directory.Exists(directory))
                continue;
            foreach (string bucket in Directory.EnumerateDirectories(directory))
            {
                string fan = Path.GetFileName(bucket);
                if (fan.Length == 2 && fan.All(char.IsAsciiHexDigitLower))
                    CheckPrefix(fan);
            }
        }
    }

    private void Check(string sha)
    {
        if (_checked.ContainsKey(sha))
            return;
        foreach (string directory in _objectDirectories)
        {
            string file = Path.Combine(directory, sha[..2], sha[2..]);
            if (!File.Exists(file))
                continue;
            string? problem = Inspect(file);
            if (problem is not null)
                throw new ImportException($"corrupt git repository {TreeErrors.Show(_location)}: loose object {sha} is damaged ({problem})");
            break;
        }
        _checked[sha] = true;
    }

    /// <summary>Inflates a loose object and checks its header, its declared length and the zlib checksum.</summary>
    private static string? Inspect(string file)
    {
        try
        {
            byte[] compressed = File.ReadAllBytes(file);
            if (compressed.Length < 6)
                return "truncated";
            using var inflater = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
            uint adler = 1;
            var header = new List<byte>();
            int next;
            while ((next = inflater.ReadByte()) > 0 && header.Count < MaxHeader)
                header.Add((byte)next);
            if (next != 0)
                return next < 0 ? "truncated" : "malformed header";
            header.Add(0);
            adler = Adler32(adler, header.ToArray());
            string[] fields = Encoding.ASCII.GetString(header.ToArray(), 0, header.Count - 1).Split(' ');
            if (fields.Length != 2 || !long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size))
                return "malformed header";
            var buffer = new byte[64 * 1024];
            for (long remaining = size; remaining > 0;)
            {
                int read = inflater.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                    return "truncated";
                adler = Adler32(adler, buffer.AsSpan(0, read));
                remaining -= read;
            }
            uint stored = (uint)(compressed[^4] << 24 | compressed[^3] << 16 | compressed[^2] << 8 | compressed[^1]);
            return stored == adler ? null : "truncated or checksum mismatch";
        }
        catch (InvalidDataException)
        {
            return "not zlib data";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable: " + TreeErrors.Reason(e.Message);
        }
    }

    private static uint Adler32(uint adler, ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        const int Block = 5552; // largest run whose sums cannot overflow 32 bits before reducing
        uint a = adler & 0xffff, b = adler >> 16;
        while (data.Length > 0)
        {
            int length = Math.Min(Block, data.Length);
            foreach (byte value in data[..length])
            {
                a += value;
                b += a;
            }
            a %= Modulus;
            b %= Modulus;
            data = data[length..];
        }
        return b << 16 | a;
    }
}
