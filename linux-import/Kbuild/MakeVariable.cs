// SPDX-License-Identifier: MIT
// A make variable's stored text and flavour (recursive "=" or simple ":=").
namespace LinuxShim.Import.Kbuild;

/// <summary>A make variable: recursive ones store unexpanded text, simple ones their expansion.</summary>
internal readonly record struct MakeVariable(string Value, bool Recursive);
