// SPDX-License-Identifier: MIT
// Managed side. What changed for each module between two kernels' Import Models (scan diff): required
// symbols added, removed and likely renamed, prototypes changed, export type or provider changed, and per
// port what the shim lacks on the newer kernel. Serialised like the Import Model (snake_case, sorted lists).
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Diff;

public sealed record KernelDiff
{
    public required KernelInfo Old { get; init; }
    public required KernelInfo New { get; init; }
    /// <summary>Tree-relative directory both kernels were scanned at.</summary>
    public required string Scope { get; init; }
    public required DiffTotals Totals { get; init; }
    /// <summary>Modules built on both kernels whose requirements differ, by directory and name.</summary>
    public required IReadOnlyList<ModuleDiff> Modules { get; init; }
    /// <summary>"directory/name" of modules only the new kernel's configuration builds.</summary>
    public IReadOnlyList<string> ModulesAdded { get; init; } = [];
    /// <summary>"directory/name" of modules only the old kernel's configuration builds.</summary>
    public IReadOnlyList<string> ModulesRemoved { get; init; } = [];
    /// <summary>Every change across the tree, one row per symbol (or rename), most modules first.</summary>
    public required IReadOnlyList<TreeChange> Changes { get; init; }
    /// <summary>Each port: whether its recipe names the new kernel, and what the shim lacks for it there.</summary>
    public IReadOnlyList<PortDiff> Ports { get; init; } = [];
}

public sealed record DiffTotals
{
    public required int ModulesOld { get; init; }
    public required int ModulesNew { get; init; }
    /// <summary>Built on both kernels (matched by directory and name, or by name when it moved).</summary>
    public required int ModulesCompared { get; init; }
    public required int ModulesChanged { get; init; }
    public required int ModulesAdded { get; init; }
    public required int ModulesRemoved { get; init; }
    /// <summary>Compared modules that failed to parse on either kernel (their changes may be incomplete).</summary>
    public required int ModulesWithErrors { get; init; }
    /// <summary>Per-module changes summed over modules, then the distinct symbols (or renames) behind them.</summary>
    public required ChangeCounts PerModule { get; init; }
    public required ChangeCounts Distinct { get; init; }
}

public sealed record ChangeCounts(int Added, int Removed, int Renamed, int PrototypeChanged, int ExportChanged);

public sealed record ModuleDiff
{
    public required string Name { get; init; }
    public required string Directory { get; init; }
    /// <summary>Where the old kernel builds it, when it moved.</summary>
    public string? OldDirectory { get; init; }
    /// <summary>"ok", or "error" when either kernel's scan of it had errors.</summary>
    public required string Status { get; init; }
    public required int RequiresOld { get; init; }
    public required int RequiresNew { get; init; }
    /// <summary>Required on the new kernel only, and not explained as a rename.</summary>
    public IReadOnlyList<string> Added { get; init; } = [];
    /// <summary>Required on the old kernel only, and not explained as a rename.</summary>
    public IReadOnlyList<string> Removed { get; init; } = [];
    public IReadOnlyList<SymbolRename> Renamed { get; init; } = [];
    public IReadOnlyList<PrototypeChange> Prototypes { get; init; } = [];
    public IReadOnlyList<ExportChange> Exports { get; init; } = [];

    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Renamed.Count == 0 && Prototypes.Count == 0 && Exports.Count == 0;
}

/// <summary>A removed and an added symbol taken for one renamed: <paramref name="Evidence"/> says why
/// (shared call sites, related names, same parameter count); prototypes as each kernel declares them.</summary>
public sealed record SymbolRename(string Old, string New, string? OldPrototype, string? NewPrototype, IReadOnlyList<string> Callers, string Evidence);

public sealed record PrototypeChange(string Symbol, string Old, string New);

/// <summary>Export type (EXPORT_SYMBOL, EXPORT_SYMBOL_GPL, unexported), namespace or provider (vmlinux, a module) changed.</summary>
public sealed record ExportChange(string Symbol, string OldExport, string NewExport, string? OldProvider, string? NewProvider, string? OldNamespace, string? NewNamespace);

/// <summary>One change across the tree: Kind is added, removed, renamed, prototype or export; Detail the
/// old → new text (rename target, prototypes, export); Modules the modules it concerns.</summary>
public sealed record TreeChange(string Kind, string Symbol, string? Detail, IReadOnlyList<string> Modules);

/// <summary>A port (ports/NAME) on both kernels: whether the recipe names each, and the symbols its module
/// requires there that the shim does not implement. Lacking null: the module was not built there.</summary>
public sealed record PortDiff(string Port, string Module, string Directory, bool SupportsOld, bool SupportsNew,
    IReadOnlyList<string>? LacksOld, IReadOnlyList<string>? LacksNew, IReadOnlyList<string> Renamed);
