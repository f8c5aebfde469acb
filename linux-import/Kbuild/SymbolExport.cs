// SPDX-License-Identifier: MIT
// One exported kernel symbol as listed in Module.symvers.
namespace LinuxShim.Import.Kbuild;

/// <summary>
/// A symbol exported by the kernel or a module.
/// <paramref name="Module"/> is "vmlinux" or a module path without .ko (e.g. drivers/net/mii);
/// <paramref name="ExportType"/> is EXPORT_SYMBOL, EXPORT_SYMBOL_GPL, ...;
/// <paramref name="Namespace"/> is the symbol namespace, empty when none.
/// </summary>
public sealed record SymbolExport(string Symbol, string Module, string ExportType, string Namespace)
{
    /// <summary>The CRC recorded for the symbol (0 when the kernel has no MODVERSIONS).</summary>
    public uint Crc { get; init; }
}
