// SPDX-License-Identifier: MIT
// Managed side. The licence boundary report: per source file its SPDX expression checked against the
// tree's rules, per module MODULE_LICENSE and its GPL-only imports (with the shim component providing
// each), the deployment's address spaces and IPC channels, and the corresponding source of each
// driver binary. Serialised as JSON (snake_case) like the Import Model.
using System.Text.Json;
using LinuxShim.Import.Model;

namespace LinuxShim.Import.Licence;

public static class LicenceReportJson
{
    /// <summary>The report as JSON, with the Import Model's conventions (snake_case, indented, nulls left out).</summary>
    public static string Serialize(LicenceReport report) => JsonSerializer.Serialize(report, ImportModelJson.Options) + "\n";
}

public sealed record LicenceReport
{
    /// <summary>The directory of the kernel tree, or the port folder, the report is about.</summary>
    public required string Target { get; init; }
    public required KernelInfo Kernel { get; init; }
    public required IReadOnlyList<ModuleLicence> Modules { get; init; }
    /// <summary>Sources and local headers with no SPDX-License-Identifier line.</summary>
    public required IReadOnlyList<string> FilesWithoutSpdx { get; init; }
    /// <summary>"path:line: problem" for every SPDX line that breaks the kernel's licensing rules.</summary>
    public required IReadOnlyList<string> SpdxProblems { get; init; }
    public DeploymentReport? Deployment { get; init; }
    public IReadOnlyList<CorrespondingSource> CorrespondingSource { get; init; } = [];
}

public sealed record ModuleLicence
{
    public required string Name { get; init; }
    public required string Directory { get; init; }
    public string? ModuleLicense { get; init; }
    /// <summary>Whether include/linux/license.h's license_is_gpl_compatible() accepts MODULE_LICENSE.</summary>
    public required bool ModuleLicenseGplCompatible { get; init; }
    public required IReadOnlyList<SourceLicence> Sources { get; init; }
    public required IReadOnlyList<GplOnlyImport> GplOnlyImports { get; init; }
}

/// <summary>Status: "ok", "none" (no SPDX line; the kernel's COPYING makes it GPL-2.0-only) or "invalid";
/// Line: where the SPDX-License-Identifier is (null when none); Blob: git blob id; Sha1, Sha256: of the content.</summary>
public sealed record SourceLicence(string Path, string Role, string Blob, string Sha1, string Sha256, string? Spdx, int? Line, string Status, IReadOnlyList<string> Problems)
{
    /// <summary>The licence the file is under: its SPDX expression, or GPL-2.0-only when it has none.</summary>
    public string Effective => Status == "ok" ? Spdx! : "GPL-2.0-only";
}

/// <summary>A required symbol Module.symvers marks EXPORT_SYMBOL_GPL (Namespace: its symbol namespace,
/// if any), and which part of the shim provides it (null when the shim does not implement it).</summary>
public sealed record GplOnlyImport(string Symbol, string Export, string? Namespace, string? Provider, ShimProvider? Shim);

/// <summary>Component: a C# class of the shim or a native C file; Kind: "managed" or "native".</summary>
public sealed record ShimProvider(string Component, string File, string Kind, string Licence);

public sealed record DeploymentReport
{
    public required string Name { get; init; }
    public required string File { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyList<ProcessReport> Processes { get; init; }
    public required IReadOnlyList<ChannelReport> Channels { get; init; }
    /// <summary>True when some address space mixes GPL-2.0 code with code whose licence is incompatible with it.</summary>
    public bool Mixed => Processes.Any(p => p.Mixed);
}

public sealed record ProcessReport
{
    public required string Name { get; init; }
    public string? Command { get; init; }
    public required IReadOnlyList<ComponentReport> Components { get; init; }
    /// <summary>Some code in this address space is bound by GPL-2.0.</summary>
    public required bool ContainsGpl { get; init; }
    /// <summary>GPL-2.0 code and incompatible code share this address space.</summary>
    public required bool Mixed { get; init; }
    /// <summary>One line per incompatible component, naming it, the GPL code and the reason.</summary>
    public required IReadOnlyList<string> Findings { get; init; }
}

public sealed record ComponentReport
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public string? Version { get; init; }
    public required string Licence { get; init; }
    public required string LicenceSource { get; init; }
    /// <summary>For parts of a port's driver .so: what the part is (upstream source, glue, shim runtime…).</summary>
    public string? PartOf { get; init; }
    public required bool Gpl { get; init; }
    public required bool Gpl2Compatible { get; init; }
    public required string Reason { get; init; }
}

public sealed record ChannelReport(string Name, string From, string To, string Transport);

/// <summary>What a distributor of one driver binary must offer as its corresponding source.</summary>
public sealed record CorrespondingSource
{
    public required string Port { get; init; }
    public required string Module { get; init; }
    /// <summary>False when the port was not built yet (then only the upstream part is known).</summary>
    public required bool Built { get; init; }
    public FileDigest? Library { get; init; }
    public required UpstreamTree Upstream { get; init; }
    public required IReadOnlyList<SourceDigest> Sources { get; init; }
    public IReadOnlyList<PatchFile> Patches { get; init; } = [];
    public IReadOnlyList<SourceDigest> ShadowHeaders { get; init; } = [];
    public IReadOnlyList<SourceDigest> NativeRuntime { get; init; } = [];
    public IReadOnlyList<GeneratedFile> Generated { get; init; } = [];
    public string? Compiler { get; init; }
    public IReadOnlyList<string> Flags { get; init; } = [];
}

/// <summary>Kind: git (Commit), tarball (Location and Sha256 of the tarball) or directory.</summary>
public sealed record UpstreamTree(string Kind, string Location, string? Revision, string? Commit, string? Sha256, string Release);

public sealed record FileDigest(string File, string Sha256);

/// <summary>A source file: git blob id, SHA-1 and SHA-256 of its content, and its SPDX expression.</summary>
public sealed record SourceDigest(string Path, string Blob, string Sha1, string Sha256, string? Spdx);

public sealed record GeneratedFile(string Path, string Sha1, string Sha256, string? Spdx, string Generator, IReadOnlyList<string> GeneratedFrom);

/// <summary>A port's patch: its file, digests, and the tree paths it changes (its "+++ b/…" lines).</summary>
public sealed record PatchFile(string File, string Sha1, string Sha256, IReadOnlyList<string> Targets);
