// SPDX-License-Identifier: MIT
// Test helper. A classic BPF interpreter for seccomp programs (the subset seccomp accepts that the
// policy uses: absolute word loads from struct seccomp_data, AND, conditional jumps on constants,
// returns), so a filter can be tried on any call without installing it.
using LinuxShim.Shim.Sandbox;

namespace LinuxShim.Shim.Tests.Sandbox;

public static class BpfInterpreter
{
    /// <summary>Runs <paramref name="program"/> on a seccomp_data for call <paramref name="nr"/>; returns the action.</summary>
    public static uint Run(BpfInstruction[] program, int nr, ulong[]? args = null, uint arch = SeccompPolicy.AuditArchX86_64, ulong ip = 0x1000)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        BitConverter.TryWriteBytes(data.AsSpan(8), ip);
        for (int i = 0; i < (args?.Length ?? 0); i++)
            BitConverter.TryWriteBytes(data.AsSpan(16 + 8 * i), args![i]);

        uint a = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            switch (insn.Code)
            {
                case BpfOp.LoadWordAbsolute:
                    if (insn.K > 60 || insn.K % 4 != 0)
                        throw new InvalidOperationException($"load outside seccomp_data at {pc}");
                    a = BitConverter.ToUInt32(data, (int)insn.K);
                    break;
                case BpfOp.AndK:
                    a &= insn.K;
                    break;
                case BpfOp.JMP | BpfOp.JA:
                    pc += (int)insn.K;
                    break;
                case BpfOp.JumpEqualK:
                    pc += a == insn.K ? insn.JumpTrue : insn.JumpFalse;
                    break;
                case BpfOp.JMP | BpfOp.JGT | BpfOp.K:
                    pc += a > insn.K ? insn.JumpTrue : insn.JumpFalse;
                    break;
                case BpfOp.JumpGreaterEqualK:
                    pc += a >= insn.K ? insn.JumpTrue : insn.JumpFalse;
                    break;
                case BpfOp.JumpSetK:
                    pc += (a & insn.K) != 0 ? insn.JumpTrue : insn.JumpFalse;
                    break;
                case BpfOp.ReturnK:
                    return insn.K;
                default:
                    throw new InvalidOperationException($"opcode 0x{insn.Code:x} at {pc}");
            }
        }
        throw new InvalidOperationException("the program ran off its end");
    }
}
