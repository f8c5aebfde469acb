/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native runtime: what cannot be managed code. Kernel data objects drivers read directly (they must
 * live in the driver's image with their exact C types), failure paths that must not return, and
 * the static-call trampolines gcc reaches from inline asm that saves no registers.
 */
#include <linux/types.h>
#include <linux/version.h>
#include <linux/compiler.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/bitrev.h>
#include <linux/ioport.h>
#include <linux/jump_label.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/suspend.h>
#include <linux/virtio_anchor.h>
#include <xen/xen.h>
#include <asm/processor.h>
#include <asm/page.h>
#include "shim.h"

/* Time: the host's ticker advances jiffies (HZ per second). */
volatile unsigned long jiffies __section(".data") = INITIAL_JIFFIES;
SHIM_SYMBOL(jiffies)
/* On 64-bit, jiffies is jiffies_64 under another name (arch/x86/kernel/vmlinux.lds.S: jiffies = jiffies_64). */
asm(".globl jiffies_64\n\t.set jiffies_64, jiffies\n");
SHIM_SYMBOL(jiffies_64)
static_assert(sizeof(jiffies) == sizeof(u64), "jiffies is all of jiffies_64");

/*
 * One CPU (DESIGN D5): the per-CPU variables are ordinary variables. User space runs with a zero
 * %gs base, so the kernel's %gs-relative per-CPU accesses reach exactly these objects. The host finds
 * the current task and the preempt count through the glue (LINUXSHIM_CURRENT_TASK, LINUXSHIM_PREEMPT_COUNT in shim.h).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
/* Since 6.2 they are members of one struct (arch/x86/include/asm/current.h); const_pcpu_hot is the
 * linker's alias of it (arch/x86/kernel/vmlinux.lds.S). */
DEFINE_PER_CPU_ALIGNED(struct pcpu_hot, pcpu_hot) = { .preempt_count = INIT_PREEMPT_COUNT };
SHIM_SYMBOL(pcpu_hot)
asm(".globl const_pcpu_hot\n\t.set const_pcpu_hot, pcpu_hot\n");
SHIM_SYMBOL(const_pcpu_hot)
#else
DEFINE_PER_CPU(struct task_struct *, current_task);
SHIM_SYMBOL(current_task)
DEFINE_PER_CPU(int, __preempt_count) = INIT_PREEMPT_COUNT;
SHIM_SYMBOL(__preempt_count)
DEFINE_PER_CPU_READ_MOSTLY(int, cpu_number);
SHIM_SYMBOL(cpu_number)
#endif
DEFINE_PER_CPU_ALIGNED(struct softnet_data, softnet_data);
SHIM_SYMBOL(softnet_data)
/* this_cpu_ptr()'s offset: the per-CPU variables above are plain ones, so CPU 0's offset is 0. */
DEFINE_PER_CPU_READ_MOSTLY(unsigned long, this_cpu_off);
SHIM_SYMBOL(this_cpu_off)

/* One CPU (DESIGN D5), online from the start: num_online_cpus() is 1, for_each_online_cpu() visits CPU 0. */
struct cpumask __cpu_online_mask = { .bits = { 1 } };
SHIM_SYMBOL(__cpu_online_mask)
atomic_t __num_online_cpus = ATOMIC_INIT(1);
SHIM_SYMBOL(__num_online_cpus)

/* arch/x86/xen/enlighten.c: the machine is no Xen guest (XEN_NATIVE), so xen_domain() is false. */
#ifdef CONFIG_XEN
enum xen_domain_type xen_domain_type = XEN_NATIVE;
SHIM_SYMBOL(xen_domain_type)
#endif

#ifdef CONFIG_VIRTIO_ANCHOR
/* drivers/virtio/virtio_anchor.c: no platform here restricts a device's memory access (no SEV or TDX guest,
 * no Xen grants), so virtio devices need not offer VIRTIO_F_ACCESS_PLATFORM. */
static bool linuxshim_virtio_no_restricted_mem_acc(struct virtio_device *dev)
{
	return false;
}
bool (*virtio_check_mem_acc_cb)(struct virtio_device *dev) = linuxshim_virtio_no_restricted_mem_acc;
SHIM_SYMBOL(virtio_check_mem_acc_cb)
#endif

/*
 * The boot CPU as drivers see it (boot_cpu_has(), cache line sizes): an x86-64 CPU that announces no
 * optional feature, so code that needs one (ART for PTP cross-timestamps, say) takes its fallback.
 */
struct cpuinfo_x86 boot_cpu_data = {
	.x86_clflush_size = 64,
	.x86_cache_alignment = 64,
	.x86_phys_bits = 46,
	.x86_virt_bits = 48,
};
SHIM_SYMBOL(boot_cpu_data)

/* kernel/power/suspend.c: no suspend here, so no global suspend flags (PM_SUSPEND_FLAG_*) are ever set. */
unsigned int pm_suspend_global_flags;
SHIM_SYMBOL(pm_suspend_global_flags)

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

/* The system workqueue; the host creates it before any driver code runs. Linux 6.12 (Debian's) names it
 * system_percpu_wq too, and means to drop system_wq: both name the one queue. */
struct workqueue_struct *system_wq;
SHIM_SYMBOL(system_wq)
struct workqueue_struct *system_percpu_wq;
SHIM_SYMBOL(system_percpu_wq)
/* Without CONFIG_WQ_POWER_EFFICIENT_DEFAULT (Debian's) Linux's power-efficient queue is per-CPU like system_wq;
 * phylib's state machine and phylink's resolver queue on it. The host points it at the same queue. */
struct workqueue_struct *system_power_efficient_wq;
SHIM_SYMBOL(system_power_efficient_wq)

/* The roots of the port and memory spaces (kernel/resource.c); request_region() and friends pass them
 * to the host's Resource, which tracks the busy regions under each. */
struct resource ioport_resource = {
	.name = "PCI IO", .start = 0, .end = IO_SPACE_LIMIT, .flags = IORESOURCE_IO,
};
SHIM_SYMBOL(ioport_resource)
struct resource iomem_resource = {
	.name = "PCI mem", .start = 0, .end = -1, .flags = IORESOURCE_MEM,
};
SHIM_SYMBOL(iomem_resource)

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

/* kernel/panic.c: the driver's machine stops; here that ends the host, saying why. */
void __noreturn panic(const char *fmt, ...)
{
	char why[256];
	va_list args;

	va_start(args, fmt);
	vscnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	linuxshim_host_panic(why, __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(panic)

void __noreturn __stack_chk_fail(void)
{
	linuxshim_host_panic("stack protector: stack smashing detected", __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(__stack_chk_fail)

#ifdef fortify_panic
/* Since 6.9 fortify_panic() is a macro over this (include/linux/fortify-string.h): the reason packs
 * the string function (bits 7..1) and whether it wrote (bit 0); lib/string_helpers.c names them. */
void __noreturn __fortify_panic(const u8 reason, const size_t avail, const size_t size)
{
	char why[96];

	snprintf(why, sizeof(why), "fortify: %s of %zu bytes with %zu available (string function %u)",
		 FORTIFY_REASON_DIR(reason) ? "write" : "read", size, avail, (unsigned int)FORTIFY_REASON_FUNC(reason));
	linuxshim_host_panic(why, __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(__fortify_panic)
#else
void __noreturn fortify_panic(const char *name)
{
	linuxshim_host_panic(name, __builtin_return_address(0), __builtin_frame_address(0));
}
SHIM_SYMBOL(fortify_panic)
#endif

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
