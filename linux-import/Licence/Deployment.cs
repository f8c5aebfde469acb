// SPDX-License-Identifier: MIT
// Managed side. A deployment description: the processes a system runs, what each loads into its
// address space, and the IPC channels between them. Read from a small line-based file (see
// DeploymentFile), every element keeping the file and line it came from for messages.
namespace LinuxShim.Import.Licence;

public sealed record Deployment
{
    public required string File { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    public required IReadOnlyList<DeployedProcess> Processes { get; init; }
    public required IReadOnlyList<IpcChannel> Channels { get; init; }
}

public sealed record DeployedProcess
{
    public required string Name { get; init; }
    public required int Line { get; init; }
    public string? Command { get; init; }
    public required IReadOnlyList<LoadedComponent> Loads { get; init; }
}

/// <summary>What a process loads. Kind: port (a driver .so of a port folder), nuget, assembly, library
/// (native shared library), runtime, program. <see cref="Licence"/> is null only for ports, whose parts
/// each carry their own.</summary>
public sealed record LoadedComponent
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    public string? Version { get; init; }
    public SpdxExpression? Licence { get; init; }
    /// <summary>Where the licence was read: "deployment", or the .nuspec file.</summary>
    public string? LicenceSource { get; init; }
    /// <summary>For a port, its folder (absolute).</summary>
    public string? Path { get; init; }
    public required int Line { get; init; }
}

/// <summary>A channel between two endpoints: process names, or <see cref="DeploymentFile.HostKernel"/>.</summary>
public sealed record IpcChannel
{
    public required string Name { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }
    public required string Transport { get; init; }
    public required int Line { get; init; }
}
