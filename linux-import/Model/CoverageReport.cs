// SPDX-License-Identifier: MIT
// Managed side. How far a scanned set of modules is from running on the shim: per module what the
// shim already provides and what is missing, the missing symbols ranked by how many modules each
// blocks, and a greedy plan of which to implement next.
namespace LinuxShim.Import.Model;

public sealed record CoverageReport
{
    /// <summary>How many kernel symbols the shim implements (read from its code).</summary>
    public required int ShimSymbols { get; init; }
    public required int ModulesLinking { get; init; }
    public required IReadOnlyList<ModuleCoverage> Modules { get; init; }
    /// <summary>Every symbol some module needs and the shim lacks, most blocking first.</summary>
    public required IReadOnlyList<MissingSymbol> Missing { get; init; }
    public required IReadOnlyList<PlanStep> Plan { get; init; }
    /// <summary>Upstream modules outside the scan that modules of the scan take exports from, imported so that what
    /// they miss counts (a driver host loads them beside their users, DESIGN D12).</summary>
    public IReadOnlyList<ProviderCoverage> Providers { get; init; } = [];
}

/// <summary>A provider module outside the scan: whether it links (with what it loads in turn), what it misses, and the
/// modules of the scan that take exports from it.</summary>
public sealed record ProviderCoverage(string Name, string Directory, IReadOnlyList<string> Missing, bool Links, IReadOnlyList<string> UsedBy);

/// <summary>Links: every required symbol is implemented (and the module parsed cleanly).</summary>
public sealed record ModuleCoverage(string Name, string Directory, int Required, int Implemented, IReadOnlyList<string> Missing, bool Links);

/// <summary>Blocks: modules that need it; Export as Module.symvers has it.</summary>
public sealed record MissingSymbol(string Symbol, string Export, int Blocks);

/// <summary>Implement these symbols next and these modules link; totals are cumulative over the plan.</summary>
public sealed record PlanStep(int Step, IReadOnlyList<string> Implement, IReadOnlyList<string> Links, int TotalSymbols, int TotalModules);
