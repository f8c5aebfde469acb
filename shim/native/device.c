/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Native side of the driver model (DriverCore): its entry points that take a printf-style format, so they
 * format here. dev_set_name() names a device's kobject (lib/kobject.c: kobject_set_name_vargs()), and
 * add_uevent_var() appends one KEY=value to a uevent's environment (lib/kobject_uevent.c).
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "shim.h"

int dev_set_name(struct device *dev, const char *fmt, ...)
{
	va_list args, sizing;
	char *name;
	int len;

	va_start(args, fmt);
	va_copy(sizing, args);
	len = vsnprintf(NULL, 0, fmt, sizing);
	va_end(sizing);
	name = kmalloc(len + 1, GFP_KERNEL);
	if (!name) {
		va_end(args);
		return -ENOMEM;
	}
	vsnprintf(name, len + 1, fmt, args);
	va_end(args);
	/* As kobject_set_name_vargs(): a '/' would make a path of the name. */
	for (char *c = name; *c; c++)
		if (*c == '/')
			*c = '!';
	/* The previous name, if any, is left alone: only names this function made are known to be ours to free. */
	dev->kobj.name = name;
	return 0;
}
SHIM_SYMBOL(dev_set_name)

int add_uevent_var(struct kobj_uevent_env *env, const char *format, ...)
{
	va_list args;
	int len;

	if (env->envp_idx >= ARRAY_SIZE(env->envp)) {
		pr_err("add_uevent_var: too many keys\n");
		return -ENOMEM;
	}
	va_start(args, format);
	len = vsnprintf(&env->buf[env->buflen], sizeof(env->buf) - env->buflen, format, args);
	va_end(args);
	if (len >= (sizeof(env->buf) - env->buflen)) {
		pr_err("add_uevent_var: buffer size too small\n");
		return -ENOMEM;
	}
	env->envp[env->envp_idx++] = &env->buf[env->buflen];
	env->buflen += len + 1;
	return 0;
}
SHIM_SYMBOL(add_uevent_var)
