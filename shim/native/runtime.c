/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native runtime: what cannot be managed code. Kernel data objects drivers read directly (they must
 * live in the driver's image with their exact C types), failure paths that must not return, and
 * the static-call trampolines gcc reaches from inline asm that saves no registers.
 */
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/bitrev.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <asm/page.h>
#include "shim.h"

/* Time: the host's ticker advances jiffies (HZ per second). */
volatile unsigned long jiffies __section(".data") = INITIAL_JIFFIES;
SHIM_SYMBOL(jiffies)

/*
 * One CPU (DESIGN D5): the per-CPU variables are ordinary variables. User space runs with a zero
 * %gs base, so the kernel's %gs-relative per-CPU accesses reach exactly these objects.
 */
DEFINE_PER_CPU(struct task_struct *, current_task);
SHIM_SYMBOL(current_task)
DEFINE_PER_CPU(int, __preempt_count) = INIT_PREEMPT_COUNT;
SHIM_SYMBOL(__preempt_count)
DEFINE_PER_CPU_READ_MOSTLY(int, cpu_number);
SHIM_SYMBOL(cpu_number)
DEFINE_PER_CPU_ALIGNED(struct softnet_data, softnet_data);
SHIM_SYMBOL(softnet_data)

/* Memory map: set by the host so that __pa(), virt_to_page() and page_address() work on its DMA-able heap. */
unsigned long page_offset_base;
SHIM_SYMBOL(page_offset_base)
unsigned long vmemmap_base;
SHIM_SYMBOL(vmemmap_base)
unsigned long phys_base;
SHIM_SYMBOL(phys_base)

enum system_states system_state = SYSTEM_RUNNING;
SHIM_SYMBOL(system_state)

/* kmalloc() of a constant size passes one of these to kmalloc_trace(); the host ignores the cache. */
struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];
SHIM_SYMBOL(kmalloc_caches)

/* Static keys that stay off: no device memory pages, no HugeTLB vmemmap optimisation here. */
DEFINE_STATIC_KEY_FALSE(devmap_managed_key);
SHIM_SYMBOL(devmap_managed_key)
DEFINE_STATIC_KEY_FALSE(hugetlb_optimize_vmemmap_key);
SHIM_SYMBOL(hugetlb_optimize_vmemmap_key)

/* The system workqueue; the host creates it before any driver code runs. */
struct workqueue_struct *system_wq;
SHIM_SYMBOL(system_wq)

/* byte_rev_table[b] is b with its 8 bits in reverse order. */
#define LINUXSHIM_R2(n) n, n + 2 * 64, n + 1 * 64, n + 3 * 64
#define LINUXSHIM_R4(n) LINUXSHIM_R2(n), LINUXSHIM_R2(n + 2 * 16), LINUXSHIM_R2(n + 1 * 16), LINUXSHIM_R2(n + 3 * 16)
#define LINUXSHIM_R6(n) LINUXSHIM_R4(n), LINUXSHIM_R4(n + 2 * 4), LINUXSHIM_R4(n + 1 * 4), LINUXSHIM_R4(n + 3 * 4)
u8 const byte_rev_table[256] = { LINUXSHIM_R6(0), LINUXSHIM_R6(2), LINUXSHIM_R6(1), LINUXSHIM_R6(3) };
SHIM_SYMBOL(byte_rev_table)

/* Called by the glue's stubs with the symbol's name and the caller's return address. */
void __noreturn linuxshim_unimplemented(const char *symbol, void *caller)
{
	linuxshim_host_unimplemented(symbol, caller, __builtin_frame_address(0));
}

void __noreturn __stack_chk_fail(void)
{
	linuxshim_host_panic("stack protector: stack smashing detected", __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(__stack_chk_fail)

void __noreturn fortify_panic(const char *name)
{
	linuxshim_host_panic(name, __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(fortify_panic)

/*
 * preempt_enable() reaches these from inline asm that declares no clobbers, so they must preserve
 * every register. The shim's CPU is not preemptive (DESIGN D5): nothing to schedule.
 */
asm(".text\n"
    ".globl __SCT__preempt_schedule\n\t.type __SCT__preempt_schedule, @function\n__SCT__preempt_schedule:\n\tret\n\tint3\n"
    "\t.size __SCT__preempt_schedule, .-__SCT__preempt_schedule\n"
    ".globl __SCT__preempt_schedule_notrace\n\t.type __SCT__preempt_schedule_notrace, @function\n__SCT__preempt_schedule_notrace:\n\tret\n\tint3\n"
    "\t.size __SCT__preempt_schedule_notrace, .-__SCT__preempt_schedule_notrace\n");
SHIM_SYMBOL(__SCT__preempt_schedule)
SHIM_SYMBOL(__SCT__preempt_schedule_notrace)

/* Facts of the configuration the host needs. */
const unsigned int linuxshim_hz = HZ;
const unsigned int linuxshim_task_size = sizeof(struct task_struct);
