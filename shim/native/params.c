/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Module parameters. The driver's __param section holds struct kernel_param entries that point at
 * these ops tables, so the tables and their set/get functions are native. The host applies
 * "name=value" options through linuxshim_param_set() before the module's init runs.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <asm/page.h>
#include "shim.h"

extern const struct kernel_param __start___param[] __attribute__((weak, visibility("hidden")));
extern const struct kernel_param __stop___param[] __attribute__((weak, visibility("hidden")));

static int parse_integer(const char *s, long long *out, bool is_unsigned)
{
	unsigned long long v = 0;
	bool negative = false;
	unsigned int base = 10;
	const char *start;

	if (!s)
		return -EINVAL;
	if (*s == '-' || *s == '+') {
		negative = *s == '-';
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
	}
	start = s;
	for (; *s && *s != '\n'; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (ULLONG_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (s == start || (negative && is_unsigned))
		return -EINVAL;
	*out = negative ? -(long long)v : (long long)v;
	return 0;
}

#define LINUXSHIM_INT_PARAM(name, type, min, max, is_unsigned, fmt)		\
int param_set_##name(const char *val, const struct kernel_param *kp)		\
{										\
	long long v;								\
	int err = parse_integer(val, &v, is_unsigned);				\
	if (err)								\
		return err;							\
	if ((is_unsigned && (unsigned long long)v > (unsigned long long)(max)) || \
	    (!is_unsigned && (v < (long long)(min) || v > (long long)(max))))	\
		return -ERANGE;							\
	*(type *)kp->arg = (type)v;						\
	return 0;								\
}										\
int param_get_##name(char *buffer, const struct kernel_param *kp)		\
{										\
	return scnprintf(buffer, PAGE_SIZE, fmt "\n", *(type *)kp->arg);	\
}										\
const struct kernel_param_ops param_ops_##name = {				\
	.set = param_set_##name,						\
	.get = param_get_##name,						\
};

LINUXSHIM_INT_PARAM(byte, unsigned char, 0, U8_MAX, true, "%hhu")
SHIM_SYMBOL(param_ops_byte)
LINUXSHIM_INT_PARAM(short, short, SHRT_MIN, SHRT_MAX, false, "%hi")
SHIM_SYMBOL(param_ops_short)
LINUXSHIM_INT_PARAM(ushort, unsigned short, 0, USHRT_MAX, true, "%hu")
SHIM_SYMBOL(param_ops_ushort)
LINUXSHIM_INT_PARAM(int, int, INT_MIN, INT_MAX, false, "%i")
SHIM_SYMBOL(param_ops_int)
LINUXSHIM_INT_PARAM(uint, unsigned int, 0, UINT_MAX, true, "%u")
SHIM_SYMBOL(param_ops_uint)
LINUXSHIM_INT_PARAM(long, long, LONG_MIN, LONG_MAX, false, "%li")
SHIM_SYMBOL(param_ops_long)
LINUXSHIM_INT_PARAM(ulong, unsigned long, 0, ULONG_MAX, true, "%lu")
SHIM_SYMBOL(param_ops_ulong)

int param_set_bool(const char *val, const struct kernel_param *kp)
{
	bool v;

	if (!val || !*val || !strcmp(val, "1") || !strcmp(val, "y") || !strcmp(val, "Y") || !strcmp(val, "on"))
		v = true;
	else if (!strcmp(val, "0") || !strcmp(val, "n") || !strcmp(val, "N") || !strcmp(val, "off"))
		v = false;
	else
		return -EINVAL;
	*(bool *)kp->arg = v;
	return 0;
}

int param_get_bool(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%c\n", *(bool *)kp->arg ? 'Y' : 'N');
}

const struct kernel_param_ops param_ops_bool = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool,
	.get = param_get_bool,
};
SHIM_SYMBOL(param_ops_bool)

/* An array parameter: comma-separated elements, each set through the element's ops. */
static int param_array_set(const char *val, const struct kernel_param *kp)
{
	const struct kparam_array *arr = kp->arr;
	char element[64];
	unsigned int count = 0;

	while (val && *val) {
		struct kernel_param ekp = *kp;
		const char *end = strchr(val, ',');
		size_t len = end ? (size_t)(end - val) : strlen(val);
		int err;

		if (count >= arr->max)
			return -EINVAL;
		if (len >= sizeof(element))
			return -ENOSPC;
		memcpy(element, val, len);
		element[len] = '\0';
		ekp.arg = (char *)arr->elem + arr->elemsize * count;
		err = arr->ops->set(element, &ekp);
		if (err)
			return err;
		count++;
		val = end ? end + 1 : NULL;
	}
	if (arr->num)
		*arr->num = count;
	return 0;
}

static int param_array_get(char *buffer, const struct kernel_param *kp)
{
	const struct kparam_array *arr = kp->arr;
	unsigned int i, n = arr->num ? *arr->num : arr->max;
	int off = 0;

	for (i = 0; i < n; i++) {
		struct kernel_param ekp = *kp;

		if (i)
			buffer[off++] = ',';
		ekp.arg = (char *)arr->elem + arr->elemsize * i;
		off += arr->ops->get(buffer + off, &ekp);
		if (off > 0 && buffer[off - 1] == '\n')
			off--;
	}
	buffer[off] = '\0';
	return off;
}

const struct kernel_param_ops param_array_ops = {
	.set = param_array_set,
	.get = param_array_get,
};
SHIM_SYMBOL(param_array_ops)

/* Called by the host: sets parameter name of the driver to value. 0, -ENOENT (no such parameter) or the set error. */
int linuxshim_param_set(const char *name, const char *value)
{
	const struct kernel_param *kp;

	if (!__start___param)
		return -ENOENT;
	for (kp = __start___param; kp < __stop___param; kp++)
		if (!strcmp(kp->name, name))
			return kp->ops->set(value, kp);
	return -ENOENT;
}

/*
 * A string parameter (kernel/params.c, param_ops_charp): the value is copied into memory of its own,
 * which a later value replaces and frees; at most 1024 characters.
 */
struct linuxshim_charp {
	struct linuxshim_charp *next;
	char val[];
};
static struct linuxshim_charp *linuxshim_charps;

static void linuxshim_charp_free(char *val)
{
	struct linuxshim_charp **p;

	for (p = &linuxshim_charps; *p; p = &(*p)->next) {
		if ((*p)->val == val) {
			struct linuxshim_charp *gone = *p;

			*p = gone->next;
			kfree(gone);
			return;
		}
	}
}

int param_set_charp(const char *val, const struct kernel_param *kp)
{
	size_t len = strlen(val);
	struct linuxshim_charp *copy;

	if (len > 1024)
		return -ENOSPC;
	copy = kmalloc(sizeof(*copy) + len + 1, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	memcpy(copy->val, val, len + 1);
	linuxshim_charp_free(*(char **)kp->arg);
	copy->next = linuxshim_charps;
	linuxshim_charps = copy;
	*(char **)kp->arg = copy->val;
	return 0;
}

int param_get_charp(char *buffer, const struct kernel_param *kp)
{
	return scnprintf(buffer, PAGE_SIZE, "%s\n", *(char **)kp->arg ? *(char **)kp->arg : "(null)");
}

void param_free_charp(void *arg)
{
	linuxshim_charp_free(*(char **)arg);
}

const struct kernel_param_ops param_ops_charp = {
	.set = param_set_charp,
	.get = param_get_charp,
	.free = param_free_charp,
};
SHIM_SYMBOL(param_ops_charp)
