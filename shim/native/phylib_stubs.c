/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Since 6.9 the core's ethtool and hardware timestamping code reach a modular PHY library through a pointer the
 * kernel owns (net/core/dev.c's phylib_stubs), which libphy sets at its init and clears at its exit. Nothing of
 * the shim's core calls through it; the pointer only has to be there to be written.
 */
#if __has_include(<linux/phylib_stubs.h>)
#include <linux/phylib_stubs.h>
#include "shim.h"

const struct phylib_stubs *phylib_stubs;
SHIM_SYMBOL(phylib_stubs)
#endif
