/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * LinuxShim shadow of <asm/current.h>, Linux 6.12 on.
 *
 * Replaces: get_current() of arch/x86/include/asm/current.h (6.12); the rest is the real header's.
 * Why: since 6.2, current_task, __preempt_count and cpu_number live in one per-CPU struct pcpu_hot
 * (with const_pcpu_hot, a linker alias of it), which preempt.h, smp.h and hardirq.h read directly, so
 * the real declaration must stand. But its get_current() reads pcpu_hot.current_task with
 * this_cpu_read_stable(), whose "p" operand is the variable's absolute address when the compiler lacks
 * named address spaces: not possible in a position-independent .so.
 * Instead: the real header with its get_current() renamed out of the way, then get_current() as a
 * plain load of pcpu_hot.current_task, which the shim defines (native/runtime.c) and sets for the
 * thread that holds the shim's CPU (one CPU, see DESIGN D5).
 */
#ifndef _LINUXSHIM_ASM_CURRENT_H
#define _LINUXSHIM_ASM_CURRENT_H

#define get_current linuxshim_kernel_get_current
#include_next <asm/current.h>
#undef get_current

#ifndef __ASSEMBLY__

static __always_inline struct task_struct *get_current(void)
{
	return READ_ONCE(pcpu_hot.current_task);
}

#endif /* __ASSEMBLY__ */

#endif /* _LINUXSHIM_ASM_CURRENT_H */
