/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cpu_bit_bitmap (kernel/cpu.c): what get_cpu_mask() (and cpumask_of()) index to find a mask of one CPU without
 * storing one per CPU. Row n + 1 has bit n set in its first word, row 0 none; get_cpu_mask(cpu) takes row
 * 1 + cpu % BITS_PER_LONG and steps back cpu / BITS_PER_LONG words, which land in the zeroed rows before it.
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include "shim.h"

#define LINUXSHIM_CPU_BIT(n) [(n) + 1][0] = 1UL << (n)
#define LINUXSHIM_CPU_BITS4(n) LINUXSHIM_CPU_BIT(n), LINUXSHIM_CPU_BIT((n) + 1), LINUXSHIM_CPU_BIT((n) + 2), LINUXSHIM_CPU_BIT((n) + 3)
#define LINUXSHIM_CPU_BITS16(n) LINUXSHIM_CPU_BITS4(n), LINUXSHIM_CPU_BITS4((n) + 4), LINUXSHIM_CPU_BITS4((n) + 8), LINUXSHIM_CPU_BITS4((n) + 12)

const unsigned long cpu_bit_bitmap[BITS_PER_LONG + 1][BITS_TO_LONGS(NR_CPUS)] = {
	LINUXSHIM_CPU_BITS16(0), LINUXSHIM_CPU_BITS16(16), LINUXSHIM_CPU_BITS16(32), LINUXSHIM_CPU_BITS16(48),
};
SHIM_SYMBOL(cpu_bit_bitmap)
