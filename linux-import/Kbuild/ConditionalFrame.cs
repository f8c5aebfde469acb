// SPDX-License-Identifier: MIT
// State of one open ifeq/ifneq/ifdef/ifndef block while a Makefile is evaluated.
namespace LinuxShim.Import.Kbuild;

/// <summary>
/// One open conditional. <paramref name="ParentActive"/>: the enclosing text is being evaluated;
/// <paramref name="Taken"/>: the current branch is; <paramref name="AnyTaken"/>: some branch was;
/// <paramref name="Symbol"/>: the CONFIG_ symbol the condition tests, while in its first branch.
/// </summary>
internal readonly record struct ConditionalFrame(bool ParentActive, bool Taken, bool AnyTaken, bool SeenElse, string? Symbol, int Line)
{
    public bool Active => ParentActive && Taken;
}
