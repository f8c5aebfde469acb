/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kdump (kernel/crash_dump.c): a driver host is never a crash-dump kernel, so the ELF core header
 * address is ELFCORE_ADDR_MAX and is_kdump_kernel() is false.
 */
#include <linux/kernel.h>
#include <linux/crash_dump.h>
#include "shim.h"

unsigned long long elfcorehdr_addr = ELFCORE_ADDR_MAX;
SHIM_SYMBOL(elfcorehdr_addr)
