// SPDX-License-Identifier: MIT
// Managed side. What a command asks of the kernel inputs: an explicit source tree and build directory
// (--linux, --build or their environment variables), a version (--kernel), the versions a port supports,
// and the system root installed kernels are looked for under.
namespace LinuxShim.Import.Install;

public sealed record KernelRequest
{
    public const string LinuxVariable = "LINUXSHIM_LINUX";
    public const string BuildVariable = "LINUXSHIM_BUILD";

    /// <summary>PATH[@REV] of a source tree, or null to take the installed one of the build's version.</summary>
    public string? Linux { get; init; }

    /// <summary>How <see cref="Linux"/> was given ("--linux", "LINUXSHIM_LINUX").</summary>
    public string LinuxGivenBy { get; init; } = "--linux";

    /// <summary>A configured build directory, or null to take the installed one of the tree's version.</summary>
    public string? Build { get; init; }

    /// <summary>How <see cref="Build"/> was given ("--build", "LINUXSHIM_BUILD").</summary>
    public string BuildGivenBy { get; init; } = "--build";

    /// <summary>--kernel MAJOR.MINOR: the installed series to take.</summary>
    public KernelVersion? Kernel { get; init; }

    /// <summary>The series a port supports (its <c>kernel =</c> line); empty when any will do.</summary>
    public IReadOnlyList<KernelVersion> Supported { get; init; } = [];

    /// <summary>Who supports <see cref="Supported"/>, for messages ("ports/8139too").</summary>
    public string? SupportedBy { get; init; }

    /// <summary>Where installed kernels are looked for; null for $LINUXSHIM_SYSROOT, else "/".</summary>
    public string? Root { get; init; }

    /// <summary>The running kernel's release (uname -r), whose lib/modules/R/build is a candidate; null to read it when the root is "/".</summary>
    public string? RunningRelease { get; init; }

    /// <summary>True when the command line or the environment chose any input (then a built port may be for another kernel).</summary>
    public bool IsExplicit => Linux is not null || Build is not null || Kernel is not null;

    /// <summary>The request of a command line: explicit values first, then $LINUXSHIM_LINUX and $LINUXSHIM_BUILD.</summary>
    /// <param name="kernel">--kernel's value: MAJOR.MINOR, else ImportException.</param>
    public static KernelRequest FromCommandLine(string? linux, string? build, string? kernel)
    {
        KernelVersion? series = null;
        if (kernel is not null)
        {
            if (!KernelVersion.TryParseSeries(kernel, out var v))
                throw new ImportException($"--kernel takes a version MAJOR.MINOR such as 6.12, not '{kernel}'");
            series = v;
        }
        string? linuxEnv = Environment.GetEnvironmentVariable(LinuxVariable) is { Length: > 0 } l ? l : null;
        string? buildEnv = Environment.GetEnvironmentVariable(BuildVariable) is { Length: > 0 } b ? b : null;
        return new KernelRequest
        {
            Linux = linux ?? linuxEnv,
            LinuxGivenBy = linux is not null ? "--linux" : LinuxVariable,
            Build = build ?? buildEnv,
            BuildGivenBy = build is not null ? "--build" : BuildVariable,
            Kernel = series,
        };
    }
}
