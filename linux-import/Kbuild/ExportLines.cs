// SPDX-License-Identifier: MIT
// The EXPORT_SYMBOL* lines of a C source, read as text: what a build without Module.symvers can know of a
// source's exports. Not preprocessed: an export inside an #ifdef counts whatever the configuration says, and
// exports made by other macros (EXPORT_TRACEPOINT_SYMBOL*, EXPORT_STATIC_CALL*) are not seen.
using System.Text.RegularExpressions;

namespace LinuxShim.Import.Kbuild;

public static partial class ExportLines
{
    /// <summary>One export: the symbol, its Module.symvers type (EXPORT_SYMBOL or EXPORT_SYMBOL_GPL) and namespace ("" for none).</summary>
    public sealed record Export(string Symbol, string Type, string Namespace);

    public static IReadOnlyList<Export> Read(string source)
    {
        var exports = new List<Export>();
        foreach (Match m in ExportRegex().Matches(source))
        {
            bool gpl = m.Groups["gpl1"].Success || m.Groups["gpl2"].Success;
            string ns = m.Groups["ns"].Success ? m.Groups["ns"].Value.Trim().Trim('"') : "";
            exports.Add(new Export(m.Groups["sym"].Value, gpl ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL", ns));
        }
        return exports;
    }

    // EXPORT_SYMBOL(s), EXPORT_SYMBOL_GPL(s), EXPORT_SYMBOL_NS(s, NS), EXPORT_SYMBOL_NS_GPL(s, NS) with NS a
    // token (6.1) or a string literal (later kernels); at the start of a line, as the kernel writes them.
    [GeneratedRegex("""^[ \t]*EXPORT_SYMBOL(?<gpl1>_GPL)?(?:_NS(?<gpl2>_GPL)?)?[ \t]*\([ \t]*(?<sym>[A-Za-z_][A-Za-z0-9_]*)[ \t]*(?:,[ \t]*(?<ns>[A-Za-z0-9_]+|"[^"\n]*")[ \t]*)?\)""", RegexOptions.Multiline)]
    private static partial Regex ExportRegex();
}
