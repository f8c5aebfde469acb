// SPDX-License-Identifier: MIT
// Managed side. The Import Model: what each upstream module of a kernel tree is made of and needs.
// Serialised as JSON (snake_case) by ImportModelJson; every list is sorted so output is reproducible.
namespace LinuxShim.Import.Model;

public sealed record ImportModel
{
    public required KernelInfo Kernel { get; init; }
    /// <summary>Tree-relative directory that was scanned.</summary>
    public required string Scope { get; init; }
    public required IReadOnlyList<ModuleInfo> Modules { get; init; }
    /// <summary>Problems that did not stop the scan (Kbuild constructs not understood…).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Set on a partial result (scan --shard I/N); absent on a whole or merged one.</summary>
    public Shard? Shard { get; init; }

    /// <summary>Coverage against the shim (whole scans; a merge computes it for the joined parts).</summary>
    public CoverageReport? Coverage { get; init; }
}

/// <summary>Part <see cref="Index"/> (1-based) of <see cref="Count"/>.</summary>
public sealed record Shard(int Index, int Count)
{
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int index) || !int.TryParse(parts[1], out int count)
            || count < 1 || index < 1 || index > count)
            throw new ImportException($"shard '{text}' is not I/N with 1 <= I <= N (e.g. 2/8)");
        return new Shard(index, count);
    }

    public override string ToString() => $"{Index}/{Count}";
}

public sealed record KernelInfo
{
    /// <summary>"git", "directory" or "tarball".</summary>
    public required string Source { get; init; }
    public required string Location { get; init; }
    public string? Revision { get; init; }
    public string? Commit { get; init; }
    public required string Release { get; init; }
    /// <summary>The Linux version (6.1.192, 6.12.118) the tree and build directory were paired by.</summary>
    public string? Version { get; init; }
    public required string Build { get; init; }
    public required string Arch { get; init; }
    /// <summary>SHA-256 of the configuration (include/config/auto.conf).</summary>
    public required string Config { get; init; }
    /// <summary>Identifies the analyser, so cached results of another version are not reused.</summary>
    public required string Analyser { get; init; }
    /// <summary>Where the exports came from when not from a kernel build's own Module.symvers (a build directory
    /// linuxshim configured: see ConfiguredBuild); null for an ordinary build directory.</summary>
    public string? Symvers { get; init; }
}

public sealed record ModuleInfo
{
    public required string Name { get; init; }
    public required string Directory { get; init; }
    /// <summary>The CONFIG_ symbol that builds it.</summary>
    public string? Config { get; init; }
    /// <summary>"ok", or "error" when a source failed to parse (then requires may be incomplete).</summary>
    public required string Status { get; init; }
    public IReadOnlyList<string> Errors { get; init; } = [];
    public required IReadOnlyList<SourceFile> Sources { get; init; }
    public string? License { get; init; }
    public IReadOnlyList<string> Authors { get; init; } = [];
    public string? Description { get; init; }
    public string? Version { get; init; }
    public IReadOnlyList<string> Firmware { get; init; } = [];
    public IReadOnlyList<ModuleParameter> Parameters { get; init; } = [];
    public required IReadOnlyList<RequiredSymbol> Requires { get; init; }
    public IReadOnlyList<ExportedSymbol> Exports { get; init; } = [];
    public required EntryPoints Entry { get; init; }
    public IReadOnlyList<PciDeviceId> PciIds { get; init; } = [];
}

/// <summary>A file of the module. Role: "source" (compiled) or "header" (a local header it includes).
/// Blob: git blob id (from the repository, or computed from the content the same way).</summary>
public sealed record SourceFile(string Path, string Role, string? Spdx, string Blob);

/// <summary>Export: EXPORT_SYMBOL, EXPORT_SYMBOL_GPL, or "unexported"; Provider: vmlinux or the module exporting it.</summary>
public sealed record RequiredSymbol(string Symbol, string Export, string? Namespace, string? Provider, string? From)
{
    /// <summary>Its type as libclang reads the declaration in the configured headers ("int (struct pci_dev *)");
    /// null for names only assembly or the compiler refers to.</summary>
    public string? Prototype { get; init; }

    /// <summary>The prototype with typedefs resolved ("unsigned long long (void)" for "u64 (void)"); null when
    /// that spells it the same. Two kernels' prototypes differ when these do.</summary>
    public string? CanonicalPrototype { get; init; }

    /// <summary>The module's functions (and variables) whose compiled code references it: its call sites.</summary>
    public IReadOnlyList<string> Callers { get; init; } = [];
}

public sealed record ModuleParameter(string Name, string? Type, string? Description);

public sealed record EntryPoints
{
    public string? Init { get; init; }
    public string? Exit { get; init; }
    /// <summary>Driver structures (pci_driver…) registered with a bus.</summary>
    public IReadOnlyList<EntryStructure> Drivers { get; init; } = [];
    /// <summary>Operation tables (net_device_ops, ethtool_ops…) and other callback structures.</summary>
    public IReadOnlyList<EntryStructure> Ops { get; init; } = [];
}

public sealed record PciDeviceId(string Vendor, string Device, string? Subvendor, string? Subdevice, string? Class, ulong DriverData);
