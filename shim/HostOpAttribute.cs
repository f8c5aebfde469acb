// SPDX-License-Identifier: MIT
// Managed side. Marks a host operation: a function of the managed host that the shim's native C and
// shadow headers call (logging, fatal errors, register I/O), declared in shim/include/linuxshim/glue.h
// and forwarded through the same host-ops table as kernel symbols.
namespace LinuxShim.Shim;

[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class HostOpAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}
