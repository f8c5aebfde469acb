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
 * Host operations (linuxshim_host_*) are functions the managed host implements; the glue forwards
 * them through the same host-ops table as the kernel symbols.
 */
#ifndef LINUXSHIM_NATIVE_SHIM_H
#define LINUXSHIM_NATIVE_SHIM_H

#include <linux/types.h>
#include <linux/compiler.h>

#define SHIM_SYMBOL(name)

struct module;

/* Found by the host with dlsym(); layout mirrored in the managed DriverLibrary. */
struct linuxshim_glue {
	unsigned int version;
	unsigned int op_count;
	void **ops;
	const char *const *op_names;
	unsigned int stub_count;
	const char *const *stub_names;
	struct module *module;
};

/* Host operations. */
void linuxshim_host_log(int level, const char *prefix, const char *message, int length);
void __noreturn linuxshim_host_unimplemented(const char *symbol, void *caller, void *frame);
void __noreturn linuxshim_host_panic(const char *reason, void *caller, void *frame);

/* Native runtime. */
void __noreturn linuxshim_unimplemented(const char *symbol, void *caller);

#endif
