// SPDX-License-Identifier: MIT
// Managed side of the C<->C# boundary: the mirror of struct linuxshim_glue (shim/include/linuxshim/glue.h),
// the one object of a driver .so the host looks up by name. Each field is the C field of the same name in
// snake_case, in the same order; the port build reads the C struct with libclang and fails when a name, an
// offset or a size differs (linux-import/Port/GlueCheck.cs). Version is the only glue version: the
// generated glue stores it, and the host refuses a library built with another.
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Host;

[StructLayout(LayoutKind.Sequential)]
public unsafe struct Glue
{
    /// <summary>Raised whenever this struct or the meaning of a field changes.</summary>
    public const uint CurrentVersion = 6;

    public uint Version;

    public uint OpCount;
    public nint* Ops;
    public byte** OpNames;

    public uint StubCount;
    public byte** StubNames;

    public nint Module;
    public delegate* unmanaged<int> Init;
    public delegate* unmanaged<void> Exit;

    public delegate* unmanaged<byte*, byte*, int> ParamSet;
    public delegate* unmanaged<nuint, nuint, void> FaultReporterInstall;

    public uint Hz;
    public uint TaskSize;

    public nuint* Jiffies;
    public nuint* PageOffsetBase;
    public nuint* VmemmapBase;
    public nuint* PhysBase;
    public int* PreemptCount;
    public nint* CurrentTask;
    public nint* SystemWq;
    public nint* SystemPercpuWq;
    public nint PossibleCpus;
    public nint PciBusType;
    public nint InitNet;
    public byte* XmitMore;
    public nint* SystemPowerEfficientWq;
    public delegate* unmanaged<nint, int> NetdevAllocParts;
    public delegate* unmanaged<nint, void> NetdevFreeParts;
}
