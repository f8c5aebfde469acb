/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LinuxShim shadow of <asm/jump_label.h>.
 *
 * Replaces: arch/x86/include/asm/jump_label.h.
 * Why: the real header emits an `asm goto` whose jump-table entry takes the key's address as an
 * "i" (link-time constant) operand. In a position-independent driver .so the address of an extern
 * key (e.g. devmap_managed_key) is not a link-time constant, so gcc rejects it ("impossible
 * constraint in asm"); and nothing in user space would patch the code anyway.
 * Instead: a static branch is an ordinary load of the key's enabled count. The result is the
 * same as the patched code's: the branch is taken when (enabled ^ branch).
 */
#ifndef _ASM_X86_JUMP_LABEL_H
#define _ASM_X86_JUMP_LABEL_H

#define HAVE_JUMP_LABEL_BATCH

#include <asm/asm.h>
#include <asm/nops.h>

#ifndef __ASSEMBLY__

#include <linux/stringify.h>
#include <linux/types.h>
#include <asm/rwonce.h>

static __always_inline bool arch_static_branch(struct static_key * const key, const bool branch)
{
	return (READ_ONCE(key->enabled.counter) > 0) ^ branch;
}

static __always_inline bool arch_static_branch_jump(struct static_key * const key, const bool branch)
{
	return (READ_ONCE(key->enabled.counter) > 0) ^ branch;
}

/* Declared as the real header does; only the kernel's jump-label patcher would call it. */
extern int arch_jump_entry_size(struct jump_entry *entry);

#endif /* __ASSEMBLY__ */

#endif
