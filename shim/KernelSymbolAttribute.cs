// SPDX-License-Identifier: MIT
// Managed side. Marks the C# code that implements a Linux kernel symbol for drivers; the set of
// marked symbols is what the shim provides (ShimSymbols), so coverage reports never drift from code.
namespace LinuxShim.Shim;

[AttributeUsage(AttributeTargets.Method | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Class,
    AllowMultiple = true, Inherited = false)]
public sealed class KernelSymbolAttribute(string name) : Attribute
{
    /// <summary>The symbol's link name, as a module's undefined symbols name it (e.g. "pci_enable_device").</summary>
    public string Name { get; } = name;
}
