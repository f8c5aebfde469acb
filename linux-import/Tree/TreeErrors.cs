// SPDX-License-Identifier: MIT
// Managed side. Keeps kernel-tree error messages to one printable line (paths and library reasons are
// stripped of control characters).
using System.Text;

namespace LinuxShim.Import.Tree;

internal static class TreeErrors
{
    /// <summary>A path or name as it may appear inside a one-line message.</summary>
    public static string Show(string text)
    {
        if (!text.Any(char.IsControl))
            return text;
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            sb.Append(char.IsControl(c) ? '?' : c);
        return sb.ToString();
    }

    /// <summary>A library's reason (exception message, tool output) squeezed onto one line.</summary>
    public static string Reason(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return "unknown error";
        string[] lines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string joined = string.Join("; ", lines);
        return Show(joined.TrimEnd('.'));
    }

    public static ImportException CacheFailure(string directory, Exception e) =>
        new($"cannot write kernel tree cache {Show(directory)}: {Reason(e.Message)}", e);
}
