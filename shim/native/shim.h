/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native side of the shim, shared by its C files and the generated glue. These files are compiled
 * into the driver's .so with the kernel tree's own headers and flags (GPL-2.0-only because they
 * include Linux headers).
 *
 * SHIM_SYMBOL(name) marks a kernel symbol this C code provides to drivers. It expands to nothing;
 * the managed side (ShimSymbols) reads the markers from these sources, so the implemented set
 * comes from the code.
 *
 * The boundary with the managed host (the glue descriptor and the host operations) is declared in
 * <linuxshim/glue.h> (shim/include), which the shadow headers include too.
 */
#ifndef LINUXSHIM_NATIVE_SHIM_H
#define LINUXSHIM_NATIVE_SHIM_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/version.h>

#define SHIM_SYMBOL(name)

#include <linuxshim/glue.h>

/*
 * Where this kernel version keeps the current task and the preempt count (runtime.c defines them):
 * members of pcpu_hot since 6.2, their own per-CPU variables before. The glue hands them to the host.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define LINUXSHIM_CURRENT_TASK (&pcpu_hot.current_task)
#define LINUXSHIM_PREEMPT_COUNT (&pcpu_hot.preempt_count)
#else
#define LINUXSHIM_CURRENT_TASK (&current_task)
#define LINUXSHIM_PREEMPT_COUNT (&__preempt_count)
#endif

/* runtime.c defines system_percpu_wq on every kernel; only 6.12's <linux/workqueue.h> declares it. */
extern struct workqueue_struct *system_percpu_wq;

/* Native entry points the host calls through the glue (params.c, fault.c). */
int linuxshim_param_set(const char *name, const char *value);
struct net_device;
int linuxshim_netdev_alloc_parts(struct net_device *dev);
void linuxshim_netdev_free_parts(struct net_device *dev);
void linuxshim_fault_reporter_install(unsigned long start, unsigned long end);

/* Native runtime. */
void __noreturn linuxshim_unimplemented(const char *symbol, void *caller);

#endif
