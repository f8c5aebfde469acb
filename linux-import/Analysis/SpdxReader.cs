// SPDX-License-Identifier: MIT
// Managed side. The SPDX-License-Identifier expression of a kernel source file. The kernel's
// license rules put it on the first line (second for scripts); we look at the first five.
using System.Text;
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Analysis;

public static partial class SpdxReader
{
    public static string? Read(byte[] content)
    {
        int length = Math.Min(content.Length, 2048);
        var head = Encoding.UTF8.GetString(content, 0, length).Split('\n');
        for (int i = 0; i < Math.Min(head.Length, 5); i++)
        {
            var m = Pattern().Match(head[i]);
            if (m.Success)
                return m.Groups[1].Value.Trim();
        }
        return null;
    }

    [GeneratedRegex(@"SPDX-License-Identifier:\s*(.*?)\s*(\*/)?\s*$")]
    private static partial Regex Pattern();
}
