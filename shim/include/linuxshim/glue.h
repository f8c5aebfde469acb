/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The C<->C# boundary of a driver .so, in one place (not a shadow: no kernel header of this name).
 *
 * struct linuxshim_glue is the one object the host looks up (dlsym "linuxshim_glue"); the glue
 * generated at port build (linux-import/Port/GlueGenerator.cs) defines it. Everything else the
 * host needs of the image it reaches through these typed pointers, never by name. Its managed
 * mirror is LinuxShim.Shim.Host.Glue (shim/Host/Glue.cs), which also holds the version the
 * generated glue stores in .version: the port build reads this struct with libclang and fails when
 * a field's name, offset or size differs from the mirror (linux-import/Port/GlueCheck.cs), and gcc
 * checks libclang's offsets with static asserts in the glue.
 *
 * The host operations below are the functions the managed host implements for the shim's C and
 * its shadow headers ([HostOp] methods); the glue forwards them, like the kernel symbols, through
 * the host-ops table (ops), which the host fills in op_names order before any driver code runs.
 */
#ifndef LINUXSHIM_GLUE_H
#define LINUXSHIM_GLUE_H

#include <linux/types.h>
#include <linux/compiler.h>

struct module;
struct task_struct;
struct workqueue_struct;
struct cpumask;
struct bus_type;
struct net;
struct net_device;

struct linuxshim_glue {
	/* LinuxShim.Shim.Host.Glue.Version of the shim the library was built with. */
	unsigned int version;

	/* The host-ops table: op_count trampolines jump through ops[i], the managed op_names[i]. */
	unsigned int op_count;
	void **ops;
	const char *const *op_names;

	/* Symbols nobody implements (trace-and-fail stubs), for the host's report. */
	unsigned int stub_count;
	const char *const *stub_names;

	/* The driver's module object and entry points (NULL when the module has none). */
	struct module *module;
	int (*init)(void);
	void (*exit)(void);

	/* Native entry points the host calls (shim/native/params.c, fault.c). */
	int (*param_set)(const char *name, const char *value);
	void (*fault_reporter_install)(unsigned long start, unsigned long end);

	/* Facts of the configuration. */
	unsigned int hz;
	unsigned int task_size;

	/* Data objects the driver reads, which the host sets or hands to it (shim/native/runtime.c,
	 * percpu.c, pci_driver.c). NULL when this kernel has no such object. */
	volatile unsigned long *jiffies;
	unsigned long *page_offset_base;
	unsigned long *vmemmap_base;
	unsigned long *phys_base;
	int *preempt_count;
	struct task_struct **current_task;
	struct workqueue_struct **system_wq;
	struct workqueue_struct **system_percpu_wq;
	const struct cpumask *possible_cpus; /* cpu_possible_mask, a macro */
	const struct bus_type *pci_bus_type;
	struct net *init_net; /* the one network namespace (shim/native/net_namespace.c) */
	/* softnet_data.xmit.more, what netdev_xmit_more() reads: set while a frame that has others
	 * behind it is handed to ndo_start_xmit, as the core's dev_hard_start_xmit() does. */
	u8 *xmit_more;
	/* Where queue_work(system_power_efficient_wq, ...) goes (phylib's state machine, phylink's resolver): the
	 * system workqueue, as Linux's is unless CONFIG_WQ_POWER_EFFICIENT_DEFAULT (Debian leaves it unset). */
	struct workqueue_struct **system_power_efficient_wq;
	/* The parts of a new net_device whose fields differ between kernels (native/netdev.c): 6.12's
	 * dev->ethtool state, which phylib and the ethtool core read; and their release. */
	int (*netdev_alloc_parts)(struct net_device *dev);
	void (*netdev_free_parts)(struct net_device *dev);
};

/* Host operations: logging and failure (shim/Kernel/Printk.cs). */
void linuxshim_host_log(int level, const char *prefix, const char *message, int length);
void __noreturn linuxshim_host_unimplemented(const char *symbol, void *caller, void *frame);
void __noreturn linuxshim_host_panic(const char *reason, void *caller, void *frame);

/* Deferred work whose name the C formats (shim/Kernel/Workqueue.cs, Waiting.cs). */
struct workqueue_struct *linuxshim_host_alloc_workqueue(const char *name, unsigned int flags, int max_active);
struct task_struct *linuxshim_host_kthread_create(int (*fn)(void *data), void *data, const char *name);

/* Register and port I/O of a BAR: the shim finds the BAR by address or port and forwards the access to
 * the device (shim/Kernel/Io.cs); the shadow <asm/io.h> and <asm/shared/io.h> build the kernel's accessors on these. */
u64 linuxshim_host_mmio_read(const volatile void __iomem *addr, int size);
void linuxshim_host_mmio_write(volatile void __iomem *addr, int size, u64 value);
void linuxshim_host_mmio_reads(const volatile void __iomem *addr, int size, void *buffer, unsigned long count);
void linuxshim_host_mmio_writes(volatile void __iomem *addr, int size, const void *buffer, unsigned long count);
u32 linuxshim_host_port_in(u16 port, int size);
void linuxshim_host_port_out(u16 port, int size, u32 value);
void linuxshim_host_port_ins(u16 port, int size, void *buffer, unsigned long count);
void linuxshim_host_port_outs(u16 port, int size, const void *buffer, unsigned long count);

#endif
