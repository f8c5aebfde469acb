// SPDX-License-Identifier: MIT
// Managed side. The value of a C string literal from its spelling ("a\n" "b"), for literals
// clang_Cursor_Evaluate does not fold (those passed as function arguments).
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Analysis;

internal static partial class CString
{
    [GeneratedRegex(@"^\s*(?:""((?:[^""\\]|\\.)*)""\s*)+$")]
    private static partial Regex Literal();

    /// <summary>The text of a spelled (possibly concatenated) narrow string literal, or null.</summary>
    public static string? FromSpelling(string spelling)
    {
        var m = Literal().Match(spelling);
        if (!m.Success)
            return null;
        var text = new StringBuilder();
        foreach (Capture part in m.Groups[1].Captures)
        {
            string s = part.Value;
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] != '\\' || i + 1 >= s.Length)
                {
                    text.Append(s[i]);
                    continue;
                }
                char e = s[++i];
                switch (e)
                {
                    case 'n': text.Append('\n'); break;
                    case 't': text.Append('\t'); break;
                    case 'r': text.Append('\r'); break;
                    case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                    {
                        int start = i, end = i;
                        while (end < s.Length && end - start < 3 && s[end] is >= '0' and <= '7')
                            end++;
                        text.Append((char)Convert.ToInt32(s[start..end], 8));
                        i = end - 1;
                        break;
                    }
                    case 'x':
                    {
                        int end = i + 1;
                        while (end < s.Length && Uri.IsHexDigit(s[end]))
                            end++;
                        if (end == i + 1)
                            return null;
                        text.Append((char)int.Parse(s[(i + 1)..end], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        i = end - 1;
                        break;
                    }
                    default: text.Append(e); break; // \\ \" \' \? and the rest
                }
            }
        }
        return text.ToString();
    }
}
