/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CPU masks and per-CPU offsets of the shim's one CPU (DESIGN D5; kernel/cpu.c, mm/percpu.c):
 * CPU 0 is possible, present and online, nr_cpu_ids is 1, and CPU 0's per-CPU offset is 0, as for
 * the per-CPU variables of runtime.c (user space runs with a zero %gs base).
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/topology.h>
#include "shim.h"

unsigned int nr_cpu_ids = 1;
SHIM_SYMBOL(nr_cpu_ids)
struct cpumask __cpu_possible_mask = { .bits = { 1 } };
SHIM_SYMBOL(__cpu_possible_mask)
struct cpumask __cpu_present_mask = { .bits = { 1 } };
SHIM_SYMBOL(__cpu_present_mask)
unsigned long __per_cpu_offset[NR_CPUS];
SHIM_SYMBOL(__per_cpu_offset)

#ifdef CONFIG_USE_PERCPU_NUMA_NODE_ID
/* The machine is one NUMA node, node 0, holding the one CPU: numa_node_id() and cpu_to_node() read this
 * (include/linux/topology.h), which the kernel sets per CPU at boot (set_cpu_numa_node()). */
DEFINE_PER_CPU(int, numa_node);
SHIM_SYMBOL(numa_node)
#endif
