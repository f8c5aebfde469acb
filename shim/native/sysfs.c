/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sysfs_emit() (fs/sysfs/file.c), in C because it is variadic: an attribute's show() formats into the page
 * sysfs gives it. A buffer that is not the start of a page is refused (0 bytes), with Linux's warning.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sysfs.h>
#include "shim.h"

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list args;
	int len;

	if (!buf || offset_in_page(buf)) {
		pr_warn("invalid sysfs_emit: buf:%p\n", buf);
		return 0;
	}
	va_start(args, fmt);
	len = vscnprintf(buf, PAGE_SIZE, fmt, args);
	va_end(args);
	return len;
}
SHIM_SYMBOL(sysfs_emit)
