/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ethtool's string helper (net/ethtool/common.c), in C because it is variadic: one ETH_GSTRING_LEN
 * slot of a driver's get_strings() table formatted, and the cursor moved to the next slot.
 */
#include <linux/kernel.h>
#include <linux/ethtool.h>
#include "shim.h"

void ethtool_sprintf(u8 **data, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(*data, ETH_GSTRING_LEN, fmt, args);
	va_end(args);
	*data += ETH_GSTRING_LEN;
}
SHIM_SYMBOL(ethtool_sprintf)
