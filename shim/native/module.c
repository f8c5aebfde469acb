/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module loading (kernel/module/kmod.c), in C because __request_module() is variadic. A driver host loads no
 * modules: it runs as a kernel whose modprobe path is empty, for which __request_module() answers -ENOENT at
 * once. Callers take that as "no such module" (phylib then binds the generic PHY driver).
 */
#include <linux/kernel.h>
#include <linux/kmod.h>
#include "shim.h"

int __request_module(bool wait, const char *fmt, ...)
{
	return -ENOENT;
}
SHIM_SYMBOL(__request_module)
