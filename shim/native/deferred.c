/* SPDX-License-Identifier: GPL-2.0-only */
/* Deferred-work entry points that take a printf-style name, so they format it here for the host. */
#include <linux/kernel.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include "shim.h"

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
{
	char name[32];
	va_list args;

	va_start(args, max_active);
	vscnprintf(name, sizeof(name), fmt, args);
	va_end(args);
	return linuxshim_host_alloc_workqueue(name, flags, max_active);
}
SHIM_SYMBOL(alloc_workqueue)

struct task_struct *kthread_create_on_node(int (*threadfn)(void *data), void *data, int node, const char namefmt[], ...)
{
	char name[TASK_COMM_LEN];
	va_list args;

	va_start(args, namefmt);
	vscnprintf(name, sizeof(name), namefmt, args);
	va_end(args);
	return linuxshim_host_kthread_create(threadfn, data, name);
}
SHIM_SYMBOL(kthread_create_on_node)
