// SPDX-License-Identifier: MIT
// Managed side. What one compiled source file contributes to its module: the symbols its object
// file defines and needs, its metadata, and the files the compiler read for it.
namespace LinuxShim.Import.Model;

public sealed record UnitResult
{
    /// <summary>Tree-relative path of the .c file.</summary>
    public required string Path { get; init; }

    /// <summary>Link names this object file defines with external linkage.</summary>
    public required IReadOnlyList<string> Defined { get; init; }

    /// <summary>Link names it references and does not define.</summary>
    public required IReadOnlyList<string> Undefined { get; init; }

    /// <summary>For each undefined symbol, the function or variable whose surviving code references it.</summary>
    public required IReadOnlyDictionary<string, string> ReferencedFrom { get; init; }

    /// <summary>For each undefined symbol declared in C, its type as libclang spells it: "void *(size_t, gfp_t)"
    /// for a function, "struct workqueue_struct *" for a variable.</summary>
    public IReadOnlyDictionary<string, string> Prototypes { get; init; } = new Dictionary<string, string>();

    /// <summary>The same types with typedefs resolved, for the symbols where that spells them differently.</summary>
    public IReadOnlyDictionary<string, string> CanonicalPrototypes { get; init; } = new Dictionary<string, string>();

    /// <summary>For each undefined symbol, every function (or variable) the object file emits whose code
    /// references it, inline callees counted in their caller.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Callers { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Compiler errors (empty when the file parsed cleanly).</summary>
    public required IReadOnlyList<string> Errors { get; init; }

    /// <summary>Every file the compiler read, tree-relative where inside the tree, else absolute.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    public required UnitMetadata Metadata { get; init; }
}

public sealed record UnitMetadata
{
    /// <summary>.modinfo entries "tag=value" in source order (license, author, description, parm, parmtype, alias, firmware…).</summary>
    public IReadOnlyList<string> ModInfo { get; init; } = [];
    public string? Init { get; init; }
    public string? Exit { get; init; }
    public IReadOnlyList<EntryStructure> Structures { get; init; } = [];
    public IReadOnlyList<PciId> PciIds { get; init; } = [];
    /// <summary>Symbols this unit exports (EXPORT_SYMBOL*): name → export type.</summary>
    public IReadOnlyList<ExportedSymbol> Exports { get; init; } = [];
}

/// <summary>A driver structure or ops table: a file-scope struct variable whose initializer sets callbacks.</summary>
public sealed record EntryStructure(string Variable, string Type, IReadOnlyDictionary<string, string> Callbacks);

public sealed record PciId(string Table, uint Vendor, uint Device, uint Subvendor, uint Subdevice, uint Class, uint ClassMask, ulong DriverData);

public sealed record ExportedSymbol(string Symbol, string Export, string Namespace);
