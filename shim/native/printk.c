/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Logging: printk and the dev_/netdev_ families are variadic, so they are formatted here (vsprintf.c)
 * and the finished line goes to the host with its level and prefix.
 */
#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/device.h>
#include <linux/netdevice.h>
#include <linux/dynamic_debug.h>
#include "shim.h"

#define LINUXSHIM_LINE 1024

/* Splits a KERN_<LEVEL> prefix off fmt; returns the level (LOGLEVEL_DEFAULT when none). */
static int split_level(const char **fmt)
{
	int level = LOGLEVEL_DEFAULT;

	while ((*fmt)[0] == KERN_SOH_ASCII && (*fmt)[1]) {
		char c = (*fmt)[1];

		if (c >= '0' && c <= '7')
			level = c - '0';
		else if (c == 'c')
			level = LOGLEVEL_DEFAULT; /* continuation: logged as its own line */
		*fmt += 2;
	}
	return level;
}

/* Formats and logs one line; returns its length as formatted (before the trailing newlines are dropped). */
static int emit(int level, const char *prefix, const char *fmt, va_list args)
{
	char line[LINUXSHIM_LINE];
	int n = vscnprintf(line, sizeof(line), fmt, args);
	int len = n;

	while (n > 0 && line[n - 1] == '\n')
		n--;
	linuxshim_host_log(level, prefix, line, n);
	return len;
}

int _printk(const char *fmt, ...)
{
	va_list args;
	int level = split_level(&fmt);

	va_start(args, fmt);
	emit(level, "", fmt, args);
	va_end(args);
	return 0;
}
SHIM_SYMBOL(_printk)

/* vprintk(): printk with its arguments as a va_list (phylib's phy_attached_print()); the characters printed. */
int vprintk(const char *fmt, va_list args)
{
	int level = split_level(&fmt);

	return emit(level, "", fmt, args);
}
SHIM_SYMBOL(vprintk)

/*
 * dump_stack(): Linux prints the CPU, the task and a call trace at the default level. The driver image has no
 * symbol table to unwind with (no kallsyms), so the trace is the caller's address (%pS prints it as an address).
 */
void dump_stack(void)
{
	_printk("CPU: 0 Call Trace: dump_stack() called from %pS\n", __builtin_return_address(0));
}
SHIM_SYMBOL(dump_stack)

static void dev_emit(int level, const struct device *dev, const char *fmt, va_list args)
{
	char prefix[128];

	if (dev)
		scnprintf(prefix, sizeof(prefix), "%s %s: ", dev_driver_string(dev), dev_name(dev));
	else
		scnprintf(prefix, sizeof(prefix), "(NULL device *): ");
	emit(level, prefix, fmt, args);
}

#define LINUXSHIM_DEV_LOGGER(name, level)					\
void name(const struct device *dev, const char *fmt, ...)			\
{										\
	va_list args;								\
	va_start(args, fmt);							\
	dev_emit(level, dev, fmt, args);					\
	va_end(args);								\
}

LINUXSHIM_DEV_LOGGER(_dev_emerg, LOGLEVEL_EMERG)
SHIM_SYMBOL(_dev_emerg)
LINUXSHIM_DEV_LOGGER(_dev_alert, LOGLEVEL_ALERT)
SHIM_SYMBOL(_dev_alert)
LINUXSHIM_DEV_LOGGER(_dev_crit, LOGLEVEL_CRIT)
SHIM_SYMBOL(_dev_crit)
LINUXSHIM_DEV_LOGGER(_dev_err, LOGLEVEL_ERR)
SHIM_SYMBOL(_dev_err)
LINUXSHIM_DEV_LOGGER(_dev_warn, LOGLEVEL_WARNING)
SHIM_SYMBOL(_dev_warn)
LINUXSHIM_DEV_LOGGER(_dev_notice, LOGLEVEL_NOTICE)
SHIM_SYMBOL(_dev_notice)
LINUXSHIM_DEV_LOGGER(_dev_info, LOGLEVEL_INFO)
SHIM_SYMBOL(_dev_info)

static void netdev_emit(int level, const struct net_device *dev, const char *fmt, va_list args)
{
	char prefix[160];

	if (dev && dev->dev.parent)
		scnprintf(prefix, sizeof(prefix), "%s %s %s: ", dev_driver_string(dev->dev.parent),
			  dev_name(dev->dev.parent), netdev_name(dev));
	else if (dev)
		scnprintf(prefix, sizeof(prefix), "%s: ", netdev_name(dev));
	else
		scnprintf(prefix, sizeof(prefix), "(NULL net_device): ");
	emit(level, prefix, fmt, args);
}

#define LINUXSHIM_NETDEV_LOGGER(name, level)					\
void name(const struct net_device *dev, const char *fmt, ...)		\
{										\
	va_list args;								\
	va_start(args, fmt);							\
	netdev_emit(level, dev, fmt, args);					\
	va_end(args);								\
}

LINUXSHIM_NETDEV_LOGGER(netdev_emerg, LOGLEVEL_EMERG)
SHIM_SYMBOL(netdev_emerg)
LINUXSHIM_NETDEV_LOGGER(netdev_alert, LOGLEVEL_ALERT)
SHIM_SYMBOL(netdev_alert)
LINUXSHIM_NETDEV_LOGGER(netdev_crit, LOGLEVEL_CRIT)
SHIM_SYMBOL(netdev_crit)
LINUXSHIM_NETDEV_LOGGER(netdev_err, LOGLEVEL_ERR)
SHIM_SYMBOL(netdev_err)
LINUXSHIM_NETDEV_LOGGER(netdev_warn, LOGLEVEL_WARNING)
SHIM_SYMBOL(netdev_warn)
LINUXSHIM_NETDEV_LOGGER(netdev_notice, LOGLEVEL_NOTICE)
SHIM_SYMBOL(netdev_notice)
LINUXSHIM_NETDEV_LOGGER(netdev_info, LOGLEVEL_INFO)
SHIM_SYMBOL(netdev_info)

void netdev_printk(const char *level, const struct net_device *dev, const char *fmt, ...)
{
	va_list args;
	int l = split_level(&level);

	va_start(args, fmt);
	netdev_emit(l, dev, fmt, args);
	va_end(args);
}
SHIM_SYMBOL(netdev_printk)

/* Dynamic debug: reached only for call sites someone enabled (their static key is on). */
void __dynamic_pr_debug(struct _ddebug *descriptor, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	emit(LOGLEVEL_DEBUG, "", fmt, args);
	va_end(args);
}
SHIM_SYMBOL(__dynamic_pr_debug)

void __dynamic_dev_dbg(struct _ddebug *descriptor, const struct device *dev, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	dev_emit(LOGLEVEL_DEBUG, dev, fmt, args);
	va_end(args);
}
SHIM_SYMBOL(__dynamic_dev_dbg)

void __dynamic_netdev_dbg(struct _ddebug *descriptor, const struct net_device *dev, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	netdev_emit(LOGLEVEL_DEBUG, dev, fmt, args);
	va_end(args);
}
SHIM_SYMBOL(__dynamic_netdev_dbg)

/* WARN(): the message, then the caller (the host resolves it to a function of the driver). */
void __warn_printk(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	emit(LOGLEVEL_WARNING, "WARNING: ", fmt, args);
	va_end(args);
}
SHIM_SYMBOL(__warn_printk)

void print_hex_dump(const char *level, const char *prefix_str, int prefix_type, int rowsize, int groupsize,
		    const void *buf, size_t len, bool ascii)
{
	const u8 *p = buf;
	int l = split_level(&level);
	size_t i;

	if (rowsize != 16 && rowsize != 32)
		rowsize = 16;
	for (i = 0; i < len; i += rowsize) {
		char line[200];
		int n = 0;
		size_t j, row = min_t(size_t, rowsize, len - i);

		if (prefix_type == DUMP_PREFIX_ADDRESS)
			n += scnprintf(line + n, sizeof(line) - n, "%s%px: ", prefix_str, p + i);
		else if (prefix_type == DUMP_PREFIX_OFFSET)
			n += scnprintf(line + n, sizeof(line) - n, "%s%.8zx: ", prefix_str, i);
		else
			n += scnprintf(line + n, sizeof(line) - n, "%s", prefix_str);
		for (j = 0; j < row; j++)
			n += scnprintf(line + n, sizeof(line) - n, "%02x%s", p[i + j],
				       (groupsize > 0 && (j + 1) % groupsize == 0) || groupsize <= 1 ? " " : "");
		if (ascii) {
			n += scnprintf(line + n, sizeof(line) - n, " ");
			for (j = 0; j < row; j++)
				n += scnprintf(line + n, sizeof(line) - n, "%c",
					       p[i + j] >= 0x20 && p[i + j] < 0x7f ? p[i + j] : '.');
		}
		linuxshim_host_log(l, "", line, n);
	}
}
SHIM_SYMBOL(print_hex_dump)

/* dev_printk() with an explicit KERN_<LEVEL> string (drivers/base/core.c). */
void _dev_printk(const char *level, const struct device *dev, const char *fmt, ...)
{
	va_list args;
	const char *lvl = level;

	va_start(args, fmt);
	dev_emit(split_level(&lvl), dev, fmt, args);
	va_end(args);
}
SHIM_SYMBOL(_dev_printk)

/*
 * dev_err_probe() (drivers/base/core.c): logs the error and returns it; -EPROBE_DEFER is a debug
 * message there (the probe is retried later), every other error an error line.
 */
int dev_err_probe(const struct device *dev, int err, const char *fmt, ...)
{
	char line[LINUXSHIM_LINE];
	va_list args;

	va_start(args, fmt);
	vscnprintf(line, sizeof(line), fmt, args);
	va_end(args);
	if (err != -EPROBE_DEFER)
		_dev_err(dev, "error %d: %s", err, line);
	return err;
}
SHIM_SYMBOL(dev_err_probe)
