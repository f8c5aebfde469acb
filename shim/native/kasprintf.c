/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kasprintf() (lib/kasprintf.c), in C because it is variadic: the formatted string in a kmalloc() block of its
 * length, or NULL when that allocation fails.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include "shim.h"

char *kvasprintf(gfp_t gfp, const char *fmt, va_list args)
{
	va_list sizing;
	int len;
	char *p;

	va_copy(sizing, args);
	len = vsnprintf(NULL, 0, fmt, sizing);
	va_end(sizing);
	p = kmalloc(len + 1, gfp);
	if (p)
		vsnprintf(p, len + 1, fmt, args);
	return p;
}
SHIM_SYMBOL(kvasprintf)

char *kasprintf(gfp_t gfp, const char *fmt, ...)
{
	va_list args;
	char *p;

	va_start(args, fmt);
	p = kvasprintf(gfp, fmt, args);
	va_end(args);
	return p;
}
SHIM_SYMBOL(kasprintf)
