// SPDX-License-Identifier: MIT
// Managed side. Classic BPF, as seccomp runs it: the instruction (struct sock_filter,
// include/uapi/linux/filter.h), the opcodes a seccomp filter uses, and a builder that resolves
// forward jumps to labels (classic BPF jumps only forward, at most 255 instructions).
using System.Runtime.InteropServices;

namespace LinuxShim.Shim.Sandbox;

[StructLayout(LayoutKind.Sequential)]
public readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    public override string ToString() => $"{{ 0x{Code:x2}, {JumpTrue}, {JumpFalse}, 0x{K:x8} }}";
}

public static class BpfOp
{
    // Classes, sizes, modes, ALU and jump operations, sources (linux/bpf_common.h).
    public const ushort LD = 0x00, ALU = 0x04, JMP = 0x05, RET = 0x06;
    public const ushort W = 0x00, ABS = 0x20;
    public const ushort AND = 0x50;
    public const ushort JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    public const ushort K = 0x00;

    public const ushort LoadWordAbsolute = LD | W | ABS;
    public const ushort AndK = ALU | AND | K;
    public const ushort JumpEqualK = JMP | JEQ | K, JumpGreaterEqualK = JMP | JGE | K, JumpSetK = JMP | JSET | K;
    public const ushort ReturnK = RET | K;
}

/// <summary>Builds a program top to bottom; jumps name labels placed later.</summary>
public sealed class BpfBuilder
{
    /// <summary>A position in the program, placed with <see cref="Mark"/>.</summary>
    public readonly record struct Label(int Id);

    private readonly List<(ushort Code, uint K, Label? True, Label? False)> _code = [];
    private readonly List<int> _labels = [];

    public int Count => _code.Count;

    public Label NewLabel()
    {
        _labels.Add(-1);
        return new Label(_labels.Count - 1);
    }

    public void Mark(Label label)
    {
        if (_labels[label.Id] >= 0)
            throw new InvalidOperationException("label placed twice");
        _labels[label.Id] = _code.Count;
    }

    public void LoadWord(uint offset) => _code.Add((BpfOp.LoadWordAbsolute, offset, null, null));

    public void And(uint mask) => _code.Add((BpfOp.AndK, mask, null, null));

    public void Return(uint action) => _code.Add((BpfOp.ReturnK, action, null, null));

    /// <summary>A conditional jump; a null target means the next instruction.</summary>
    public void Jump(ushort condition, uint k, Label? whenTrue, Label? whenFalse) => _code.Add((condition, k, whenTrue, whenFalse));

    public BpfInstruction[] Build()
    {
        var program = new BpfInstruction[_code.Count];
        for (int i = 0; i < _code.Count; i++)
        {
            var (code, k, t, f) = _code[i];
            program[i] = new BpfInstruction(code, Offset(i, t), Offset(i, f), k);
        }
        return program;
    }

    private byte Offset(int from, Label? to)
    {
        if (to is not { } label)
            return 0;
        int target = _labels[label.Id];
        if (target < 0)
            throw new InvalidOperationException("jump to a label never placed");
        int offset = target - from - 1;
        if (offset is < 0 or > byte.MaxValue)
            throw new InvalidOperationException($"jump from {from} to {target} does not fit classic BPF");
        return (byte)offset;
    }
}
