/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reset controllers, the getters (drivers/reset/core.c), in C because their arguments changed: three bools
 * (shared, optional, acquired) until enum reset_control_flags replaced them (tested by its bit macros). No reset
 * controller exists on this machine (the device tree names no "resets", no lookup is registered), so a request
 * finds none: an optional one NULL, which every reset_control_*() call takes as a line that needs nothing
 * (shim/Kernel/ResetControl.cs), a required one ERR_PTR(-ENOENT), as __of_reset_control_get() and
 * __reset_control_get_from_lookup() answer then; shared and acquired together is a driver bug (-EINVAL).
 */
#include <linux/kernel.h>
#include <linux/err.h>
#include <linux/reset.h>
#include "shim.h"

static struct reset_control *no_reset_control(bool shared, bool optional, bool acquired)
{
	if (shared && acquired) {
		pr_warn("reset control: a shared reset control cannot be acquired\n");
		return ERR_PTR(-EINVAL);
	}
	return optional ? NULL : ERR_PTR(-ENOENT);
}

#ifdef RESET_CONTROL_FLAGS_BIT_SHARED
struct reset_control *__reset_control_get(struct device *dev, const char *id, int index, enum reset_control_flags flags)
{
	return no_reset_control(flags & RESET_CONTROL_FLAGS_BIT_SHARED, flags & RESET_CONTROL_FLAGS_BIT_OPTIONAL,
				flags & RESET_CONTROL_FLAGS_BIT_ACQUIRED);
}

/* As __reset_control_get(), put when the driver goes; nothing is ever got to put. */
struct reset_control *__devm_reset_control_get(struct device *dev, const char *id, int index, enum reset_control_flags flags)
{
	return __reset_control_get(dev, id, index, flags);
}
#else
struct reset_control *__reset_control_get(struct device *dev, const char *id, int index, bool shared, bool optional,
					  bool acquired)
{
	return no_reset_control(shared, optional, acquired);
}

struct reset_control *__devm_reset_control_get(struct device *dev, const char *id, int index, bool shared, bool optional,
					       bool acquired)
{
	return no_reset_control(shared, optional, acquired);
}
#endif
SHIM_SYMBOL(__reset_control_get)
SHIM_SYMBOL(__devm_reset_control_get)
