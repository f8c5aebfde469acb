/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LinuxShim shadow of <asm/current.h>.
 *
 * Replaces: arch/x86/include/asm/current.h of 6.1 (shim/include/6.1: the kernels before 6.12, whose
 * current_task is a per-CPU variable of its own; see shim/include/6.12 for pcpu_hot).
 * Why: the real get_current() reads the per-CPU current_task with this_cpu_read_stable(), whose
 * "p" operand is the variable's absolute address: not possible in a position-independent .so.
 * Instead: current_task is an ordinary variable the shim defines and sets for the thread that
 * holds the shim's CPU (one CPU, see DESIGN D5), read with a plain load.
 */
#ifndef _ASM_X86_CURRENT_H
#define _ASM_X86_CURRENT_H

#include <linux/compiler.h>
#include <asm/percpu.h>

#ifndef __ASSEMBLY__
struct task_struct;

DECLARE_PER_CPU(struct task_struct *, current_task);

static __always_inline struct task_struct *get_current(void)
{
	return READ_ONCE(current_task);
}

#define current get_current()

#endif /* __ASSEMBLY__ */

#endif /* _ASM_X86_CURRENT_H */
