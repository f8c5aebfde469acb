// SPDX-License-Identifier: MIT
// Managed side. A constant of the kernel the shim reads rather than assumes, because its value differs
// between kernels (__ETHTOOL_LINK_MODE_MASK_NBITS: 93 in 6.1, 103 in 6.12): the port build reads it from
// the configured headers with libclang, gcc checks it in the glue, and the host loads it with the layout.
namespace LinuxShim.Shim.Layout;

public sealed class KernelConstant
{
    internal KernelConstant(string header, string expression)
    {
        Header = header;
        Expression = expression;
    }

    public string Header { get; }

    /// <summary>The C expression (an enumerator or macro name).</summary>
    public string Expression { get; }

    private long? _value;

    public long Value => _value ?? throw new InvalidOperationException($"{Expression} not loaded from the layout");

    internal void Resolve(long value) => _value = value;

    public override string ToString() => Expression;
}
